/**
 * Throughput, latency and memory of the pipeline in an embedded Node-RED runtime
 * (RED.init / RED.start, as an application embedding Node-RED would run it).
 *
 *   npm run bench                      100,000 messages per in-memory scenario,
 *                                      20,000 per store backend, 5,000 through two instances
 *   BENCH_MESSAGES=20000 npm run bench a shorter run (BENCH_STORE_MESSAGES, BENCH_LB_MESSAGES likewise)
 *   BENCH_BACKENDS=memory              only these stores' rows (a comma list of memory, sqlite, redis)
 *
 * Prints a table and writes bench/results/latest.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { randomUUID } from "node:crypto";
import { REDIS_URL, redisReachable } from "../test/core/redis-available";
import { LB_MESSAGES, deleteRedisKeys, loadBalancedRun } from "./two-instances";
import { provenance } from "./provenance";
import { quantile } from "./stats";
import type { PerfSnapshot } from "../src/core/perf/perf-monitor";

// Where the figures come from, taken before measuring (the tree may change while a run goes on).
const origin = provenance();

const root = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const WARMUP = Math.min(5_000, Math.ceil(MESSAGES / 10));
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1_000);
const CHATS = Number(process.env.BENCH_CHATS ?? 500);
const CHAIN_LENGTH = 23;
const SINGLE_MESSAGES = 5_000;
const STORE_MESSAGES = Number(process.env.BENCH_STORE_MESSAGES ?? 20_000);
const STORE_BACKENDS = ["memory", "sqlite", "redis"] as const;
const TEXT_MESSAGES = Number(process.env.BENCH_TEXT_MESSAGES ?? 20_000);
const OFFERED_PER_SECOND = Number(process.env.BENCH_OFFERED_PER_SECOND ?? 1_000);
const OFFERED_SECONDS = Number(process.env.BENCH_OFFERED_SECONDS ?? 30);
const PER_NODE_IN_FLIGHT = 20;
const LB_PAIRS = Number(process.env.BENCH_LB_PAIRS ?? 500);
const LB_PAIRS_PER_SECOND = 50;
type StoreBackend = (typeof STORE_BACKENDS)[number];

interface BenchRegistry {
  sources: Map<string, { emit(msg: Record<string, unknown>): void }>;
  sinks: Map<string, (msg: Record<string, unknown>) => void>;
}

interface BenchOptions {
  redisKeyPrefix?: string;
}

interface ScenarioResult {
  scenario: string;
  inFlight: number;
  messages: number;
  seconds: number;
  msgPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  peakRssMb: number;
}

/** A wa-store config's settings for one backend: its own SQLite file, or its own Redis key prefix. */
function storeSettings(backend: StoreBackend, sqliteFile: string, redisKeyPrefix: string | undefined): Record<string, unknown> {
  if (backend === "redis") return { backend, url: REDIS_URL, keyPrefix: redisKeyPrefix, tls: false };
  if (backend === "sqlite") return { backend, file: sqliteFile, synchronous: "NORMAL" };
  return { backend };
}

/** Lock + queue on one store backend: source -> queue -> lock -> release -> ack -> sink; errors to their own sink. */
function storeTab(backend: StoreBackend, options: BenchOptions): Record<string, unknown>[] {
  const z = `tab-store-${backend}`;
  const store = storeSettings(backend, "bench/store.db", options.redisKeyPrefix);
  const id = (part: string) => `${backend}-${part}`;
  return [
    { id: z, type: "tab", label: `lock + queue on ${backend}` },
    { id: id("store"), type: "wa-store", name: backend, ...store },
    { id: id("source"), z, type: "bench-source", name: `store-${backend}`, wires: [[id("queue")]] },
    {
      id: id("queue"),
      z,
      type: "wa-message-queue",
      store: id("store"),
      mode: "enqueue",
      queueName: "bench",
      key: "wa.message.chatId",
      maxPerChat: "1000",
      maxTotal: "100000",
      overflow: "reject",
      ackTimeout: "120",
      maxDeliveries: "3",
      outputs: 2,
      wires: [[id("lock")], [id("errors")]],
    },
    {
      id: id("lock"),
      z,
      type: "wa-session-lock",
      store: id("store"),
      mode: "acquire",
      lockName: "bench",
      key: "wa.message.chatId",
      ttl: "60",
      wait: "60",
      onTimeout: "output",
      outputs: 2,
      wires: [[id("release")], [id("errors")]],
    },
    {
      id: id("release"),
      z,
      type: "wa-session-lock",
      store: id("store"),
      mode: "release",
      lockName: "bench",
      outputs: 1,
      wires: [[id("ack")]],
    },
    { id: id("ack"), z, type: "wa-message-queue", store: id("store"), mode: "ack", queueName: "bench", outputs: 1, wires: [[id("sink")]] },
    { id: id("sink"), z, type: "bench-sink", name: `store-${backend}`, wires: [] },
    { id: id("catch"), z, type: "catch", scope: null, uncaught: false, wires: [[id("errors")]] },
    { id: id("errors"), z, type: "bench-sink", name: `store-${backend}-errors`, wires: [] },
  ];
}

const PIPELINE_EXAMPLE = JSON.parse(readFileSync(join(root, "examples", "five-stage-pipeline.json"), "utf8")) as Record<string, unknown>[];

/** A node's settings as the bundled five-stage pipeline ships them (without its id, group and wires). */
function shippedSettings(type: string, mode?: string): Record<string, unknown> {
  const found = PIPELINE_EXAMPLE.find((n) => n.type === type && (mode === undefined || n.mode === mode));
  if (!found) throw new Error(`the five-stage pipeline has no ${type}${mode ? ` (${mode})` : ""}`);
  const { g: _g, wires: _wires, id: _id, ...settings } = found;
  return settings;
}

/**
 * The text path of the bundled five-stage pipeline, its nodes with their settings as shipped: intake (dedupe,
 * ordering), session (queue, lock, state), resilience (degrade), understanding (entities, intent, sentiment,
 * thread, flow), finish (release, ack) and the perf monitor. Left out: the Sheets row and lookup (a network
 * service, measured by `bench/sheets.ts`) and the paced send, whose pace is WhatsApp's limit by design.
 */
function textPipelineTab(backend: StoreBackend, options: BenchOptions): Record<string, unknown>[] {
  const z = `tab-text-${backend}`;
  const id = (part: string) => `text-${backend}-${part}`;
  const shipped = (type: string, mode?: string) => ({ ...shippedSettings(type, mode), z, store: id("store") });
  const store = storeSettings(backend, "bench/text.db", `${options.redisKeyPrefix ?? "wa-bench:"}text:`);
  const chain = [
    ["dedupe", shipped("wa-dedupe")],
    ["ordering", shipped("wa-ordering")],
    ["queue", shipped("wa-message-queue", "enqueue")],
    ["lock", shipped("wa-session-lock", "acquire")],
    ["state", shipped("wa-session-state")],
    ["degrade", { ...shipped("wa-degrade"), healthNode: "", sheets: "" }],
    ["entities", shipped("wa-entities")],
    ["intent", shipped("wa-intent")],
    ["sentiment", shipped("wa-sentiment")],
    ["thread", shipped("wa-thread")],
    ["flow", shipped("wa-flow-analyzer")],
    ["release", shipped("wa-session-lock", "release")],
    ["ack", shipped("wa-message-queue", "ack")],
  ] as const;
  const next = (i: number) => (i + 1 < chain.length ? id(chain[i + 1][0]) : id("sink"));
  const nodes: Record<string, unknown>[] = chain.map(([part, settings], i) => {
    const outputs = part === "ack" ? [[id("sink"), id("perf")]] : [[next(i)]];
    // Every other output (queue full, lock timed out, duplicate, the degrade modes) goes on or to the error sink.
    if (part === "dedupe" || part === "queue" || part === "lock") outputs.push([id("errors")]);
    if (part === "ordering") outputs.push([next(i)]);
    if (part === "degrade") outputs.push([next(i)], [next(i)], []);
    if (part === "thread" || part === "flow") outputs.push([]);
    return { ...settings, id: id(part), wires: outputs };
  });
  return [
    { id: z, type: "tab", label: `text pipeline on ${backend}` },
    { id: id("store"), type: "wa-store", name: `text-${backend}`, ...store },
    { id: id("source"), z, type: "bench-source", name: `text-${backend}`, wires: [[id("dedupe")]] },
    ...nodes,
    { ...shipped("wa-perf-monitor"), id: id("perf"), interval: "3600", wires: [[id("figures")]] },
    { id: id("inject-snapshot"), z, type: "bench-source", name: `text-${backend}-snapshot`, wires: [[id("perf")]] },
    { id: id("figures"), z, type: "bench-sink", name: `text-${backend}-figures`, wires: [] },
    { id: id("sink"), z, type: "bench-sink", name: `text-${backend}`, wires: [] },
    { id: id("catch"), z, type: "catch", scope: null, uncaught: false, wires: [[id("errors")]] },
    { id: id("errors"), z, type: "bench-sink", name: `text-${backend}-errors`, wires: [] },
    // A node of a tab without a position is taken for a config node by the runtime: give each one.
  ].map((node) => (node.z === undefined || "x" in node ? node : { ...node, x: 100, y: 100 }));
}

/**
 * Stage 2 beside the nodes users pick today, one node per chain, on the same chat texts: node-red-node-sentiment
 * (AFINN word scores, English) beside wa-sentiment, and nlp.js (trained on the same examples) beside wa-intent.
 */
const PEER_CHAINS = [
  { name: "peer-afinn", label: "node-red-node-sentiment (AFINN)", node: () => ({ type: "sentiment", property: "payload" }) },
  { name: "ours-sentiment", label: "wa-sentiment (as shipped)", node: () => shippedSettings("wa-sentiment") },
  {
    name: "peer-nlpjs",
    label: "nlp.js intent (same examples)",
    node: () => ({ type: "bench-nlpjs", examples: shippedSettings("wa-intent").examples }),
  },
  { name: "ours-intent", label: "wa-intent (as shipped)", node: () => shippedSettings("wa-intent") },
] as const;

function peersTab(): Record<string, unknown>[] {
  const z = "tab-peers";
  return [
    { id: z, type: "tab", label: "stage 2 beside its peers" },
    ...PEER_CHAINS.flatMap(({ name, node }, row) => [
      { id: `${name}-source`, z, type: "bench-source", name, x: 100, y: 100 + row * 60, wires: [[`${name}-node`]] },
      { ...node(), id: `${name}-node`, z, x: 300, y: 100 + row * 60, wires: [[`${name}-sink`]] },
      { id: `${name}-sink`, z, type: "bench-sink", name, x: 500, y: 100 + row * 60, wires: [] },
    ]),
  ];
}

function flowFor(backends: StoreBackend[], options: BenchOptions): Record<string, unknown>[] {
  const bare: Record<string, unknown>[] = [{ id: "tab-bare", type: "tab", label: "bare chain" }];
  const ids = Array.from({ length: CHAIN_LENGTH }, (_, i) => `bare-pass-${i}`);
  bare.push({ id: "bare-source", z: "tab-bare", type: "bench-source", name: "bare", wires: [[ids[0]]] });
  ids.forEach((id, i) => bare.push({ id, z: "tab-bare", type: "bench-pass", name: "", wires: [[ids[i + 1] ?? "bare-sink"]] }));
  bare.push({ id: "bare-sink", z: "tab-bare", type: "bench-sink", name: "bare", wires: [] });

  const example = JSON.parse(readFileSync(join(root, "examples", "quick-start.json"), "utf8")) as Record<string, unknown>[];
  const byType = (type: string, mode?: string) => example.find((n) => n.type === type && (mode === undefined || n.mode === mode))!;
  const client = { ...byType("wa-client"), id: "bench-client", startDelay: "3600", loop: false };
  const queue = byType("wa-message-queue", "enqueue");
  const lock = byType("wa-session-lock", "acquire");
  const reply = byType("change");
  const out = byType("wa-out");
  const release = byType("wa-session-lock", "release");
  const ack = byType("wa-message-queue", "ack");
  const perf = byType("wa-perf-monitor");
  const z = "tab-slice";
  const slice: Record<string, unknown>[] = [
    { id: z, type: "tab", label: "quick-start slice" },
    { id: "slice-source", z, type: "bench-source", name: "slice", wires: [[queue.id]] },
    { ...queue, z, maxPerChat: "1000", maxTotal: "100000", wires: [[lock.id], ["slice-sink"]] },
    { ...lock, z, wires: [[reply.id], ["slice-sink"]] },
    { ...reply, z, wires: [[out.id]] },
    { ...out, z, client: client.id, wires: [[release.id]] },
    { ...release, z, wires: [[ack.id]] },
    { ...ack, z, wires: [["slice-sink", perf.id]] },
    { ...perf, z, wires: [[]] },
    { id: "slice-sink", z, type: "bench-sink", name: "slice", wires: [] },
    client,
  ];
  return [
    ...bare,
    ...slice,
    ...backends.flatMap((backend) => storeTab(backend, options)),
    ...backends.flatMap((backend) => textPipelineTab(backend, options)),
    ...peersTab(),
  ];
}

function envelope(i: number, now: number): Record<string, unknown> {
  const chatId = `4477009${String(i % CHATS).padStart(5, "0")}@c.us`;
  return {
    payload: `message ${i}`,
    wa: {
      message: {
        id: `bench-${i}`,
        chatId,
        from: chatId,
        senderName: "Bench",
        body: `message ${i}`,
        type: "chat",
        timestamp: now,
        receivedAt: now,
        isGroup: false,
        fromMe: false,
        transport: "bench",
      },
      trace: [],
    },
  };
}

/** Chat texts as customers write them: the simulator's demo conversations (entities, dates, money, names). */
const DEMO_TEXTS = (
  JSON.parse(readFileSync(join(root, "src", "core", "transport", "demo-chats.json"), "utf8")) as {
    conversations: { messages: { body?: string }[] }[];
  }
).conversations.flatMap((c) => c.messages.map((m) => m.body ?? "").filter((body) => body !== ""));

let textSerial = 0;
/** A text message of one of CHATS chats, sent one millisecond after the one before it (so ordering never waits). */
function textEnvelope(i: number): Record<string, unknown> {
  textSerial += 1;
  const chatId = `4477009${String(i % CHATS).padStart(5, "0")}@c.us`;
  const body = DEMO_TEXTS[i % DEMO_TEXTS.length];
  const sentAt = Date.UTC(2026, 11, 1) + textSerial;
  return {
    payload: body,
    wa: {
      message: {
        id: `text-${textSerial}`,
        chatId,
        from: chatId,
        senderName: "Bench",
        body,
        type: "chat",
        timestamp: sentAt,
        receivedAt: Date.now(),
        isGroup: false,
        fromMe: false,
        transport: "bench",
      },
      trace: [],
    },
  };
}

interface OfferedResult {
  scenario: string;
  offeredPerSec: number;
  seconds: number;
  chats: number;
  messages: number;
  answered: number;
  achievedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 without the time the ordering node held each message on purpose (its window for earlier messages). */
  p99BeyondOrderingMs: number;
  /** Messages turned away on the way (queue full, lock waited too long). */
  refused: number;
  /** Every message answered and none refused, the last one within a second of the last offer. */
  keptUp: boolean;
  peakRssMb: number;
}

/** How long the ordering node held a message on purpose (its wait for earlier messages of the chat), from the trace. */
function orderingHoldMs(msg: Record<string, unknown>): number {
  const trace = (msg.wa as { trace?: { nodeType: string; start: number; end: number }[] } | undefined)?.trace ?? [];
  return trace.filter((span) => span.nodeType === "wa-ordering").reduce((sum, span) => sum + span.end - span.start, 0);
}

/**
 * Offered load: messages at a fixed rate, whatever the pipeline does. Latency counts from when each message was
 * due, not when it went out, so a stalled pipeline shows in the figures instead of slowing the offer.
 */
async function offer(
  registry: BenchRegistry,
  name: string,
  perSecond: number,
  seconds: number,
  makeMsg: (i: number) => Record<string, unknown>,
): Promise<Omit<OfferedResult, "scenario" | "refused">> {
  const source = registry.sources.get(name);
  if (!source) throw new Error(`bench source ${name} is not running`);
  const total = Math.round(perSecond * seconds);
  const latencies: number[] = [];
  let peakRss = process.memoryUsage().rss;
  let emitted = 0;
  let lastAnswerAt = 0;
  const started = performance.now();
  const dueAt = (i: number) => started + (i * 1000) / perSecond;
  const beyondHold: number[] = [];
  registry.sinks.set(name, (msg) => {
    lastAnswerAt = performance.now();
    const latency = lastAnswerAt - (msg._benchDue as number);
    latencies.push(latency);
    beyondHold.push(latency - orderingHoldMs(msg));
  });
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      while (emitted < total && dueAt(emitted) <= now) {
        const msg = makeMsg(emitted);
        msg._benchDue = dueAt(emitted);
        emitted += 1;
        source.emit(msg);
      }
      const giveUpAt = dueAt(total) + 30_000;
      if ((emitted === total && latencies.length === total) || now > giveUpAt) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => quantile(sorted, q);
  const answeredFor = (lastAnswerAt - started) / 1000;
  return {
    offeredPerSec: perSecond,
    seconds,
    chats: CHATS,
    messages: total,
    answered: sorted.length,
    achievedPerSec: sorted.length / Math.max(answeredFor, seconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: at(1),
    p99BeyondOrderingMs: quantile(
      beyondHold.sort((a, b) => a - b),
      0.99,
    ),
    keptUp: sorted.length === total && lastAnswerAt <= dueAt(total - 1) + 1000,
    peakRssMb: peakRss / 1024 / 1024,
  };
}

/** Counts the messages that reach a scenario's error sink; each still ends its journey, so a run finishes and then reports them. */
function countFailures(registry: BenchRegistry, name: string): () => number {
  let failures = 0;
  registry.sinks.set(`${name}-errors`, (msg) => {
    failures += 1;
    registry.sinks.get(name)?.(msg);
  });
  return () => failures;
}

async function drive(
  registry: BenchRegistry,
  name: string,
  total: number,
  makeMsg: (i: number, now: number) => Record<string, unknown>,
  record: boolean,
  inFlight = IN_FLIGHT,
) {
  const source = registry.sources.get(name);
  if (!source) throw new Error(`bench source ${name} is not running`);
  const latencies = new Float64Array(total);
  let emitted = 0;
  let received = 0;
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const progress = process.env.BENCH_PROGRESS ? setInterval(() => console.error(`${name}: ${received} of ${total}`), 2000) : undefined;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const emitOne = () => {
      const now = performance.now();
      const msg = makeMsg(emitted, Date.now());
      msg._benchStart = now;
      emitted += 1;
      source.emit(msg);
    };
    registry.sinks.set(name, (msg) => {
      latencies[received] = performance.now() - (msg._benchStart as number);
      received += 1;
      if (received === total) resolve();
      else if (emitted < total) emitOne();
    });
    while (emitted < Math.min(inFlight, total)) emitOne();
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(rssTimer);
  clearInterval(progress);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (!record) return undefined;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const at = (q: number) => quantile(sorted, q);
  return {
    inFlight,
    messages: total,
    seconds,
    msgPerSec: total / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: sorted[sorted.length - 1],
    peakRssMb: peakRss / 1024 / 1024,
  };
}

async function main(): Promise<void> {
  const userDir = mkdtempSync(join(tmpdir(), "wa-bench-"));
  const link = join(userDir, "node_modules", ...pkg.name.split("/"));
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(root, link, "dir");
  // The peer sentiment node, installed as users install it: a package in the user directory.
  symlinkSync(join(root, "node_modules", "node-red-node-sentiment"), join(userDir, "node_modules", "node-red-node-sentiment"), "dir");
  writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "bench", private: true }));
  const redisUp = await redisReachable();
  if (!redisUp) console.log(`(Redis scenarios left out: no Redis reachable at ${REDIS_URL})`);
  // BENCH_BACKENDS=memory (a comma list) narrows the store and text-pipeline rows, e.g. to profile one of them.
  const chosen = process.env.BENCH_BACKENDS?.split(",").map((name) => name.trim()) ?? [...STORE_BACKENDS];
  const backends = STORE_BACKENDS.filter((backend) => chosen.includes(backend) && (backend !== "redis" || redisUp));
  const redisKeyPrefix = `wa-bench-${randomUUID().slice(0, 8)}:`;
  writeFileSync(join(userDir, "flows.json"), JSON.stringify(flowFor(backends, { redisKeyPrefix })));

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require("node-red") as {
    init(server: unknown, settings: Record<string, unknown>): void;
    start(): Promise<void>;
    stop(): Promise<void>;
  };
  const server = createServer();
  RED.init(server, {
    userDir,
    flowFile: "flows.json",
    nodesDir: [join(root, "bench", "nodes")],
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    credentialSecret: "bench-only",
    logging: { console: { level: "warn" } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    editorTheme: { projects: { enabled: false } },
  });
  await RED.start();
  const registry = (globalThis as unknown as { __waBench: BenchRegistry }).__waBench;
  for (let i = 0; i < 100 && !(registry?.sources.has("bare") && registry.sources.has("slice")); i += 1)
    await new Promise((r) => setTimeout(r, 50));

  // The text pipelines train their intent model at start: let them finish before anything is measured.
  for (const backend of backends) await drive(registry, `text-${backend}`, 10, textEnvelope, false, 10);
  const bareMsg = (i: number) => ({ payload: i });
  const results: ScenarioResult[] = [];
  await drive(registry, "bare", WARMUP, bareMsg, false);
  const bareName = `bare chain of ${CHAIN_LENGTH} trivial nodes`;
  const sliceName = "quick-start slice (queue, lock, reply, wa-out, release, ack, perf monitor)";
  results.push({ scenario: bareName, ...(await drive(registry, "bare", MESSAGES, bareMsg, true))! });
  await drive(registry, "slice", WARMUP, envelope, false);
  results.push({ scenario: sliceName, ...(await drive(registry, "slice", MESSAGES, envelope, true))! });
  // The pipeline's own latency, without queueing behind other messages.
  const single = Math.min(MESSAGES, SINGLE_MESSAGES);
  results.push({ scenario: bareName, ...(await drive(registry, "bare", single, bareMsg, true, 1))! });
  results.push({ scenario: sliceName, ...(await drive(registry, "slice", single, envelope, true, 1))! });

  for (const backend of backends) {
    const name = `store-${backend}`;
    const failures = countFailures(registry, name);
    await drive(registry, name, Math.min(WARMUP, STORE_MESSAGES), envelope, false);
    results.push({ scenario: `lock + queue on ${backend} store`, ...(await drive(registry, name, STORE_MESSAGES, envelope, true))! });
    if (failures() > 0) throw new Error(`${failures()} messages failed on the ${backend} store`);
  }

  // The text path of the five-stage pipeline: saturated, then at a fixed offered rate, on each store.
  const offered: OfferedResult[] = [];
  for (const backend of backends) {
    const name = `text-${backend}`;
    const failures = countFailures(registry, name);
    await drive(registry, name, Math.min(WARMUP, TEXT_MESSAGES), textEnvelope, false);
    results.push({ scenario: `text pipeline on ${backend} store`, ...(await drive(registry, name, TEXT_MESSAGES, textEnvelope, true))! });
    if (failures() > 0) throw new Error(`${failures()} messages failed in the text pipeline on the ${backend} store`);
    const run = await offer(registry, name, OFFERED_PER_SECOND, OFFERED_SECONDS, textEnvelope);
    // A message refused on the way (queue full, lock waited too long) is answered, but not kept up with.
    offered.push({ scenario: `text pipeline on ${backend} store`, ...run, refused: failures(), keptUp: run.keptUp && failures() === 0 });
  }
  // Stage 2 beside its peers, each node alone on the same texts.
  const peers: { scenario: string; msgPerSec: number; usPerMessage: number; p99Ms: number }[] = [];
  for (const { name, label } of PEER_CHAINS) {
    await drive(registry, name, Math.min(WARMUP, TEXT_MESSAGES), textEnvelope, false);
    const run = (await drive(registry, name, TEXT_MESSAGES, textEnvelope, true))!;
    peers.push({ scenario: label, msgPerSec: run.msgPerSec, usPerMessage: 1e6 / run.msgPerSec, p99Ms: run.p99Ms });
  }
  // What each node costs, from the perf monitor's own figures, at a light load (20 chats at a time: every message
  // waits the ordering window, so one at a time would take hours).
  const figures: PerfSnapshot[] = [];
  const perNodeMessages = Math.min(TEXT_MESSAGES, 2_000);
  if (backends.includes("memory")) {
    registry.sinks.set("text-memory-figures", (msg) => figures.push(msg.payload as PerfSnapshot));
    registry.sources.get("text-memory-snapshot")?.emit({ topic: "snapshot" });
    results.push({
      scenario: "text pipeline on memory store",
      ...(await drive(registry, "text-memory", perNodeMessages, textEnvelope, true, PER_NODE_IN_FLIGHT))!,
    });
    registry.sources.get("text-memory-snapshot")?.emit({ topic: "snapshot" });
    for (let i = 0; i < 100 && figures.length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
  }
  const perNode = (figures[1]?.nodes ?? []).map((n) => ({ nodeType: n.nodeType, count: n.count, meanUs: n.mean * 1000, p99Ms: n.p99 }));

  await RED.stop();
  server.close();
  rmSync(userDir, { recursive: true, force: true });
  if (redisUp) await deleteRedisKeys(redisKeyPrefix);
  // One process and two on the same workload, then a chat's two messages at once, one to each process.
  const loadBalanced: Awaited<ReturnType<typeof loadBalancedRun>>[] = [];
  if (redisUp && LB_MESSAGES > 0) {
    for (const instances of [1, 2] as const) loadBalanced.push(await loadBalancedRun(instances));
    loadBalanced.push(await loadBalancedRun(2, { kind: "pairs", pairs: LB_PAIRS, pairsPerSecond: LB_PAIRS_PER_SECOND }));
    results.push(...loadBalanced);
  }

  const [bare, slice, bareSingle, sliceSingle] = results;
  const report = {
    ...origin,
    command: "npm run bench",
    package: `${pkg.name}@${pkg.version}`,
    settings: { messages: MESSAGES, warmup: WARMUP, inFlight: IN_FLIGHT, chats: CHATS },
    results,
    offered,
    perNode,
    peers,
    loadBalanced: loadBalanced.map(({ scenario, msgPerSec, coresUsed, handover }) => ({ scenario, msgPerSec, coresUsed, handover })),
    ratio: {
      twoInstancesToOne: loadBalanced.length >= 2 ? loadBalanced[1].msgPerSec / loadBalanced[0].msgPerSec : undefined,
      throughputSliceToBare: slice.msgPerSec / bare.msgPerSec,
      p99SliceToBare: slice.p99Ms / bare.p99Ms,
      singleP50SliceToBare: sliceSingle.p50Ms / bareSingle.p50Ms,
    },
  };
  const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(
    `\n${MESSAGES.toLocaleString("en-US")} messages per scenario at ${IN_FLIGHT} in flight over ${CHATS} chats, then ${single.toLocaleString("en-US")} one at a time; Node ${process.version}\n`,
  );
  console.log("| scenario | in flight | messages | msg/s | p50 ms | p99 ms | peak RSS MB |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${r.inFlight} | ${r.messages.toLocaleString("en-US")} | ${fmt(r.msgPerSec, 0)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.peakRssMb, 0)} |`,
    );
  }
  console.log(
    `\nslice / bare: throughput ${fmt(report.ratio.throughputSliceToBare, 2)}×, p99 under load ${fmt(report.ratio.p99SliceToBare, 2)}×, p50 one at a time ${fmt(report.ratio.singleP50SliceToBare, 2)}×`,
  );
  console.log(`\nOffered load: ${OFFERED_PER_SECOND.toLocaleString("en-US")} msg/s over ${CHATS} chats for ${OFFERED_SECONDS} s`);
  console.log("| scenario | answered | refused | achieved msg/s | p50 ms | p99 ms | max ms | p99 beyond the ordering wait ms | kept up |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of offered) {
    console.log(
      `| ${r.scenario} | ${r.answered.toLocaleString("en-US")} / ${r.messages.toLocaleString("en-US")} | ${r.refused} | ${fmt(r.achievedPerSec, 0)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.maxMs, 1)} | ${fmt(r.p99BeyondOrderingMs, 1)} | ${r.keptUp ? "yes" : "no"} |`,
    );
  }
  console.log(
    `\nPer node, text pipeline on memory, ${PER_NODE_IN_FLIGHT} in flight (${perNodeMessages.toLocaleString("en-US")} messages):`,
  );
  for (const n of perNode) console.log(`  ${n.nodeType.padEnd(20)} ${fmt(n.meanUs, 0).padStart(6)} µs`);
  console.log(`\nStage 2 beside its peers, one node alone, ${TEXT_MESSAGES.toLocaleString("en-US")} chat texts at ${IN_FLIGHT} in flight:`);
  for (const p of peers)
    console.log(`  ${p.scenario.padEnd(36)} ${fmt(p.msgPerSec, 0).padStart(8)} msg/s  ${fmt(p.usPerMessage, 0).padStart(5)} µs/msg`);
  if (loadBalanced.length > 0) {
    console.log(`\nLoad-balanced on Redis: two processes / one ${fmt(report.ratio.twoInstancesToOne ?? Number.NaN, 2)}×`);
    for (const r of loadBalanced) {
      const cores = r.coresUsed;
      const { sameInstance, otherInstance } = r.handover;
      console.log(
        `  ${r.scenario}: cores used Node-RED ${fmt(cores.nodeRed, 2)}, Redis ${fmt(cores.redis, 2)}, sender ${fmt(cores.sender, 2)}; ` +
          `next waiting message locked after p50/p99 ${sameInstance.p50Ms}/${sameInstance.p99Ms} ms on the same process (${sameInstance.count}), ` +
          `${otherInstance.p50Ms}/${otherInstance.p99Ms} ms on the other (${otherInstance.count})`,
      );
    }
  }
  const outDir = join(root, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${JSON.stringify(report)}\nwritten to bench/results/latest.json`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
