import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock";
import { TransportState } from "../../src/core/transport/transport";
import { WwebjsTransport } from "../../src/core/transport/wwebjs-transport";
import { MemoryStore } from "../../src/core/store/memory-store";
import { SessionArchiveStore } from "../../src/core/transport/session-archive-store";
import { createWwebjsTransport } from "../../src/core/transport/wwebjs-client";
import { waitFor } from "./runtime";
import { requirePrerequisite } from "../support/prerequisite";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Browser processes still running for this session's profile folder. */
function browsersFor(profileMarker: string): number {
  const found = spawnSync("pgrep", ["-f", profileMarker], { encoding: "utf8" });
  return found.stdout.split("\n").filter(Boolean).length;
}

describe("the real whatsapp-web.js Client, with no route to WhatsApp Web", function () {
  this.timeout(120_000);
  let userDir: string;
  let transport: WwebjsTransport | undefined;

  before(function () {
    requirePrerequisite(this, existsSync(CHROMIUM), `no chromium at ${CHROMIUM}; run npm test, which installs it, or set CHROMIUM_PATH`);
  });
  beforeEach(() => (userDir = mkdtempSync(join(tmpdir(), "wa-wwebjs-"))));
  afterEach(async () => {
    await transport?.close();
    rmSync(userDir, { recursive: true, force: true });
  });

  it("reports why it cannot connect instead of crashing or hanging, and leaves no browser behind when closed", async () => {
    const sessionId = `e2e${Date.now().toString(36)}`;
    transport = createWwebjsTransport(
      { sessionId, userDir, chromiumPath: CHROMIUM, headless: true, extraArgs: [], includeOwn: false, pairingPhoneNumber: "" },
      systemClock,
    );
    transport.start();
    const seen: [TransportState, string | undefined][] = [];
    transport.onStateChange((state, detail) => seen.push([state, detail]));
    await waitFor(() => transport!.state() === "disconnected", 90_000, "the session to report that WhatsApp Web cannot be reached");
    const detail = transport.pairing().detail ?? "";
    console.log(`      reported: ${detail}`);
    assert.match(detail, /cannot reach WhatsApp Web|did not load/);
    assert.ok(existsSync(join(userDir, "wa-pipeline", "wwebjs-sessions")), "the session folder lives under the user directory");
    await transport.close();
    assert.equal(transport.state(), "stopped");
    await waitFor(() => browsersFor(`session-${sessionId}`) === 0, 10_000, "the browser to exit");
    transport = undefined;
  });

  it("with a session store, lets whatsapp-web.js's RemoteAuth ask the wa-store for the saved session", async () => {
    const asked: string[] = [];
    class WatchedArchives extends SessionArchiveStore {
      override async sessionExists(query: { session: string }): Promise<boolean> {
        asked.push(query.session);
        return super.sessionExists(query);
      }
    }
    const sessionId = `e2eremote${Date.now().toString(36)}`;
    const archives = new WatchedArchives(new MemoryStore(systemClock), join(userDir, "wa-pipeline", "wwebjs-sessions"));
    transport = createWwebjsTransport(
      {
        sessionId,
        userDir,
        chromiumPath: CHROMIUM,
        headless: true,
        extraArgs: [],
        includeOwn: false,
        pairingPhoneNumber: "",
        sessionStore: () => archives,
      },
      systemClock,
    );
    transport.start();
    await waitFor(() => transport!.state() === "disconnected", 90_000, "the session to report that WhatsApp Web cannot be reached");
    assert.deepEqual(asked.slice(0, 1), [`RemoteAuth-${sessionId}`]);
    await transport.close();
    await waitFor(() => browsersFor(sessionId) === 0, 10_000, "the browser to exit");
    transport = undefined;
  });
});
