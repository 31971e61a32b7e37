import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_SPREADSHEET_ID, seedDemoSpreadsheet } from "../../src/emulator/demo";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import { RunningNodeRed, linkedUserDir, repoRoot, startNodeRed, waitFor } from "../e2e/runtime";

// Many simulated chats at once through the bundled five-stage pipeline in a real Node-RED on the embedded
// store: every reply in its chat's order, every message a row exactly once, nothing lost; optionally a
// SIGTERM in the middle and a restart. Used by the end-to-end test (small) and by npm run bench (1,000 chats).

interface FlowNode {
  id: string;
  type: string;
  name?: string;
  wires?: string[][];
  [key: string]: unknown;
}

export interface StressOptions {
  chats: number;
  messagesPerChat: number;
  /** SIGTERM once this many replies went out, then a restart with the same user directory. */
  sigtermAfterReplies?: number;
  /** Google Sheets answers 503 to everything for `seconds` once this many replies went out. */
  sheetsOutage?: { afterReplies: number; seconds: number };
  timeoutMs?: number;
}

export interface StressResult {
  chats: number;
  messages: number;
  /** Messages the durable queue took in (all of them unless a SIGTERM stopped the simulator first). */
  accepted: number;
  replies: number;
  duplicateReplies: number;
  rows: number;
  duplicateRows: number;
  /** Up to 10 message ids with more than one row (to tell a retried append from a redelivery). */
  duplicateRowSample: string[];
  /** Accepted messages without a reply or without a row at the end. */
  lost: number;
  chatsOutOfOrder: number;
  seconds: number;
  messagesPerSecond: number;
  replyLatencyMs: { p50: number; p99: number; max: number };
  peakRssMb: number;
  restarted: boolean;
  drainLog: string[];
  /** The pack's warnings after the restart (up to 5): redeliveries and restored replies should pass quietly. */
  warningsAfterRestart: string[];
  /** Seen in the pipeline's state during the run: the Sheets breaker's states, the most dead letters per dead-letter node. */
  breakerStates: string[];
  mostDeadLetters: Record<string, number>;
}

const TEXTS = [
  "hi there",
  "I'd like to order 3 pizzas for tonight",
  "where is my order BR-20931?",
  "the delivery was late again, not happy",
  "can I speak to a person please",
  "do you have green tea?",
  "thanks a lot!",
  "2 loaves for pickup tomorrow at 9",
  "my address is 12 Baker Street",
  "ok see you",
];

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The bundled flow as a user tunes it for load: faster pacing, bigger Sheets batches, quiet debug nodes, plus the test's witnesses. */
function stressFlow(dir: string, apiRoot: string, key: string, outage: boolean): FlowNode[] {
  const tab = { id: "stress-tab", type: "tab", label: "five-stage pipeline under load" };
  const nodes = JSON.parse(readFileSync(join(repoRoot, "examples", "five-stage-pipeline.json"), "utf8")) as FlowNode[];
  const queue = nodes.find((node) => node.type === "wa-message-queue" && node.mode === "enqueue")!;
  const send = nodes.find((node) => node.type === "wa-batch-send")!;
  const tuned = nodes.map((node): FlowNode => {
    switch (node.type) {
      case "wa-client":
        return {
          ...node,
          source: "file",
          scriptPath: join(dir, "stress.jsonl"),
          speed: "1",
          maxGap: "1",
          stagger: "0",
          startDelay: "1",
          loop: false,
          // What the customers received, written by the simulator itself before a send counts as done.
          transcript: join(dir, "sent.jsonl"),
        };
      case "wa-sheets":
        return {
          ...node,
          server: "google",
          apiRoot,
          spreadsheetId: DEMO_SPREADSHEET_ID,
          credentials: { key },
          ...(outage ? { resetSeconds: 2 } : {}),
        };
      case "wa-sheets-write":
        // In an outage rows give up after 6 s and go to the dead letters, which retry them every 2 s.
        return { ...node, maxRows: 500, ...(outage ? { giveUpMinutes: 0.1 } : {}) };
      case "wa-dead-letter":
        return outage ? { ...node, backoffSeconds: 2, maxBackoffMinutes: 0.1, checkSeconds: 1, maxAttempts: 20 } : node;
      case "wa-batch-send":
        return { ...node, gapMin: 0, gapMax: 0, globalPerSecond: 1000, typing: false };
      case "wa-message-queue":
        return { ...node, maxPerChat: "1000", maxTotal: "100000" };
      case "wa-parallel":
        return { ...node, maxWaiting: "100000" };
      case "debug":
        return { ...node, active: false };
      default:
        return node;
    }
  });
  const appendLine = (file: string, expression: string) =>
    `global.get("appendLineSync")(${JSON.stringify(join(dir, file))}, ${expression}); return null;`;
  const witnesses: FlowNode[] = [
    // Acceptance is written synchronously when the durable queue says it has the message.
    { id: "stress-accepted", type: "complete", scope: [queue.id], uncaught: false, wires: [["stress-accepted-log"]] },
    { id: "stress-accepted-log", type: "function", func: appendLine("accepted.log", "msg.wa.message.id"), outputs: 1, wires: [[]] },
    {
      // Reply latencies (the replies themselves are in the simulator's transcript).
      id: "stress-reply-log",
      type: "function",
      func: `if (!msg.wa.sent) return null; ${appendLine("latency.log", "Date.now() - msg.wa.message.receivedAt")}`,
      outputs: 1,
      wires: [[]],
    },
  ];
  const flow = [...tuned, ...witnesses].map((node) =>
    node.id === send.id ? { ...node, wires: [[...(node.wires?.[0] ?? []), "stress-reply-log"]] } : node,
  );
  return [tab, ...flow.map((node) => (["wa-client", "wa-store", "wa-sheets"].includes(node.type) ? node : { ...node, z: tab.id }))];
}

/** Chat index and message number from a simulator message id (`sim-<round>-s<chat>-<n>`). */
function parseId(id: string): { chat: number; n: number } | undefined {
  const match = /-s(\d+)-(\d+)$/.exec(id);
  return match ? { chat: Number(match[1]), n: Number(match[2]) } : undefined;
}

export async function runPipelineStress(options: StressOptions): Promise<StressResult> {
  const { chats, messagesPerChat } = options;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const dir = mkdtempSync(join(tmpdir(), "wa-pipeline-stress-"));
  const emulator = new SheetsEmulator();
  seedDemoSpreadsheet(emulator);
  await emulator.start();
  let runtime: RunningNodeRed | undefined;
  const drainLog: string[] = [];
  let peakRssMb = 0;
  try {
    const userDir = join(dir, "userdir");
    linkedUserDir(
      userDir,
      JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).name,
      `  functionGlobalContext: { appendLineSync: (file, line) => require("fs").appendFileSync(file, line + "\\n") },
  waPipeline: { drainSeconds: 5 },`,
    );
    const script: string[] = [];
    for (let n = 1; n <= messagesPerChat; n += 1) {
      for (let chat = 0; chat < chats; chat += 1) {
        const chatId = `4477${String(chat).padStart(8, "0")}@c.us`;
        script.push(
          JSON.stringify({
            id: `s${chat}-${n}`,
            conversation: `c${chat}`,
            chat: chatId,
            from: chatId,
            timestamp: 1_800_000_000 + n,
            text: TEXTS[(chat + n) % TEXTS.length],
          }),
        );
      }
    }
    writeFileSync(join(dir, "stress.jsonl"), script.join("\n"));
    writeFileSync(join(userDir, "flows.json"), "[]");
    runtime = await startNodeRed(userDir);
    const flows = stressFlow(
      dir,
      emulator.url,
      JSON.stringify(emulator.createServiceAccount("stress")),
      options.sheetsOutage !== undefined,
    );
    const started = Date.now();
    const deploy = await fetch(`${runtime.url}/flows`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
      body: JSON.stringify(flows),
    });
    assert.equal(deploy.status, 204, await deploy.text());
    const breakerStates: string[] = [];
    const mostDeadLetters: Record<string, number> = {};
    const watchState = async () => {
      type State = { nodes: { type: string; name: string; id: string; numbers: Record<string, number>; states: Record<string, string> }[] };
      const answer = await fetch(`${runtime!.url}/wa-pipeline/state`).catch(() => undefined);
      if (!answer?.ok) return;
      for (const node of ((await answer.json()) as State).nodes) {
        const breaker = node.states.breaker;
        if (breaker && breakerStates.at(-1) !== breaker) breakerStates.push(breaker);
        if (node.numbers.deadLetters !== undefined)
          mostDeadLetters[node.id] = Math.max(mostDeadLetters[node.id] ?? 0, node.numbers.deadLetters);
      }
    };
    const watchRss = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, rssMb(runtime?.pid ?? 0));
      void watchState();
    }, 250);
    // The simulator may be writing the last line as it is read: a line that does not parse yet is not counted.
    const replyIds = () =>
      lines(join(dir, "sent.jsonl")).flatMap((line) => {
        try {
          return [String((JSON.parse(line) as { quotedId?: unknown }).quotedId)];
        } catch {
          return [];
        }
      });
    const rowIds = () => (emulator.model.get(DEMO_SPREADSHEET_ID, "Log!A:A").values ?? []).map((row) => String(row[0]));
    let restarted = false;
    try {
      if (options.sheetsOutage !== undefined) {
        const { afterReplies, seconds } = options.sheetsOutage;
        await waitFor(() => replyIds().length >= afterReplies, timeoutMs, `${afterReplies} replies before the Sheets outage`);
        emulator.setFaults({ outages: [{ from: Date.now(), until: Date.now() + seconds * 1000 }] });
      }
      if (options.sigtermAfterReplies !== undefined) {
        const at = options.sigtermAfterReplies;
        await waitFor(() => replyIds().length >= at, timeoutMs, `${at} replies before the SIGTERM`);
        const before = runtime.logs.length;
        await runtime.stop();
        if (process.env.KEEP_STRESS_DIR) writeFileSync(join(dir, "first-run.log"), runtime.logs.join("\n"));
        drainLog.push(...runtime.logs.slice(before).filter((line) => /drain/.test(line)));
        // The customers' phones do not send again: the restarted simulator plays nothing.
        const saved = JSON.parse(readFileSync(join(userDir, "flows.json"), "utf8")) as FlowNode[];
        writeFileSync(
          join(userDir, "flows.json"),
          JSON.stringify(saved.map((node) => (node.type === "wa-client" ? { ...node, startDelay: "3600" } : node))),
        );
        runtime = await startNodeRed(userDir);
        restarted = true;
      }
      const accepted = () => new Set(lines(join(dir, "accepted.log")));
      const everyAcceptedDone = () => {
        const replied = new Set(replyIds());
        const rows = new Set(rowIds());
        const taken = accepted();
        const expected = restarted ? taken.size : chats * messagesPerChat;
        return taken.size >= expected && [...taken].every((id) => replied.has(id) && rows.has(id));
      };
      await waitFor(everyAcceptedDone, timeoutMs, "a reply and a row for every accepted message").catch((error: Error) => {
        const taken = accepted();
        const replied = new Set(replyIds());
        const rows = new Set(rowIds());
        throw new Error(
          `${error.message}: ${taken.size} accepted, ${[...taken].filter((id) => !replied.has(id)).length} without reply, ${[...taken].filter((id) => !rows.has(id)).length} without row; log:\n${runtime?.logs.slice(-30).join("\n")}`,
        );
      });
    } finally {
      clearInterval(watchRss);
    }
    const seconds = (Date.now() - started) / 1000;
    const warningsAfterRestart = restarted ? runtime.logs.filter((line) => /\[warn\] \[wa-/.test(line)).slice(0, 5) : [];
    const ids = replyIds();
    const latencies = lines(join(dir, "latency.log"))
      .map(Number)
      .sort((a, b) => a - b);
    const rows = rowIds();
    const taken = new Set(lines(join(dir, "accepted.log")));
    const replied = new Set(ids);
    const rowSet = new Set(rows);
    // A chat's replies, first sending of each message, must follow its message numbers.
    const firstSent = new Map<number, number[]>();
    for (const id of new Set(ids)) {
      const parsed = parseId(id);
      if (!parsed) continue;
      firstSent.set(parsed.chat, [...(firstSent.get(parsed.chat) ?? []), parsed.n]);
    }
    const chatsOutOfOrder = [...firstSent.values()].filter((ns) => ns.some((n, i) => i > 0 && n < ns[i - 1])).length;
    return {
      chats,
      messages: chats * messagesPerChat,
      accepted: taken.size,
      replies: ids.length,
      duplicateReplies: ids.length - replied.size,
      rows: rows.length,
      duplicateRows: rows.length - rowSet.size,
      duplicateRowSample: [...new Set(rows.filter((id, index) => rows.indexOf(id) !== index))].slice(0, 10),
      lost: [...taken].filter((id) => !replied.has(id) || !rowSet.has(id)).length,
      chatsOutOfOrder,
      seconds: Math.round(seconds * 10) / 10,
      messagesPerSecond: Math.round((replied.size / seconds) * 10) / 10,
      replyLatencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1) ?? 0 },
      peakRssMb: Math.round(peakRssMb),
      restarted,
      drainLog,
      warningsAfterRestart,
      breakerStates,
      mostDeadLetters,
    };
  } finally {
    await runtime?.stop();
    if (process.env.KEEP_STRESS_DIR && runtime) writeFileSync(join(dir, "last-run.log"), runtime.logs.join("\n"));
    await emulator.stop();
    if (process.env.KEEP_STRESS_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
