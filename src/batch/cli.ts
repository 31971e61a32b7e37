#!/usr/bin/env node
/**
 * Runs a flow headless over a JSONL file of messages and writes one JSON line per input with
 * what the flow produced (entities, intent, sentiment, flow, replies, errors):
 *   npx wapipe-batch --flow flows.json --input messages.jsonl [--output out.jsonl]
 *                    [--entry <node id>] [--concurrency 32] [--timeout 30] [--timings timings.json]
 * Node-RED itself is taken from where it is installed (the current folder, its parents, or
 * npm's global folder).
 */
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { BatchItem, parseBatchLine, prepareBatchFlow } from "./batch-input";
import { NodeTimings, formatTimings } from "./node-timings";

interface Options {
  flow: string;
  input: string;
  output?: string;
  entry?: string;
  concurrency: number;
  timeoutMs: number;
  timings?: string;
}

const QUIET_MS = 20;

const USAGE =
  "usage: wapipe-batch --flow FLOWS.json --input MESSAGES.jsonl [--output OUT.jsonl] [--entry NODE_ID] [--concurrency 32] [--timeout 30] [--timings TIMINGS.json]";

function parseArgs(argv: string[]): Options {
  const value = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const flow = value("flow");
  const input = value("input");
  if (!flow || !input) throw new Error(USAGE);
  const concurrency = Number(value("concurrency") ?? 32);
  const timeoutSeconds = Number(value("timeout") ?? 30);
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000)) throw new Error("--concurrency: 1 to 1000");
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 3600)) throw new Error("--timeout: 1 to 3600 seconds");
  return {
    flow: resolve(flow),
    input: resolve(input),
    output: value("output") ? resolve(value("output")!) : undefined,
    entry: value("entry"),
    concurrency,
    timeoutMs: timeoutSeconds * 1000,
    timings: value("timings") ? resolve(value("timings")!) : undefined,
  };
}

interface NodeRedRuntime {
  init(server: unknown, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): { receive(msg: unknown): void } | null };
  hooks: { add(name: string, hook: (event: Record<string, unknown>) => void): void; remove(name: string): void };
  util: { generateId(): string };
}

function loadNodeRed(): NodeRedRuntime {
  const tryFrom = (place: string): NodeRedRuntime | undefined => {
    try {
      return createRequire(place)("node-red") as NodeRedRuntime;
    } catch {
      return undefined;
    }
  };
  const local = tryFrom(join(process.cwd(), "noop.js")) ?? tryFrom(__filename);
  if (local) return local;
  // Only when there is no local Node-RED: asking npm costs a process start.
  let globalRoot: string | undefined;
  try {
    globalRoot = execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim();
  } catch {
    globalRoot = undefined;
  }
  const global = globalRoot === undefined ? undefined : tryFrom(join(globalRoot, "noop.js"));
  if (global) return global;
  throw new Error(
    "Node-RED was not found: run this where Node-RED is installed (npm install -g node-red, or in a folder with node-red in node_modules)",
  );
}

/** RED.start() resolves before the flow's nodes exist; they appear once every type is loaded. */
async function flowStarted(RED: NodeRedRuntime, entryTargets: string[]): Promise<void> {
  const seconds = Number(process.env.WAPIPE_BATCH_START_SECONDS ?? 60);
  const deadline = Date.now() + seconds * 1000;
  while (!entryTargets.every((id) => RED.nodes.getNode(id))) {
    if (Date.now() > deadline) {
      await RED.stop();
      throw new Error(
        `the flow did not start within ${seconds} s: are all its node types installed? (WAPIPE_BATCH_LOG=info shows Node-RED's log)`,
      );
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

interface DeliveredTo {
  id?: string;
  node?: { type?: string; name?: string; _expectedDoneCount?: number };
}

interface Collected {
  item: BatchItem;
  pending: number;
  nlu?: unknown;
  replies: string[];
  errors: { node: string; message: string }[];
  startedAt: number;
  finish?: () => void;
}

async function run(options: Options): Promise<void> {
  const packageRoot = resolve(__dirname, "..", "..");
  const pkg = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { name: string };
  const { flow, entryTargets } = prepareBatchFlow(JSON.parse(readFileSync(options.flow, "utf8")) as never, options.entry);
  const userDir = mkdtempSync(join(tmpdir(), "wapipe-batch-"));
  const link = join(userDir, "node_modules", ...pkg.name.split("/"));
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(packageRoot, link, "dir");
  writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "wapipe-batch", private: true }));
  writeFileSync(join(userDir, "flows.json"), JSON.stringify(flow));

  const RED = loadNodeRed();
  RED.init(createServer(), {
    userDir,
    flowFile: "flows.json",
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    credentialSecret: false,
    logging: { console: { level: process.env.WAPIPE_BATCH_LOG ?? "error" } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    editorTheme: { projects: { enabled: false } },
  });
  await RED.start();
  await flowStarted(RED, entryTargets);

  const running = new Map<string, Collected>();
  const of = (msg: unknown) => running.get(String((msg as { _batchId?: unknown } | undefined)?._batchId ?? ""));
  RED.hooks.add("postDeliver.wapipeBatch", (event) => {
    const entry = of(event.msg);
    if (entry) entry.pending += 1;
  });
  const settle = (entry: Collected, msg: unknown, node: DeliveredTo | undefined, error?: { message?: string }) => {
    const carried = msg as { wa?: { nlu?: unknown; sent?: unknown }; payload?: unknown };
    if (carried.wa?.nlu) entry.nlu = carried.wa.nlu;
    if (node?.node?.type === "wa-out" && carried.wa?.sent && typeof carried.payload === "string") entry.replies.push(carried.payload);
    if (error) entry.errors.push({ node: String(node?.id ?? ""), message: String(error.message ?? error) });
    entry.pending -= 1;
    if (entry.pending <= 0) entry.finish?.();
  };
  // Nodes whose input handler takes (msg) alone (switch, change and other older core nodes) never
  // report completion; their part is over once the handler has run.
  const timings = new NodeTimings();
  const timed = (node: DeliveredTo | undefined) => ({
    id: String(node?.id ?? ""),
    type: String(node?.node?.type ?? ""),
    name: node?.node?.name,
  });
  RED.hooks.add("onReceive.wapipeBatch", (event) => {
    const destination = event.destination as DeliveredTo | undefined;
    if (of(event.msg) && destination?.id) timings.received(event.msg, String(destination.id));
  });
  RED.hooks.add("postReceive.wapipeBatch", (event) => {
    const entry = of(event.msg);
    const destination = event.destination as DeliveredTo | undefined;
    if (entry && destination?.node?._expectedDoneCount === 0) {
      timings.finished(event.msg, timed(destination));
      settle(entry, event.msg, destination);
    }
  });
  RED.hooks.add("onComplete.wapipeBatch", (event) => {
    const entry = of(event.msg);
    if (!entry) return;
    timings.finished(event.msg, timed(event.node as DeliveredTo | undefined));
    settle(entry, event.msg, event.node as DeliveredTo | undefined, event.error as { message?: string } | undefined);
  });

  const out = options.output ? createWriteStream(options.output) : process.stdout;
  const lines = createInterface({ input: createReadStream(options.input), crlfDelay: Infinity });
  const started = Date.now();
  const summary = { inputs: 0, done: 0, badLines: 0, timedOut: 0, withErrors: 0 };
  const tty = process.stderr.isTTY && options.output !== undefined;
  const progress = () => {
    if (!tty) return;
    const rate = summary.done / Math.max(0.001, (Date.now() - started) / 1000);
    process.stderr.write(
      `\r${summary.done} done, ${summary.inputs - summary.done} running, ${summary.badLines} bad lines · ${rate.toFixed(0)} msg/s   `,
    );
  };
  const inFlight = new Set<Promise<void>>();
  // Lines are written in input order, whatever order the messages finish in.
  const written = { next: 0, waiting: new Map<number, string>() };
  const writeInOrder = (seq: number, line: string) => {
    written.waiting.set(seq, line);
    for (let ready = written.waiting.get(written.next); ready !== undefined; ready = written.waiting.get(written.next)) {
      out.write(`${ready}\n`);
      written.waiting.delete(written.next);
      written.next += 1;
    }
  };
  // One message of a chat at a time, as the queue node does, so per-chat state sees them in order.
  const chatTails = new Map<string, Promise<void>>();

  const process1 = (item: BatchItem, seq: number): Promise<void> =>
    new Promise<void>((finished) => {
      const batchId = RED.util.generateId();
      const entry: Collected = { item, pending: 0, replies: [], errors: [], startedAt: performance.now() };
      running.set(batchId, entry);
      const timer = setTimeout(() => {
        summary.timedOut += 1;
        entry.errors.push({ node: "", message: `no end within ${options.timeoutMs / 1000} s` });
        end();
      }, options.timeoutMs);
      let quiet: ReturnType<typeof setTimeout> | undefined;
      const end = () => {
        clearTimeout(timer);
        clearTimeout(quiet);
        entry.finish = undefined;
        running.delete(batchId);
        const nlu = (entry.nlu ?? {}) as Record<string, unknown>;
        if (entry.errors.length > 0) summary.withErrors += 1;
        writeInOrder(
          seq,
          JSON.stringify({
            id: item.id,
            index: item.index,
            ...nlu,
            replies: entry.replies,
            errors: entry.errors,
            ms: Math.round((performance.now() - entry.startedAt) * 100) / 100,
          }),
        );
        summary.done += 1;
        progress();
        finished();
      };
      // Nothing left in a node: wait a moment in case a node that does not report completion
      // (see postReceive above) still sends something on.
      entry.finish = () => {
        clearTimeout(quiet);
        quiet = setTimeout(() => {
          if (entry.pending <= 0) end();
        }, QUIET_MS);
      };
      for (const target of entryTargets) {
        const node = RED.nodes.getNode(target);
        if (!node) continue;
        entry.pending += 1;
        node.receive({ ...structuredClone(item.msg), _batchId: batchId });
      }
      if (entry.pending === 0) end();
    });

  let index = 0;
  let seq = 0;
  for await (const line of lines) {
    const at = index;
    index += 1;
    if (line.trim() === "") continue;
    const mySeq = seq;
    seq += 1;
    let item: BatchItem;
    try {
      item = parseBatchLine(line, at);
    } catch (error) {
      summary.badLines += 1;
      writeInOrder(mySeq, JSON.stringify({ index: at, errors: [{ node: "", message: (error as Error).message }] }));
      continue;
    }
    summary.inputs += 1;
    const chatId = item.msg.wa.message.chatId;
    const work = (chatTails.get(chatId) ?? Promise.resolve()).then(() => process1(item, mySeq));
    chatTails.set(chatId, work);
    const tracked = work.finally(() => {
      inFlight.delete(tracked);
      if (chatTails.get(chatId) === work) chatTails.delete(chatId);
    });
    inFlight.add(tracked);
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  RED.hooks.remove("*.wapipeBatch");
  await RED.stop();
  if (options.output) await new Promise<void>((done) => (out as ReturnType<typeof createWriteStream>).end(done));
  rmSync(userDir, { recursive: true, force: true });
  const seconds = (Date.now() - started) / 1000;
  if (tty) process.stderr.write("\n");
  if (options.timings) {
    writeFileSync(options.timings, `${JSON.stringify(timings.table(), null, 2)}\n`);
    process.stderr.write(`${formatTimings(timings.table())}\n`);
  }
  process.stderr.write(
    `${summary.done} messages in ${seconds.toFixed(1)} s (${(summary.done / Math.max(seconds, 0.001)).toFixed(0)}/s): ${summary.withErrors} with errors, ${summary.timedOut} timed out, ${summary.badLines} bad lines\n`,
  );
}

// Output piped into `head` and the like: stop quietly when the reader has gone.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

run(parseArgsOrExit())
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });

function parseArgsOrExit(): Options {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}
