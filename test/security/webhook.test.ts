import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { waitFor } from "../e2e/runtime";
import {
  ADMIN,
  RunningNodeRed,
  adminAuthSettings,
  cloudDelivery,
  deploy,
  fileLines,
  freshUserDir,
  loginToken,
  metaSignature,
  startNodeRed,
} from "./real-runtime";

const SECRET = "webhook-app-secret";
const TOKEN = "EAAG-security-suite";
const VERIFY = "verify-me-please";

function webhookFlow(received: string): unknown[] {
  const z = "sec-webhook";
  return [
    { id: z, type: "tab", label: "webhook" },
    {
      id: "cloud1",
      type: "wa-client",
      mode: "cloud",
      phoneNumberId: "106540352242922",
      apiBase: "http://127.0.0.1:9",
      webhookPath: "/whatsapp/webhook",
      credentials: { accessToken: TOKEN, appSecret: SECRET, verifyToken: VERIFY },
    },
    { id: "in1", z, type: "wa-in", client: "cloud1", includeGroups: true, types: "all", wires: [["id1"]] },
    { id: "id1", z, type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: "wa.message.id", tot: "msg" }], wires: [["file1"]] },
    {
      id: "file1",
      z,
      type: "file",
      filename: received,
      filenameType: "str",
      appendNewline: true,
      createDir: true,
      overwriteFile: "false",
      encoding: "none",
      wires: [[]],
    },
  ];
}

interface Layout {
  name: string;
  settings: string;
  adminRoot: string;
  nodeRoot: string;
  login: boolean;
}

const layouts: Layout[] = [
  { name: "default settings (editor and flows both on /)", settings: "", adminRoot: "", nodeRoot: "", login: false },
  {
    name: "httpAdminRoot /admin and httpNodeRoot /api",
    settings: 'httpAdminRoot: "/admin", httpNodeRoot: "/api",',
    adminRoot: "/admin",
    nodeRoot: "/api",
    login: false,
  },
  { name: "adminAuth on", settings: adminAuthSettings(), adminRoot: "", nodeRoot: "", login: true },
];

for (const layout of layouts) {
  describe(`security: the Cloud API webhook in a real Node-RED, ${layout.name}`, function () {
    this.timeout(120_000);
    let dir: string;
    let userDir: string;
    let runtime: RunningNodeRed;
    let hook: string;
    let received: string;

    before(async () => {
      ({ dir, userDir } = freshUserDir("webhook", `${layout.settings} waWebhookBodyTimeoutMs: 1500,`));
      received = join(dir, "received.log");
      runtime = await startNodeRed(userDir);
      const token = layout.login ? await loginToken(`${runtime.url}${layout.adminRoot}`, ADMIN) : undefined;
      await deploy(runtime, webhookFlow(received), { adminRoot: layout.adminRoot, token });
      hook = `${runtime.url}${layout.nodeRoot}/whatsapp/webhook`;
    });
    after(async () => {
      await runtime?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const post = (body: string | Buffer, headers: Record<string, string>) =>
      fetch(hook, { method: "POST", headers, body: typeof body === "string" ? body : new Uint8Array(body) });

    it("answers Meta's handshake and takes signed deliveries of every content type", async () => {
      const handshake = await fetch(`${hook}?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=31337`);
      assert.equal(handshake.status, 200);
      assert.equal(await handshake.text(), "31337");
      const types: (string | undefined)[] = [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        undefined,
      ];
      for (const [i, type] of types.entries()) {
        const body = cloudDelivery(`wamid.type${i}`, `hello ${i}`);
        const headers: Record<string, string> = { "X-Hub-Signature-256": metaSignature(body, SECRET) };
        if (type) headers["Content-Type"] = type;
        const answer = await post(body, headers);
        assert.equal(answer.status, 200, `${type ?? "no content type"}: ${await answer.text()}`);
      }
      await waitFor(() => fileLines(received).length >= types.length, 10_000, "every delivery passed on");
      assert.deepEqual(
        fileLines(received).slice(0, types.length),
        types.map((_, i) => `wamid.type${i}`),
      );
    });

    it("refuses missing, wrong, sha1 and altered signatures, and bodies over 1 MB", async () => {
      const body = cloudDelivery("wamid.refused", "never passed on");
      const json = { "Content-Type": "application/json" };
      assert.equal((await post(body, json)).status, 401, "no signature");
      assert.equal(
        (await post(body, { ...json, "X-Hub-Signature-256": metaSignature(body, "not-the-secret") })).status,
        401,
        "wrong secret",
      );
      const sha1 = metaSignature(body, SECRET).replace("sha256=", "sha1=").slice(0, 45);
      assert.equal((await post(body, { ...json, "X-Hub-Signature-256": sha1 })).status, 401, "sha1");
      assert.equal(
        (await post(body.replace("never", "NEVER"), { ...json, "X-Hub-Signature-256": metaSignature(body, SECRET) })).status,
        401,
        "altered body",
      );
      const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
      assert.equal((await post(big, { ...json, "X-Hub-Signature-256": metaSignature(big, SECRET) })).status, 413, "2 MB body");
      // The runtime is still serving, and nothing refused was passed on.
      const marker = cloudDelivery("wamid.after-refusals", "still here");
      assert.equal((await post(marker, { ...json, "X-Hub-Signature-256": metaSignature(marker, SECRET) })).status, 200);
      await waitFor(() => fileLines(received).includes("wamid.after-refusals"), 10_000, "the marker");
      assert.ok(!fileLines(received).includes("wamid.refused"));
    });

    it("drops connections that trickle their body, within the body time limit", async () => {
      const sockets = Array.from({ length: 20 }, () => {
        const socket = connect(runtime.port, "127.0.0.1");
        const path = `${layout.nodeRoot}/whatsapp/webhook`;
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nX-Hub-Signature-256: sha256=00\r\n\r\n{`,
        );
        const trickle = setInterval(() => socket.write(" "), 200);
        const closed = new Promise<string>((resolve) => {
          let answer = "";
          socket.on("data", (chunk) => (answer += chunk.toString()));
          socket.on("close", () => {
            clearInterval(trickle);
            resolve(answer);
          });
          socket.on("error", () => undefined);
        });
        return { socket, closed, trickle };
      });
      const started = Date.now();
      const deadline = setTimeout(() => sockets.forEach((s) => s.socket.destroy()), 15_000);
      const answers = await Promise.all(sockets.map((s) => s.closed));
      clearTimeout(deadline);
      assert.ok(Date.now() - started < 15_000, "every trickling socket was closed by the server");
      assert.ok(
        answers.every((a) => a.startsWith("HTTP/1.1 408")),
        `answers: ${answers.map((a) => a.split("\r\n")[0]).join(", ")}`,
      );
    });
  });
}

describe("security: webhook replays across a restart and stale deliveries, in a real Node-RED", function () {
  this.timeout(120_000);
  let dir: string;
  let userDir: string;
  let runtime: RunningNodeRed | undefined;

  after(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("does not pass on a signed delivery replayed after a restart, nor one sent days ago", async () => {
    ({ dir, userDir } = freshUserDir("replay"));
    const received = join(dir, "received.log");
    runtime = await startNodeRed(userDir);
    await deploy(runtime, webhookFlow(received));
    const send = (body: string) =>
      fetch(`${runtime!.url}/whatsapp/webhook`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Hub-Signature-256": metaSignature(body, SECRET) },
        body,
      });
    const original = cloudDelivery("wamid.original", "first delivery");
    assert.equal((await send(original)).status, 200);
    await waitFor(() => fileLines(received).includes("wamid.original"), 10_000, "the first delivery");
    await runtime.stop();
    runtime = await startNodeRed(userDir);
    assert.equal((await send(original)).status, 200, "a replay is acknowledged");
    const stale = cloudDelivery("wamid.stale", "sent three days ago", 3 * 24 * 3600);
    assert.equal((await send(stale)).status, 200, "a stale delivery is acknowledged, so Meta stops");
    const marker = cloudDelivery("wamid.marker", "after the restart");
    assert.equal((await send(marker)).status, 200);
    await waitFor(() => fileLines(received).includes("wamid.marker"), 10_000, "the marker after the restart");
    assert.deepEqual(fileLines(received), ["wamid.original", "wamid.marker"]);
    assert.ok(
      runtime.logs.some((line) => line.includes("wamid.stale was sent 72 h ago")),
      "the stale delivery is logged",
    );
  });
});
