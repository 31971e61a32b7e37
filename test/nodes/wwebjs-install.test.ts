import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import clientNode from "../../src/nodes/wa-client";
import { NpmRegistryStandin, startNpmRegistryStandin } from "../support/npm-registry-standin";
import { helper, inTab, untilReal, useNodeHarness } from "./harness";

type Status = { state: string; version?: string; spec: string; error?: string };
type Request = {
  get(path: string): Promise<{ status: number; body: Status }>;
  post(path: string): Promise<{ status: number; body: Status }>;
};

describe("whatsapp-web.js installed on demand from the connection's dialog", function () {
  this.timeout(120_000);
  useNodeHarness();
  let dir: string;
  let registry: NpmRegistryStandin;
  const saved = { registry: process.env.npm_config_registry, cache: process.env.npm_config_cache };
  const admin = () => helper.request() as unknown as Request;

  before(async () => {
    // A release the pack's range (^1.34.7) takes; it reports its version and nothing else.
    registry = await startNpmRegistryStandin([
      { name: "whatsapp-web.js", version: "1.34.99", main: "module.exports = { standIn: true };" },
    ]);
  });
  after(() => registry.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-wwebjs-install-"));
    helper.settings({ userDir: dir });
    process.env.npm_config_registry = registry.url;
    process.env.npm_config_cache = join(dir, ".npm-cache");
  });
  afterEach(() => {
    if (saved.registry === undefined) delete process.env.npm_config_registry;
    else process.env.npm_config_registry = saved.registry;
    if (saved.cache === undefined) delete process.env.npm_config_cache;
    else process.env.npm_config_cache = saved.cache;
    rmSync(dir, { recursive: true, force: true });
  });

  const load = () =>
    helper.load([clientNode], inTab([{ id: "sim1", type: "wa-client", mode: "simulator", source: "demo", startDelay: 3600 }]));
  /** The install's outcome: the status endpoint is asked until npm (a real process) has finished. */
  const settled = async () => {
    let status: Status = (await admin().get("/wa-pipeline/libraries/whatsapp-web")).body;
    let asking = false;
    await untilReal(() => {
      if (!asking) {
        asking = true;
        void admin()
          .get("/wa-pipeline/libraries/whatsapp-web")
          .then((answer) => {
            status = answer.body;
            asking = false;
          });
      }
      return status.state !== "installing";
    }, 100_000);
    return status;
  };

  it("runs npm install into the user directory as the palette manager does, and then loads it from there", async () => {
    await load();
    const before = (await admin().get("/wa-pipeline/libraries/whatsapp-web")).body;
    assert.equal(before.spec, "whatsapp-web.js@^1.34.7");
    const started = await admin().post("/wa-pipeline/libraries/whatsapp-web/install");
    assert.equal(started.status, 202);
    assert.equal(started.body.state, "installing");
    const done = await settled();
    assert.equal(done.state, "installed", done.error);
    // The user directory's copy comes first: the version the stand-in registry served.
    assert.equal(done.version, "1.34.99");
    const saved = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    assert.equal(saved.dependencies?.["whatsapp-web.js"], "~1.34.99");
    assert.ok(registry.requests.includes("/whatsapp-web.js/-/whatsapp-web.js-1.34.99.tgz"), registry.requests.join(", "));
  });

  it("says why when npm cannot install it", async () => {
    await load();
    process.env.npm_config_registry = `${registry.url}nothing-here/`;
    await admin().post("/wa-pipeline/libraries/whatsapp-web/install");
    const done = await settled();
    assert.notEqual(done.state, "installing");
    assert.match(done.error ?? "", /npm install whatsapp-web.js@\^1\.34\.7 failed \(exit \d+\)/);
  });
});
