/**
 * Does media hold up text? The media example's shape in an embedded Node-RED runtime: a switch
 * sends photos to OCR, voice notes to transcribe, documents to document, and text through the
 * understanding nodes (entities, intent, sentiment). Text messages go one at a time, first alone,
 * then while photos, voice notes and PDFs keep arriving; compares their latency and Node-RED's
 * event-loop delay.
 *
 *   npm run bench            (runs this after the other benchmarks)
 *   tsx bench/media.ts       this one only; BENCH_MEDIA_TEXTS=400 for a shorter run
 *
 * Prints a table and writes bench/results/media.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import sharp from "sharp";
import { makePdf } from "../test/support/document-fixtures";
import { provenance } from "./provenance";

// Where the figures come from, taken before measuring (the tree may change while a run goes on).
const origin = provenance();

const root = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string };
const TEXTS = Number(process.env.BENCH_MEDIA_TEXTS ?? 1000);
const GAP_MS = 10;

interface BenchRegistry {
  sources: Map<string, { emit(msg: Record<string, unknown>): void }>;
  sinks: Map<string, (msg: Record<string, unknown>) => void>;
}

function flow(): Record<string, unknown>[] {
  const z = "tab-media";
  const example = JSON.parse(readFileSync(join(root, "examples", "wa-intent.json"), "utf8")) as Record<string, unknown>[];
  const nlu = (type: string) => ({ ...(example.find((n) => n.type === type) as Record<string, unknown> & { id: string }), z });
  const entities = nlu("wa-entities");
  const intent = nlu("wa-intent");
  const sentiment = nlu("wa-sentiment");
  return [
    { id: z, type: "tab", label: "media beside text" },
    { id: "bm0000000000src", z, type: "bench-source", name: "media", wires: [["bm00000000switch"]] },
    {
      id: "bm00000000switch",
      z,
      type: "switch",
      property: "wa.message.type",
      propertyType: "msg",
      rules: [{ t: "eq", v: "image", vt: "str" }, { t: "eq", v: "ptt", vt: "str" }, { t: "eq", v: "document", vt: "str" }, { t: "else" }],
      checkall: "false",
      outputs: 4,
      wires: [["bm000000000ocr"], ["bm0000transcribe"], ["bm0000000document"], [entities.id]],
    },
    {
      id: "bm000000000ocr",
      z,
      type: "wa-ocr",
      languages: "eng+por",
      poolSize: 1,
      timeoutSeconds: 60,
      maxMegabytes: 10,
      words: true,
      rotate: true,
      grayscale: false,
      minWidth: 1000,
      threshold: 0,
      wires: [["bm000media-sink"]],
    },
    {
      id: "bm0000transcribe",
      z,
      type: "wa-transcribe",
      engine: "offline",
      language: "en-US",
      grammar: "phrases",
      phrases: "where is my order\ntalk to a person\ncancel my order",
      poolSize: 1,
      timeoutSeconds: 60,
      maxSeconds: 120,
      maxMegabytes: 16,
      useAsText: true,
      wires: [["bm000media-sink"]],
    },
    {
      id: "bm0000000document",
      z,
      type: "wa-document",
      maxMegabytes: 20,
      maxUnpackedMegabytes: 100,
      maxPages: 200,
      maxRows: 10000,
      maxChars: 1000000,
      timeoutSeconds: 60,
      poolSize: 1,
      useAsText: false,
      wires: [["bm000media-sink"]],
    },
    { ...entities, wires: [[intent.id]] },
    { ...intent, wires: [[sentiment.id]] },
    { ...sentiment, wires: [["bm0000text-sink"]] },
    { id: "bm00000000catch", z, type: "catch", scope: null, uncaught: false, wires: [["bm000error-sink"]] },
    { id: "bm000media-sink", z, type: "bench-sink", name: "media", wires: [] },
    { id: "bm0000text-sink", z, type: "bench-sink", name: "text", wires: [] },
    { id: "bm000error-sink", z, type: "bench-sink", name: "error", wires: [] },
  ];
}

const TEXTS_SAID = [
  "hi, where is my order BR-20931?",
  "can I pay R$ 50,50 by pix tomorrow at 10am?",
  "I want 2 kg of coffee beans",
  "thanks, that was quick!",
  "my number is +44 7700 900123",
];

function envelope(
  i: number,
  type: string,
  body: string,
  media?: { data: Buffer; mimetype: string; filename?: string },
): Record<string, unknown> {
  const chatId = `4477009${String(i % 50).padStart(5, "0")}@c.us`;
  return {
    payload: body,
    wa: {
      message: {
        id: `bench-${type}-${i}`,
        chatId,
        from: chatId,
        senderName: "Bench",
        body,
        text: body,
        type,
        timestamp: Date.now(),
        receivedAt: Date.now(),
        isGroup: false,
        fromMe: false,
        transport: "bench",
        ...(media ? { media } : {}),
      },
      trace: [],
    },
  };
}

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

async function main(): Promise<void> {
  const userDir = mkdtempSync(join(tmpdir(), "wa-bench-media-"));
  const link = join(userDir, "node_modules", ...pkg.name.split("/"));
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(root, link, "dir");
  writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "bench", private: true }));
  writeFileSync(join(userDir, "flows.json"), JSON.stringify(flow()));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require("node-red") as {
    init(server: unknown, settings: Record<string, unknown>): void;
    start(): Promise<void>;
    stop(): Promise<void>;
  };
  RED.init(createServer(), {
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
  for (let i = 0; i < 200 && !registry?.sources.has("media"); i += 1) await new Promise((r) => setTimeout(r, 50));
  const source = registry.sources.get("media")!;
  const errors: string[] = [];
  registry.sinks.set("error", (msg) => errors.push(String((msg.error as { message?: string })?.message)));

  const receipt = readFileSync(join(root, "demo-media", "receipt.png"));
  const voice = readFileSync(join(root, "demo-media", "voice-where-is-my-order.ogg"));
  const pdf = makePdf(Array.from({ length: 40 }, (_, i) => `Statement line ${i} of the account, with a total of R$ ${i}0,00`));
  const mediaKinds = [
    { type: "image", media: { data: receipt, mimetype: "image/png" } },
    { type: "ptt", media: { data: voice, mimetype: "audio/ogg; codecs=opus" } },
    { type: "document", media: { data: pdf, mimetype: "application/pdf", filename: "statement.pdf" } },
  ];

  const textRound = async (count: number) => {
    const latencies: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        registry.sinks.set("text", () => resolve());
        source.emit(envelope(i, "chat", TEXTS_SAID[i % TEXTS_SAID.length]));
      });
      latencies.push(performance.now() - started);
      // Customers' messages arrive spread out, not back to back.
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
    return latencies;
  };

  // Warm every engine once (workers, models, pdf.js) so the rounds compare steady states.
  let mediaDone = 0;
  const mediaMs = new Map<string, number[]>();
  registry.sinks.set("media", (msg) => {
    mediaDone += 1;
    const type = String((msg.wa as { message: { type: string } }).message.type);
    const sent = Number((msg.wa as { message: { receivedAt: number } }).message.receivedAt);
    mediaMs.set(type, [...(mediaMs.get(type) ?? []), Date.now() - sent]);
  });
  mediaKinds.forEach((kind, i) => source.emit(envelope(i, kind.type, "", kind.media)));
  while (mediaDone < mediaKinds.length && errors.length === 0) await new Promise((r) => setTimeout(r, 50));
  await textRound(200);
  mediaMs.clear();

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const alone = await textRound(TEXTS);
  loop.disable();
  const loopAlone = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  loop.reset();

  // Keep three media messages of each kind in flight: a new one as each finishes.
  let stop = false;
  let sentMedia = 0;
  const finishedBefore = mediaDone;
  registry.sinks.set("media", (msg) => {
    mediaDone += 1;
    const type = String((msg.wa as { message: { type: string } }).message.type);
    const sent = Number((msg.wa as { message: { receivedAt: number } }).message.receivedAt);
    mediaMs.set(type, [...(mediaMs.get(type) ?? []), Date.now() - sent]);
    if (!stop) {
      const kind = mediaKinds.find((k) => k.type === type)!;
      source.emit(envelope(1000 + sentMedia++, kind.type, "", kind.media));
    }
  });
  for (let round = 0; round < 3; round += 1)
    for (const kind of mediaKinds) source.emit(envelope(1000 + sentMedia++, kind.type, "", kind.media));
  const mediaStarted = performance.now();
  loop.enable();
  const beside = await textRound(TEXTS);
  loop.disable();
  const mediaSeconds = (performance.now() - mediaStarted) / 1000;
  stop = true;
  const loopBeside = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  const mediaFinished = mediaDone - finishedBefore;
  while (mediaDone - finishedBefore < sentMedia && errors.length === 0) await new Promise((r) => setTimeout(r, 50));

  // A burst of very large photos (what a scanner app sends), then the memory Node-RED keeps: the OCR worker
  // that read them is retired after each page over its pixel budget and after a minute idle.
  const mb = () => Math.round(process.memoryUsage().rss / 1048576);
  const big = await sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="6600"><rect width="100%" height="100%" fill="white"/><text x="200" y="600" font-size="240">TOTAL R$ 50,50</text></svg>`,
    ),
  )
    .png()
    .toBuffer();
  const rssBefore = mb();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, mb())), 100);
  let bigDone = 0;
  registry.sinks.set("media", () => (bigDone += 1));
  const BIG_PHOTOS = Number(process.env.BENCH_MEDIA_BIG ?? 4);
  const burstStarted = performance.now();
  for (let i = 0; i < BIG_PHOTOS; i += 1) source.emit(envelope(5000 + i, "image", "", { data: big, mimetype: "image/png" }));
  while (bigDone < BIG_PHOTOS && errors.length === 0) await new Promise((r) => setTimeout(r, 100));
  const burstSeconds = (performance.now() - burstStarted) / 1000;
  await new Promise((r) => setTimeout(r, 5_000));
  const rssAfterBurst = mb();
  // Past the OCR pool's idle time (60 s): every engine worker that read a page has been retired.
  await new Promise((r) => setTimeout(r, 60_000));
  clearInterval(sampler);
  const rssIdle = mb();
  const memory = {
    bigPhotos: BIG_PHOTOS,
    megapixelsEach: 39.6,
    burstSeconds,
    rssBeforeMb: rssBefore,
    rssPeakMb: rssPeak,
    rssAfter5sMb: rssAfterBurst,
    rssIdleAfter65sMb: rssIdle,
  };

  const rows = [
    {
      scenario: "text alone",
      texts: TEXTS,
      p50Ms: percentile(alone, 0.5),
      p99Ms: percentile(alone, 0.99),
      maxMs: Math.max(...alone),
      loopDelayP99Ms: loopAlone.p99,
      loopDelayMaxMs: loopAlone.max,
    },
    {
      scenario: "text beside photos, voice notes and PDFs (3 of each in flight)",
      texts: TEXTS,
      p50Ms: percentile(beside, 0.5),
      p99Ms: percentile(beside, 0.99),
      maxMs: Math.max(...beside),
      loopDelayP99Ms: loopBeside.p99,
      loopDelayMaxMs: loopBeside.max,
    },
  ];
  const media = mediaKinds.map((kind) => {
    const ms = mediaMs.get(kind.type) ?? [];
    return { type: kind.type, done: ms.length, p50Ms: percentile(ms, 0.5), p99Ms: percentile(ms, 0.99) };
  });
  console.log("\n| scenario | texts | p50 ms | p99 ms | max ms | event-loop delay p99 / max ms |\n|---|---:|---:|---:|---:|---:|");
  for (const r of rows)
    console.log(
      `| ${r.scenario} | ${r.texts} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.maxMs.toFixed(1)} | ${r.loopDelayP99Ms.toFixed(1)} / ${r.loopDelayMaxMs.toFixed(1)} |`,
    );
  console.log(
    `\nmedia read meanwhile: ${mediaFinished} in ${mediaSeconds.toFixed(1)} s (${media.map((m) => `${m.type} ${m.done}, p50 ${m.p50Ms.toFixed(0)} ms`).join("; ")}); errors: ${errors.length}`,
  );
  console.log(
    `\nmemory: ${BIG_PHOTOS} photos of 39.6 megapixels read in ${burstSeconds.toFixed(1)} s; RSS ${rssBefore} MB before, peak ${rssPeak} MB, ${rssAfterBurst} MB 5 s after, ${rssIdle} MB after 65 s idle`,
  );
  const report = { ...origin, command: "npm run bench (bench/media.ts)", rows, media, mediaSeconds, memory, errors: errors.slice(0, 5) };
  const outDir = join(root, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "media.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log("written to bench/results/media.json");
  await RED.stop();
  rmSync(userDir, { recursive: true, force: true });
  process.exit(errors.length > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
