import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningNodeRed, getJson, listenToComms, repoRoot, startNodeRed, waitFor, writeSettings } from "./runtime";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
  "node-red": { nodes: Record<string, string> };
};
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Deploys one bundled example on its own tab (replacing all flows) with the editor's comms socket listening. */
async function deployExample(runtime: RunningNodeRed, name: string, tabId: string) {
  const example = await getJson<Record<string, unknown>[]>(`${runtime.url}/library/examples/flows/${pkg.name}/${name}`);
  const tab = { id: tabId, type: "tab", label: name };
  const flows = [tab, ...example.map((node) => (node.type === "wa-client" ? node : { ...node, z: tab.id }))];
  const comms = listenToComms(runtime.url);
  await comms.opened;
  const deploy = await fetch(`${runtime.url}/flows`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full", "Node-RED-API-Version": "v2" },
    body: JSON.stringify({ flows }),
  });
  assert.equal(deploy.status, 200, await deploy.text());
  return comms;
}

/**
 * What a user gets: the packed tarball installed into a fresh Node-RED user directory the way
 * the palette manager installs it, a runtime started on it, the quick-start example deployed.
 */
describe("packaged module in a fresh Node-RED", function () {
  this.timeout(240_000);
  let work: string;
  let userDir: string;
  let runtime: RunningNodeRed | undefined;

  before(function () {
    work = mkdtempSync(join(tmpdir(), "wa-pack-"));
    userDir = join(work, "userdir");
    mkdirSync(userDir);
    execFileSync(npm, ["pack", "--pack-destination", work, "--silent"], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
    const tarball = readdirSync(work).find((file) => file.endsWith(".tgz"));
    assert.ok(tarball, "npm pack made a tarball");
    writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "node-red-project", private: true }));
    // The palette manager's own flags (Node-RED 4 registry installer).
    execFileSync(
      npm,
      [
        "install",
        "--no-audit",
        "--no-update-notifier",
        "--no-fund",
        "--save",
        "--save-prefix=~",
        "--omit=dev",
        "--engine-strict",
        join(work, tarball),
      ],
      {
        cwd: userDir,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    writeSettings(userDir);
  });

  after(async () => {
    await runtime?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("ships only what Node-RED loads: no sources, tests or shared data", () => {
    const installed = join(userDir, "node_modules", ...pkg.name.split("/"));
    const top = readdirSync(installed).sort();
    assert.deepEqual(
      top.filter((entry) => !["LICENSE", "README.md", "dist", "examples", "models", "package.json", "resources"].includes(entry)),
      [],
    );
    assert.ok(existsSync(join(installed, "resources", "editor.js")), "the forms' shared editor code is shipped");
    // The built-in intent and sentiment models load from where the installed nodes look for them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed copy, loaded as Node-RED loads it
    const shipped = require(join(installed, "dist", "nodes", "kit", "shipped-models.js")) as Record<string, () => { labels: string[] }>;
    assert.equal(shipped.businessIntentModel().labels.length, 15);
    assert.deepEqual(shipped.builtInSentimentModel().labels, ["negative", "neutral", "positive"]);
    for (const [type, file] of Object.entries(pkg["node-red"].nodes)) {
      const base = join(installed, file.replace(/\.js$/, ""));
      for (const needed of [
        `${base}.js`,
        `${base}.html`,
        join(installed, "dist", "nodes", "icons", `${type}.svg`),
        join(installed, "dist", "nodes", "locales", "en-US", `${type}.json`),
      ]) {
        assert.doesNotThrow(() => readFileSync(needed), `${type}: ${needed}`);
      }
    }
  });

  it("registers every node type of the pack, with its icons, and lists the examples", async () => {
    runtime = await startNodeRed(userDir);
    const sets = await getJson<{ module: string; types: string[]; enabled: boolean; err?: string }[]>(`${runtime.url}/nodes`);
    const ours = sets.filter((set) => set.module === pkg.name);
    for (const set of ours) assert.equal(set.err, undefined, `${set.types.join(",")}: ${set.err}`);
    const types = ours
      .filter((set) => set.enabled)
      .flatMap((set) => set.types)
      .sort();
    assert.deepEqual(types, Object.keys(pkg["node-red"].nodes).sort());

    const icons = await getJson<Record<string, string[]>>(`${runtime.url}/icons`);
    assert.deepEqual(
      (icons[pkg.name] ?? []).sort(),
      Object.keys(pkg["node-red"].nodes)
        .map((type) => `${type}.svg`)
        .sort(),
    );

    // What the editor's Import > Examples menu reads.
    const examples = await getJson<{ fn: string }[]>(`${runtime.url}/library/examples/flows/${pkg.name}/`);
    const shipped = readdirSync(join(repoRoot, "examples"))
      .map((file) => file.replace(/\.json$/, ""))
      .sort();
    assert.ok(shipped.includes("quick-start"));
    assert.deepEqual(examples.map((entry) => entry.fn).sort(), shipped);
  });

  it("deploys the quick-start example and answers simulated chats through wa-out", async () => {
    assert.ok(runtime, "runtime started by the previous test");
    const comms = await deployExample(runtime, "quick-start", "e2e0000000000001");

    const replies = () =>
      comms.messages
        .filter((m) => m.topic === "debug" && m.data.name === "replies")
        // One line per reply, not the whole message: the chat, what the customer wrote, the reply, its id.
        .map((m) => JSON.parse(String(m.data.msg)) as { chat: string; customer: string; reply: string; sentId: string });
    await waitFor(() => replies().length >= 6, 60_000, "six replies from wa-out");
    const sent = replies();
    assert.ok(sent.every((line) => /^sim-out-\d+$/.test(line.sentId) && line.chat.includes("@") && line.customer.length > 0));
    assert.ok(
      sent.some((line) => line.reply.startsWith("Thanks Priya!")),
      "the reply names the customer",
    );
    assert.equal(new Set(sent.map((line) => line.sentId)).size, sent.length, "no reply sent twice");
    const errors = comms.messages.filter((m) => m.topic === "debug" && m.data.name === "errors");
    assert.deepEqual(errors, [], "no pipeline errors");
    const outStatus = comms.messages.filter((m) => m.topic.startsWith("status/") && String(m.data.text).includes("sent"));
    assert.ok(outStatus.length > 0, "wa-out shows what it sent in its status");
    comms.close();
  });

  it("runs the media example from the installed pack: the photo read, the voice note heard, the CSV read, text straight on", async () => {
    assert.ok(runtime, "runtime started");
    const comms = await deployExample(runtime, "wa-ocr", "e2e0000000000002");
    const shown = (name: string) =>
      comms.messages
        .filter((m) => m.topic === "debug" && m.data.name === name)
        .map((m) => JSON.parse(String(m.data.msg)) as Record<string, unknown>);
    const seen = (name: string) => comms.messages.some((m) => m.topic === "debug" && m.data.name === name);
    await waitFor(
      () =>
        seen("photo text") &&
        shown("voice note text").length > 0 &&
        shown("document text").some((document) => Array.isArray(document.tables) && document.tables.length > 0),
      90_000,
      "photo, voice note and document read",
    );
    const photoText = comms.messages.find((m) => m.topic === "debug" && m.data.name === "photo text")?.data.msg;
    assert.match(String(photoText), /TOTAL R\$ 50,50/);
    assert.equal(shown("voice note text")[0].text, "where is my order");
    // The stock list (CSV) and the invoice (PDF) are both documents: find the CSV by its table.
    const stockList = shown("document text").find((document) => Array.isArray(document.tables) && document.tables.length > 0);
    assert.deepEqual((stockList?.tables as { rows: string[][] }[])[0].rows[1], ["Café em grãos 1kg", "12", "59,90"]);
    assert.ok(seen("text right away"), "text went straight on");
    await waitFor(() => shown("stored media").length >= 3, 30_000, "three media stored in the gallery");
    assert.ok(
      shown("stored media").some((entry) => (entry.thumbnail as { mimetype?: string } | undefined)?.mimetype === "image/jpeg"),
      "the photo got a thumbnail",
    );
    assert.deepEqual(shown("errors"), [], "no pipeline errors");
    comms.close();
  });

  it("deploys every example together without a runtime error", async () => {
    assert.ok(runtime, "runtime started");
    const names = readdirSync(join(repoRoot, "examples")).map((file) => file.replace(/\.json$/, ""));
    const flows: Record<string, unknown>[] = [];
    for (const [index, name] of names.entries()) {
      const nodes = await getJson<Record<string, unknown>[]>(`${runtime.url}/library/examples/flows/${pkg.name}/${name}`);
      const tab = `e2etab${String(index).padStart(10, "0")}`;
      flows.push({ id: tab, type: "tab", label: name });
      for (const node of nodes)
        flows.push(String(node.type).startsWith("wa-client") || node.type === "wa-store" ? node : { ...node, z: tab });
    }
    const logStart = runtime.logs.length;
    const comms = listenToComms(runtime.url);
    await comms.opened;
    const deploy = await fetch(`${runtime.url}/flows`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full", "Node-RED-API-Version": "v2" },
      body: JSON.stringify({ flows }),
    });
    assert.equal(deploy.status, 200, await deploy.text());
    await waitFor(() => runtime!.logs.slice(logStart).some((line) => line.includes("Started flows")), 30_000, "flows started");
    // The Cloud API example needs the user's own Meta credentials; without them it must say so, and only that.
    const needsAccount = (line: string) =>
      /\[wa-client:Cloud API number\] .*needs an access token/.test(line) ||
      /\[wa-sheets-(write|read):.*\] .*Paste the service account's JSON key/.test(line);
    // Running, not just started: the simulated chats have reached several examples' debug nodes.
    const debugNodes = () => new Set(comms.messages.filter((m) => m.topic === "debug").map((m) => String(m.data.id)));
    await waitFor(
      () => debugNodes().size >= 5 && runtime!.logs.slice(logStart).some(needsAccount),
      60_000,
      "messages through five examples' debug nodes",
    );
    comms.close();
    const logged = runtime.logs.slice(logStart);
    assert.ok(logged.some(needsAccount), "the examples that need an account say what they need");
    const problems = logged.filter(
      (line) => /\[(error|warn)\]/.test(line) && !/Encrypted credentials not found/.test(line) && !needsAccount(line),
    );
    assert.deepEqual(problems, [], "no errors or warnings while the examples run");
  });
});
