import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningNodeRed, repoRoot, startNodeRed, writeSettings } from "./runtime";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  "node-red": { nodes: Record<string, string> };
};
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * The README's first install route before the pack is on the npm registry: Manage palette › Install ›
 * upload a module tarball. The editor posts the file to the runtime's /nodes; Node-RED installs it with
 * npm and registers the nodes without a restart.
 */
describe("install by uploading the tarball in the palette manager, in a fresh Node-RED", function () {
  this.timeout(300_000);
  let work: string;
  let runtime: RunningNodeRed | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "wa-upload-"));
    const userDir = join(work, "userdir");
    mkdirSync(userDir);
    writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "node-red-project", private: true }));
    writeSettings(userDir);
    execFileSync(npm, ["pack", "--pack-destination", work, "--silent"], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
    runtime = await startNodeRed(userDir);
  });

  after(async () => {
    await runtime?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("installs the uploaded tarball and registers every node type, with no restart", async () => {
    const tarball = readdirSync(work).find((file) => file.endsWith(".tgz"))!;
    const form = new FormData();
    form.append("tarball", new Blob([readFileSync(join(work, tarball))], { type: "application/gzip" }), tarball);
    const response = await fetch(`${runtime!.url}/nodes`, { method: "POST", body: form, headers: { "Node-RED-API-Version": "v2" } });
    const body = await response.text();
    assert.equal(response.status, 200, body);
    const installed = JSON.parse(body) as { name: string; nodes: { types: string[]; enabled: boolean; err?: string }[] };
    assert.equal(installed.name, pkg.name);
    assert.deepEqual(
      installed.nodes.filter((set) => !set.enabled || set.err).map((set) => set.err ?? `${set.types.join()} not enabled`),
      [],
    );
    assert.deepEqual(installed.nodes.flatMap((set) => set.types).sort(), Object.keys(pkg["node-red"].nodes).sort());
    const list = (await (await fetch(`${runtime!.url}/nodes`, { headers: { Accept: "application/json" } })).json()) as {
      module: string;
      types: string[];
    }[];
    assert.ok(
      list.some((set) => set.module === pkg.name && set.types.includes("wa-in")),
      "the editor's node list has the pack",
    );
  });
});
