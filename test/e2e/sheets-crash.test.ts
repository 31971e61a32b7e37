import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/core/store/sqlite-store";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import { RunningNodeRed, emulatorSheetsNode, linkedUserDir, repoRoot, scriptedClientNode, startNodeRed, waitFor } from "./runtime";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string };
const MESSAGES = 300;
const SPREADSHEET = "crash-spreadsheet-0001";

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Simulated stream -> durable queue (SQLite) -> sheets write -> ack; the emulator runs in this process. */
function pipeline(dir: string, apiRoot: string, withSource: boolean): Record<string, unknown>[] {
  const z = "sheets-crash-tab";
  const flow: Record<string, unknown>[] = [
    { id: z, type: "tab", label: "sheets crash" },
    { id: "store1", type: "wa-store", name: "", backend: "sqlite", file: "sheets-crash.db", synchronous: "FULL" },
    emulatorSheetsNode("sheets1", SPREADSHEET, apiRoot),
    {
      id: "queue1",
      z,
      type: "wa-message-queue",
      store: "store1",
      mode: "enqueue",
      queueName: "rows",
      key: "wa.message.chatId",
      maxPerChat: "1000",
      maxTotal: "100000",
      overflow: "reject",
      ackTimeout: "60",
      maxDeliveries: "10",
      outputs: 2,
      wires: [["write1"], []],
    },
    {
      id: "write1",
      z,
      type: "wa-sheets-write",
      sheets: "sheets1",
      range: "Log!A1",
      columns: "wa.message.id, wa.message.chatId, payload",
      windowMs: 200,
      maxRows: 20,
      giveUpMinutes: 15,
      wires: [["ack1"], []],
    },
    { id: "ack1", z, type: "wa-message-queue", store: "store1", mode: "ack", queueName: "rows", outputs: 1, wires: [[]] },
    // The witness of acceptance is written synchronously when the queue says it has the message: a file node's
    // buffered append could still be pending at the kill and lose a line the queue really had.
    { id: "accepted1", z, type: "complete", scope: ["queue1"], uncaught: false, wires: [["acceptedLog1"]] },
    {
      id: "acceptedLog1",
      z,
      type: "function",
      func: `global.get("appendLineSync")(${JSON.stringify(join(dir, "accepted.log"))}, msg.wa.message.id); return null;`,
      outputs: 1,
      wires: [[]],
    },
    { id: "catch1", z, type: "catch", scope: null, uncaught: false, wires: [["errorsLine1"]] },
    {
      id: "errorsLine1",
      z,
      type: "change",
      rules: [{ t: "set", p: "payload", pt: "msg", to: "error.message", tot: "msg" }],
      wires: [["errorsFile1"]],
    },
    {
      id: "errorsFile1",
      z,
      type: "file",
      name: "",
      filename: join(dir, "errors.log"),
      filenameType: "str",
      appendNewline: true,
      createDir: true,
      overwriteFile: "false",
      encoding: "none",
      wires: [[]],
    },
  ];
  if (withSource) {
    flow.push(
      scriptedClientNode("sim1", join(dir, "stream.jsonl"), { speed: "1000", maxGap: "0.05", stagger: "0.01", startDelay: "0.5" }),
      { id: "in1", z, type: "wa-in", client: "sim1", includeGroups: true, types: "all", wires: [["queue1"]] },
    );
  }
  return flow;
}

describe("kill -9 while rows are being written to Google Sheets (durable queue, emulator)", function () {
  this.timeout(180_000);
  let dir: string;
  let runtime: RunningNodeRed | undefined;
  let emulator: SheetsEmulator;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wa-sheets-crash-"));
    emulator = new SheetsEmulator();
    emulator.model.create(SPREADSHEET, "Crash", [{ title: "Log", rowCount: 2000, columnCount: 5 }]);
    await emulator.start();
  });
  after(async () => {
    await runtime?.stop();
    await emulator.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("after the restart every message is a row exactly once: rows written but not acknowledged at the kill are recognised, not written again", async () => {
    const userDir = join(dir, "userdir");
    linkedUserDir(
      userDir,
      pkg.name,
      `  functionGlobalContext: { appendLineSync: (file, line) => require("fs").appendFileSync(file, line + "\\n") },`,
    );
    const stream = Array.from({ length: MESSAGES }, (_, i) => {
      const chat = `44770090${String(i % 30).padStart(4, "0")}@c.us`;
      return JSON.stringify({
        id: `row${String(i).padStart(4, "0")}`,
        conversation: chat,
        chat,
        from: chat,
        timestamp: 1_800_000_000 + i,
        text: `order ${i}`,
      });
    });
    writeFileSync(join(dir, "stream.jsonl"), stream.join("\n"));
    writeFileSync(join(userDir, "flows.json"), "[]");
    runtime = await startNodeRed(userDir);

    // Deployed as the editor does it, so the key goes into Node-RED's encrypted credentials.
    const flows = pipeline(dir, emulator.url, true).map((node) =>
      node.id === "sheets1" ? { ...node, credentials: { key: JSON.stringify(emulator.createServiceAccount("crash")) } } : node,
    );
    const deploy = await fetch(`${runtime.url}/flows`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
      body: JSON.stringify(flows),
    });
    assert.equal(deploy.status, 204, await deploy.text());

    const rowsInSheet = () => (emulator.model.get(SPREADSHEET, "Log!A:A").values ?? []).map((row) => String(row[0]));
    await waitFor(() => rowsInSheet().length >= 60, 60_000, "60 rows written before the kill");
    // From now on a write lands but its answer is lost: the rows are in the sheet, the queue has not been told.
    emulator.setFaults({ lostAnswerShare: 1 });
    const before = rowsInSheet().length;
    await waitFor(() => rowsInSheet().length > before, 30_000, "a batch landed whose answer was lost");
    await runtime.killHard();
    emulator.setFaults({});
    const atKill = rowsInSheet().length;

    // Restart without the source: only what the queue kept can be written now.
    writeFileSync(join(userDir, "flows.json"), JSON.stringify(pipeline(dir, emulator.url, false)));
    runtime = await startNodeRed(userDir);
    // Accepted: stored by the durable queue before the kill (the queue's Complete node logged it).
    const accepted = new Set(lines(join(dir, "accepted.log")));
    const sent = new Set(stream.map((line) => (JSON.parse(line) as { id: string }).id));
    assert.ok(accepted.size > atKill, `killed mid-stream: ${atKill} rows of ${accepted.size} accepted messages`);
    await waitFor(
      () => [...accepted].every((id) => new Set(rowsInSheet()).has(id)) || lines(join(dir, "errors.log")).length > 0,
      90_000,
      "every accepted message written after the restart",
    );
    // Once the durable queue holds no message no second write can come. The store itself is the witness: a line
    // logged after each ack could be lost at the kill for an ack the store already had, and never come again.
    const queueStore = new SqliteStore({ file: join(userDir, "sheets-crash.db") });
    try {
      let waiting = -1;
      await waitFor(
        async () => {
          // Ids in line, not stored items: an item stored when the kill cut its enqueue short was never accepted,
          // and is swept a minute later.
          waiting = 0;
          for (const chat of await queueStore.keys("wa:q:rows:chat:")) waiting += await queueStore.listLength(chat);
          return waiting === 0 || lines(join(dir, "errors.log")).length > 0;
        },
        90_000,
        "the durable queue empty (every accepted message acknowledged)",
      );
    } finally {
      await queueStore.close();
    }
    const keys = rowsInSheet();
    const unique = new Set(keys);
    assert.deepEqual(lines(join(dir, "errors.log")), [], "no pipeline errors");
    assert.equal(keys.length, unique.size, `no row twice (${keys.length} rows, ${unique.size} distinct)`);
    assert.deepEqual(
      [...accepted].filter((id) => !unique.has(id)),
      [],
      "no accepted message missing",
    );
    // The simulator gives each delivered message its own id ending in the script's id.
    assert.deepEqual(
      [...unique].filter((id) => !sent.has(id.replace(/^.*?(row\d+)$/, "$1"))),
      [],
      "nothing in the sheet that was not sent",
    );
    console.log(
      `      ${accepted.size} messages accepted, ${atKill} rows in the sheet at the kill (the last batch unacknowledged), ${keys.length} after the restart, each once; ${emulator.counts.byMethod["values.append"]} appends, ${emulator.counts.byMethod["values.get"] ?? 0} key checks`,
    );
  });
});
