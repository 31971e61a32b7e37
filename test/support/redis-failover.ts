import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisStore } from "../../src/core/store/redis-store";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import { emulatorSheetsNode, linkedUserDir, repoRoot, scriptedClientNode, startNodeRed, waitFor } from "../e2e/runtime";
import { askServer, startSentinelSet } from "./redis-servers";

// A stream of chat messages through a durable queue, a lock and a Sheets write on Redis Sentinel, in a real
// Node-RED; the Redis primary is killed (kill -9) in the middle and Sentinel promotes the replica. Counts what
// was lost, written twice, delivered again and refused, and how long nothing was acknowledged. Used by the
// end-to-end test and by npm run bench.

export interface FailoverOptions {
  /** Replicas that must confirm a message before the queue accepts it (the store's setting); 0 does not wait. */
  waitReplicas: number;
  messages: number;
  chats: number;
  /** Messages a second the simulator sends. */
  rate: number;
  /** The primary is killed once this many rows are in the sheet. */
  killAfterRows: number;
  timeoutMs?: number;
}

export interface FailoverResult {
  waitReplicas: number;
  sent: number;
  /** Taken in by the queue as safe (done, no error), before or after the kill. */
  accepted: number;
  /** Stored and queued, but reported to the sender as not safe (store.notReplicated: too few replicas had it). */
  unconfirmed: number;
  /** Of those, written to the sheet all the same. */
  unconfirmedWritten: number;
  /** Not stored at all: the queue could not reach a primary (store.disconnected to the Catch node); a sender retries these. */
  notStored: number;
  /** Errors after the queue (lock, release, ack) that reached the Catch node, by code; the queue delivers those again. */
  pipelineErrors: Record<string, number>;
  rows: number;
  duplicateRows: number;
  /** Accepted messages with no row once the queue is empty: what the failover lost. */
  lost: number;
  lostSample: string[];
  /** Messages acknowledged on a second or later delivery. */
  redelivered: number;
  /** The longest time without an acknowledgement from the kill on (the pipeline stalled). */
  pauseMs: number;
  /** From the kill to Sentinel naming the replica as primary. */
  promotedAfterMs: number;
  /** From the kill to the old primary, restarted, serving as the new primary's replica. */
  rejoinedAfterMs: number;
  seconds: number;
}

interface Line {
  id: string;
  code?: string;
  node?: string;
  count?: number;
  at?: number;
}

function readLines(file: string): Line[] {
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Line)
    : [];
}

const SPREADSHEET = "failover-spreadsheet-0001";
const scriptId = (id: string) => id.replace(/^.*?(msg\d+)$/, "$1");

/**
 * The pipeline's pause at the failover: the longest time without an ack from the kill on (counted
 * from the last ack before it). An ack just after the kill can be a command answered before the
 * socket died, so the first ack after the kill does not tell when processing went on.
 */
function longestStall(acks: Line[], killedAt: number): number {
  const times = acks.map((ack) => ack.at ?? 0).sort((a, b) => a - b);
  const before = times.filter((at) => at <= killedAt).at(-1) ?? killedAt;
  const after = times.filter((at) => at > killedAt);
  let longest = 0;
  let previous = before;
  for (const at of after) {
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return longest;
}

function byCode(lines: Line[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) counts[line.code ?? "unknown"] = (counts[line.code ?? "unknown"] ?? 0) + 1;
  return counts;
}

function flow(dir: string, apiRoot: string, store: Record<string, unknown>): Record<string, unknown>[] {
  const z = "failover-tab";
  const log = (id: string, file: string, entry: string, wires: string[][] = [[]]) => ({
    id,
    z,
    type: "function",
    func: `global.get("appendLineSync")(${JSON.stringify(join(dir, file))}, JSON.stringify(${entry})); return msg;`,
    outputs: 1,
    wires,
  });
  return [
    { id: z, type: "tab", label: "Redis failover" },
    { id: "store1", type: "wa-store", name: "", ...store },
    emulatorSheetsNode("sheets1", SPREADSHEET, apiRoot),
    scriptedClientNode("sim1", join(dir, "stream.jsonl"), { speed: "1", maxGap: "1", stagger: "0", startDelay: "0.5" }),
    { id: "in1", z, type: "wa-in", client: "sim1", includeGroups: true, types: "all", wires: [["queue1"]] },
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
      ackTimeout: "5",
      maxDeliveries: "50",
      outputs: 2,
      wires: [["lock1"], ["refusedLog1"]],
    },
    log("refusedLog1", "refused.log", "{ id: msg.wa.message.id, code: msg.error && msg.error.code }"),
    {
      id: "lock1",
      z,
      type: "wa-session-lock",
      store: "store1",
      mode: "acquire",
      lockName: "rows",
      key: "wa.message.chatId",
      ttl: 30,
      wait: 10,
      onTimeout: "output",
      wires: [["write1"], []],
    },
    {
      id: "write1",
      z,
      type: "wa-sheets-write",
      sheets: "sheets1",
      range: "Log!A1",
      columns: "wa.message.id, wa.message.chatId, payload",
      windowMs: 100,
      maxRows: 20,
      giveUpMinutes: 15,
      wires: [["unlock1"], []],
    },
    { id: "unlock1", z, type: "wa-session-lock", store: "store1", mode: "release", lockName: "rows", wires: [["ack1"]] },
    { id: "ack1", z, type: "wa-message-queue", store: "store1", mode: "ack", queueName: "rows", outputs: 1, wires: [["ackLog1"]] },
    log("ackLog1", "acked.log", "{ id: msg.wa.message.id, count: msg.wa.session.queue.deliveryCount, at: Date.now() }"),
    { id: "accepted1", z, type: "complete", scope: ["queue1"], uncaught: false, wires: [["acceptedLog1"]] },
    log("acceptedLog1", "accepted.log", "{ id: msg.wa.message.id }"),
    { id: "catch1", z, type: "catch", scope: null, uncaught: false, wires: [["errorLog1"]] },
    log(
      "errorLog1",
      "errors.log",
      "{ id: msg.wa && msg.wa.message ? msg.wa.message.id : '', code: msg.error && msg.error.code, node: msg.error && msg.error.source && msg.error.source.id }",
    ),
  ];
}

export async function runRedisFailover(options: FailoverOptions): Promise<FailoverResult> {
  const dir = mkdtempSync(join(tmpdir(), "wa-failover-"));
  const set = await startSentinelSet();
  const emulator = new SheetsEmulator();
  emulator.model.create(SPREADSHEET, "Failover", [{ title: "Log", rowCount: options.messages * 2 + 100, columnCount: 5 }]);
  await emulator.start();
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string };
  const userDir = join(dir, "userdir");
  linkedUserDir(
    userDir,
    pkg.name,
    `  functionGlobalContext: { appendLineSync: (file, line) => require("fs").appendFileSync(file, line + "\\n") },`,
  );
  const stream = Array.from({ length: options.messages }, (_, i) => {
    const chat = `44770091${String(i % options.chats).padStart(4, "0")}@c.us`;
    return JSON.stringify({
      id: `msg${i}`,
      conversation: chat,
      chat,
      from: chat,
      timestamp: 1_800_000_000 + i / options.rate,
      text: `order ${i}`,
    });
  });
  writeFileSync(join(dir, "stream.jsonl"), stream.join("\n"));
  writeFileSync(join(userDir, "flows.json"), "[]");
  const keyPrefix = "wa-failover:";
  const storeSettings = {
    backend: "redis-sentinel",
    sentinels: set.sentinelAddresses.map((a) => `${a.host}:${a.port}`).join(", "),
    primaryName: set.primaryName,
    keyPrefix,
    waitReplicas: options.waitReplicas,
    waitTimeout: 1000,
  };
  const runtime = await startNodeRed(userDir);
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const watcher = new RedisStore({
    topology: { kind: "sentinel", sentinels: set.sentinelAddresses, primaryName: set.primaryName, sentinelPassword: set.sentinelPassword },
    password: set.password,
    keyPrefix,
  });
  try {
    const flows = flow(dir, emulator.url, storeSettings).map((node) =>
      node.id === "sheets1"
        ? { ...node, credentials: { key: JSON.stringify(emulator.createServiceAccount("failover")) } }
        : node.id === "store1"
          ? { ...node, credentials: { password: set.password, sentinelPassword: set.sentinelPassword } }
          : node,
    );
    const deploy = await fetch(`${runtime.url}/flows`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
      body: JSON.stringify(flows),
    });
    if (deploy.status !== 204) throw new Error(`deploy failed: ${deploy.status} ${await deploy.text()}`);
    const rowIds = () => (emulator.model.get(SPREADSHEET, "Log!A:A").values ?? []).map((row) => String(row[0]));

    await waitFor(() => rowIds().length >= options.killAfterRows, timeoutMs, `${options.killAfterRows} rows before the kill`);
    const killedAt = Date.now();
    await set.primary.kill("SIGKILL");
    await waitFor(
      async () => (await set.currentPrimaryPort().catch(() => 0)) === set.replica.port,
      30_000,
      "Sentinel to promote the replica",
    );
    const promotedAfterMs = Date.now() - killedAt;
    // As an operator (or a supervisor) would: the dead server comes back as the replica of the primary Sentinel names.
    // Left to itself Sentinel converts a returning primary on its second look at it (every 10 s), which took from
    // 17 s to over 60 s on a loaded 2-core machine; that is Sentinel's pace, not what this test is about.
    set.primary.start(["--replicaof", "127.0.0.1", String(set.replica.port)]);
    await waitFor(
      async () =>
        /role:slave[\s\S]*master_link_status:up/.test(
          String(await askServer(set.primary.port, set.password, "INFO", "replication").catch(() => "")),
        ),
      60_000,
      "the old primary to rejoin as a replica",
    );
    const rejoinedAfterMs = Date.now() - killedAt;

    const handled = () => {
      // A message the queue could not even try to store (Redis gone mid-enqueue) goes to the Catch node.
      const seen = new Set(
        ["accepted", "refused", "errors"].flatMap((name) => readLines(join(dir, `${name}.log`))).map((line) => scriptId(line.id)),
      );
      return seen.size;
    };
    await waitFor(() => handled() >= options.messages, timeoutMs, "every sent message accepted or refused");
    await waitFor(
      async () => {
        let waiting = 0;
        for (const chat of await watcher.keys("wa:q:rows:chat:")) waiting += await watcher.listLength(chat);
        return waiting === 0;
      },
      timeoutMs,
      "the queue empty on the promoted replica",
    );

    const refused = readLines(join(dir, "refused.log"));
    const notStored = new Set(
      readLines(join(dir, "errors.log"))
        .filter((line) => line.node === "queue1")
        .map((line) => line.id),
    );
    const refusedIds = new Set(refused.map((line) => line.id));
    const unconfirmed = new Set(refused.filter((line) => line.code === "store.notReplicated").map((line) => line.id));
    const accepted = new Set(
      readLines(join(dir, "accepted.log"))
        .map((line) => line.id)
        .filter((id) => !refusedIds.has(id) && !notStored.has(id)),
    );
    const rows = rowIds();
    const distinct = new Set(rows);
    const acks = readLines(join(dir, "acked.log"));
    const lost = [...accepted].filter((id) => !distinct.has(id));
    return {
      waitReplicas: options.waitReplicas,
      sent: options.messages,
      accepted: accepted.size,
      unconfirmed: unconfirmed.size,
      unconfirmedWritten: [...unconfirmed].filter((id) => distinct.has(id)).length,
      notStored: notStored.size,
      pipelineErrors: byCode(readLines(join(dir, "errors.log")).filter((line) => line.node !== "queue1")),
      rows: rows.length,
      duplicateRows: rows.length - distinct.size,
      lost: lost.length,
      lostSample: lost.slice(0, 10),
      redelivered: new Set(acks.filter((ack) => (ack.count ?? 1) > 1).map((ack) => ack.id)).size,
      pauseMs: longestStall(acks, killedAt),
      promotedAfterMs,
      rejoinedAfterMs,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } catch (error) {
    const counts = ["accepted", "refused", "errors", "acked"].map((name) => `${name} ${readLines(join(dir, `${name}.log`)).length}`);
    const logs = runtime.logs
      .filter((line) => !/^\s*$/.test(line))
      .slice(-40)
      .join("\n");
    throw new Error(
      `${(error as Error).message} (${counts.join(", ")})\nNode-RED's last lines:\n${logs}\nRedis and Sentinel (primary ${set.primary.port}, replica ${set.replica.port}):\n${set.logs(25)}`,
      { cause: error },
    );
  } finally {
    await runtime.stop();
    await watcher.close();
    await emulator.stop();
    await set.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
