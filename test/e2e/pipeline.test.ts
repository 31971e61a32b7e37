import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock";
import { ServiceAccountTokens, readServiceAccountKey } from "../../src/core/sheets/service-account";
import { RunningNodeRed, linkedUserDir, listenToComms, repoRoot, startNodeRed, waitFor } from "./runtime";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  "node-red": { nodes: Record<string, string> };
};
const CONFIG_TYPES = ["wa-client", "wa-store", "wa-sheets"];

interface FlowNode {
  id: string;
  type: string;
  name?: string;
}

/**
 * The bundled five-stage pipeline as a user gets it: imported into a Node-RED with default settings and
 * deployed, with no account and nothing else started. The simulator's photo chats play: a photo of a
 * receipt, a voice note, a stock list, text at the same time.
 */
describe("the five-stage pipeline example, deployed as imported, in a real Node-RED", function () {
  this.timeout(300_000);
  let dir: string;
  let runtime: RunningNodeRed | undefined;
  const nodes = JSON.parse(readFileSync(join(repoRoot, "examples", "five-stage-pipeline.json"), "utf8")) as FlowNode[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wa-pipeline-"));
    const userDir = join(dir, "userdir");
    linkedUserDir(userDir, pkg.name);
    writeFileSync(join(userDir, "flows.json"), "[]");
    runtime = await startNodeRed(userDir);
  });
  after(async () => {
    await runtime?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds every node type of the pack, in five groups named by stage", () => {
    const types = new Set(nodes.map((node) => node.type));
    assert.deepEqual(
      Object.keys(pkg["node-red"].nodes).filter((type) => !types.has(type)),
      [],
      "node types missing from the pipeline",
    );
    assert.deepEqual(
      nodes
        .filter((node) => node.type === "group")
        .map((node) => node.name)
        .sort(),
      [
        "1 · Session management",
        "2 · Conversation intelligence",
        "3 · Media intelligence",
        "4 · Error handling and resilience",
        "5 · Performance",
      ],
    );
  });

  it("answers the simulated chats through all five stages: the photo read, the voice note heard, every message a row once", async () => {
    const tab = { id: "pipeline-tab-0001", type: "tab", label: "five-stage pipeline" };
    const flows = [tab, ...nodes.map((node) => (CONFIG_TYPES.includes(node.type) ? node : { ...node, z: tab.id }))];
    const logStart = runtime!.logs.length;
    const comms = listenToComms(runtime!.url);
    await comms.opened;
    try {
      const deploy = await fetch(`${runtime!.url}/flows`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full", "Node-RED-API-Version": "v2" },
        body: JSON.stringify({ flows }),
      });
      assert.equal(deploy.status, 200, await deploy.text());
      const debugName = new Map(nodes.filter((node) => node.type === "debug").map((node) => [node.id, node.name ?? ""]));
      const shown = (name: string) =>
        comms.messages
          .filter((message) => message.topic === "debug" && debugName.get(String(message.data.id)) === name)
          .map((message) => String((message.data as { msg?: unknown }).msg));
      // The replies carry what stage 3 read and what stage 2 understood; wa.sent is what the paced sender sent.
      const replies = () => shown("replies sent").join("\n");
      await waitFor(() => shown("replies sent").length >= 4, 120_000, "four replies sent").catch((error: Error) => {
        throw new Error(`${error.message}; errors: ${JSON.stringify(shown("failures given up")).slice(0, 400)}`);
      });
      // Rows are written in batches after the reply: wait for the photo's and the voice note's.
      let rows: string[][] = [];
      const hasRow = (type: string) => rows.some((row) => row[2] === type);
      await waitFor(
        async () => {
          rows = await rowsOfLog();
          return hasRow("image") && hasRow("ptt") && hasRow("chat");
        },
        120_000,
        "rows for the photo, the voice note and a text",
      ).catch((error: Error) => {
        throw new Error(`${error.message}; rows:\n${rows.map((row) => row.join(" | ")).join("\n")}\nreplies:\n${replies()}`);
      });
      const ids = rows.map((row) => String(row[0]));
      assert.equal(new Set(ids).size, ids.length, "each message a row once");
      assert.match(replies(), /I read your photo|I heard/, "a reply says what stage 3 read");
      const logged = runtime!.logs.slice(logStart);
      const problems = logged.filter((line) => /\[(error|warn)\]/.test(line));
      assert.deepEqual(problems, [], "no error or warning in the log");
      assert.deepEqual(shown("failures given up"), []);
      console.log(`      ${shown("replies sent").length} replies, ${rows.length} rows in the demo sheet; replies:`);
      for (const reply of shown("replies sent").slice(0, 6)) console.log(`        ${reply.slice(0, 140)}`);
    } finally {
      comms.close();
    }
  });
});

/** The demo Sheets server's Log sheet, read as any client would: with a service account it trusts. */
async function rowsOfLog(): Promise<string[][]> {
  const key = await (await fetch("http://127.0.0.1:8085/emulator/key")).text();
  const tokens = new ServiceAccountTokens(readServiceAccountKey(key), systemClock);
  const answer = await fetch(`http://127.0.0.1:8085/v4/spreadsheets/demo-spreadsheet-0001/values/${encodeURIComponent("Log!A:E")}`, {
    headers: { Authorization: await tokens.header() },
  });
  assert.equal(answer.status, 200, await answer.clone().text());
  return ((await answer.json()) as { values?: string[][] }).values ?? [];
}
