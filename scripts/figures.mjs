// Writes the figure tables of the README and docs/*.md from the committed result files, so every figure
// there has a file and a commit behind it. Each table sits between `<!-- figures:NAME -->` and
// `<!-- /figures:NAME -->`.
//
//   npm run figures            rewrite the tables from bench/results/*.json and eval/results/latest.json
//   node scripts/figures.mjs --check   exit 1 when a page differs from what the files say (npm test runs this)
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];
const load = (file) => (existsSync(join(root, file)) ? JSON.parse(readFileSync(join(root, file), "utf8")) : undefined);

const number = (value, digits) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const source = (file, result) =>
  `<sub>From \`${file}\` (${result.command ?? "npm run bench"}), ${String(result.at ?? result.date ?? "").slice(0, 10)}, commit ${String(result.commit ?? "unknown").slice(0, 10)}${result.dirty ? " with local changes" : ""}, ${result.machine ? `${result.machine.cpus} cores, ${result.machine.memoryGiB} GiB` : "this machine"}, Node ${result.node}.</sub>`;

function performance() {
  const file = "bench/results/latest.json";
  const result = load(file);
  if (!result) return undefined;
  // Ratios lead: this machine is shared, and the bare chain measured in the same run is the yardstick.
  const bare =
    result.results.find((r) => r.scenario.startsWith("bare chain") && r.inFlight === result.settings.inFlight) ?? result.results[0];
  const rows = result.results.map((r) => {
    const inFlight = typeof r.inFlight === "number" ? number(r.inFlight, 0) : String(r.inFlight);
    const rss = typeof r.peakRssMb === "number" ? number(r.peakRssMb, 0) : String(r.peakRssMb);
    return `| ${r.scenario} | ${inFlight} | ${number(r.msgPerSec / bare.msgPerSec, 3)}× | ${number(r.msgPerSec, 0)} | ${number(r.p50Ms, 2)} | ${number(r.p99Ms, 2)} | ${rss} |`;
  });
  const ratio = result.ratio;
  const lines = [
    `| scenario | in flight | throughput against the bare chain at ${number(bare.inFlight, 0)} in flight | msg/s | p50 ms | p99 ms | peak RSS MB |`,
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Quick-start slice against the bare chain, in the same run: throughput ${number(ratio.throughputSliceToBare, 2)}×, p99 under load ${number(ratio.p99SliceToBare, 2)}×, p50 one at a time ${number(ratio.singleP50SliceToBare, 2)}×.`,
  ];
  if (Array.isArray(result.offered) && result.offered.length > 0) {
    const first = result.offered[0];
    lines.push(
      "",
      `Offered load: ${number(first.offeredPerSec, 0)} msg/s over ${number(first.chats, 0)} chats for ${number(first.seconds, 0)} s, latency counted from when each message was due:`,
      "",
      "| scenario | answered | refused | achieved msg/s | p50 ms | p99 ms | max ms | p99 beyond the ordering wait ms | kept up |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
      ...result.offered.map(
        (r) =>
          `| ${r.scenario} | ${number(r.answered, 0)} of ${number(r.messages, 0)} | ${number(r.refused, 0)} | ${number(r.achievedPerSec, 0)} | ${number(r.p50Ms, 0)} | ${number(r.p99Ms, 0)} | ${number(r.maxMs, 0)} | ${typeof r.p99BeyondOrderingMs === "number" ? number(r.p99BeyondOrderingMs, 0) : "–"} | ${r.keptUp ? "yes" : "no"} |`,
      ),
    );
  }
  if (Array.isArray(result.perNode) && result.perNode.length > 0) {
    lines.push(
      "",
      `Per node in the text pipeline on memory, from the perf monitor's own figures (mean time from input to done, ${number(result.perNode[0].count, 0)} messages, 20 in flight): ${result.perNode.map((n) => `${n.nodeType} ${number(n.meanUs, 0)} µs`).join(", ")}.`,
    );
  }
  if (Array.isArray(result.peers) && result.peers.length > 0) {
    lines.push(
      "",
      `Stage 2 beside the nodes users pick today, each node alone on the same chat texts (${number(result.settings.inFlight, 0)} in flight): ${result.peers.map((p) => `${p.scenario} ${number(p.msgPerSec, 0)} msg/s (${number(p.usPerMessage, 0)} µs a message)`).join(", ")}.`,
    );
  }
  if (Array.isArray(result.loadBalanced) && result.loadBalanced.length > 0) {
    const described = result.loadBalanced.map((r) => {
      const { sameInstance, otherInstance } = r.handover;
      const waits = [
        sameInstance.count > 0 ? `p50 ${number(sameInstance.p50Ms, 0)} / p99 ${number(sameInstance.p99Ms, 0)} ms on the same process` : "",
        otherInstance.count > 0 ? `p50 ${number(otherInstance.p50Ms, 0)} / p99 ${number(otherInstance.p99Ms, 0)} ms on the other` : "",
      ].filter(Boolean);
      return `- ${r.scenario}: ${number(r.msgPerSec, 0)} msg/s; cores busy: Node-RED ${number(r.coresUsed.nodeRed, 2)}, Redis ${number(r.coresUsed.redis, 2)}, the sender ${number(r.coresUsed.sender, 2)}; a chat's next waiting message locked ${waits.join(", ")} after the one before was done.`;
    });
    lines.push(
      "",
      `Load-balanced on Redis, two processes against one on the same workload: **${number(result.ratio.twoInstancesToOne, 2)}×**.`,
      "",
      ...described,
    );
  }
  lines.push("", source(file, result));
  return lines.join("\n");
}

function startup() {
  const file = "bench/results/startup.json";
  const result = load(file);
  if (!result) return undefined;
  return [
    `\`npm start\` on an installed checkout: the editor answers after **${number(result.editorSecondsMedian, 1)} s** (median of ${result.runs.length} starts; the quick-start flow is running by then), and after ${number(result.firstStart.editorSeconds, 1)} s on the first start after an update, which compiles the pack.`,
    "",
    source(file, result),
  ].join("\n");
}

function media() {
  const file = "bench/results/media.json";
  const result = load(file);
  if (!result) return undefined;
  const lines = [
    "| text messages | p50 ms | p99 ms | max ms | event-loop delay p99 / max ms |",
    "|---|---:|---:|---:|---:|",
    ...result.rows.map(
      (r) =>
        `| ${r.scenario} | ${number(r.p50Ms, 2)} | ${number(r.p99Ms, 2)} | ${number(r.maxMs, 1)} | ${number(r.loopDelayP99Ms, 1)} / ${number(r.loopDelayMaxMs, 1)} |`,
    ),
    "",
    `Media read meanwhile: ${result.media.map((m) => `${m.type} ${m.done} (p50 ${number(m.p50Ms, 0)} ms)`).join(", ")} in ${number(result.mediaSeconds, 1)} s.`,
  ];
  if (result.memory) {
    const m = result.memory;
    lines.push(
      "",
      `Memory: ${m.bigPhotos} photos of ${m.megapixelsEach} megapixels read in ${number(m.burstSeconds, 1)} s; Node-RED's RSS ${m.rssBeforeMb} MB before, peak ${m.rssPeakMb} MB, ${m.rssAfter5sMb} MB 5 s after, ${m.rssIdleAfter65sMb} MB after 65 s idle.`,
    );
  }
  lines.push("", source(file, result));
  return lines.join("\n");
}

function pipeline() {
  const file = "bench/results/pipeline.json";
  const result = load(file);
  if (!result) return undefined;
  const row = (label, r) =>
    `| ${label} | ${number(r.chats, 0)} × ${number(r.messages / r.chats, 0)} | ${number(r.accepted, 0)} | ${number(r.messagesPerSecond, 1)} | ${number(r.replyLatencyMs.p50, 0)} / ${number(r.replyLatencyMs.p99, 0)} | ${number(r.peakRssMb, 0)} | ${r.lost} | ${r.duplicateRows} | ${r.duplicateReplies} | ${r.chatsOutOfOrder} |`;
  return [
    "| run | chats × messages | accepted | replies/s | reply p50 / p99 ms | peak RSS MB | lost | rows twice | replies twice | chats out of order |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    row("all chats at once", result.steady),
    row("SIGTERM after a third of the replies, restart", result.sigterm),
    "",
    `At the SIGTERM: ${result.sigterm.drainLog.join("; ")}.`,
    "",
    source(file, result),
  ].join("\n");
}

function sheets() {
  const file = "bench/results/sheets.json";
  const result = load(file);
  if (!result) return undefined;
  const pct = (x) => `${number(x * 100, 1)} %`;
  const { ours, naive, reads, quota } = result;
  return [
    `- **${number(result.rows, 0)} messages** (${result.faults}): ours ${number(ours.totalCalls, 0)} calls (${number(ours.appendCalls, 0)} appends, ${number(ours.keyChecks, 0)} key checks), ${ours.duplicates} duplicates, ${ours.missing} missing; the naive flow ${number(naive.totalCalls, 0)} calls, ${number(naive.duplicates, 0)} rows written twice, ${naive.missing} missing. Write calls, ours against naive: **${pct(result.writeCallRatio)}**.`,
    `- **Reads**: ${number(result.rows, 0)} look-ups over ${reads.simulatedMinutes} minutes cost ${number(reads.readCalls, 0)} calls through the cache (hit rate ${pct(reads.hitRate)}) against ${number(reads.naiveReadCalls, 0)}; writes and reads together use **${pct(quota.ratio)}** of the naive flow's quota.`,
    "",
    source(file, result),
  ].join("\n");
}

function scaling() {
  const file = "bench/results/scaling.json";
  const result = load(file);
  if (!result) return undefined;
  const row = (store, r) =>
    `| ${store} | ${r.instances} | ${number(r.msgPerSec, 0)} | ${number(r.p50Ms, 0)} / ${number(r.p99Ms, 0)} | ${r.keptUp ? "yes" : "no"} | ${number(r.coresUsed.nodeRed, 2)} | ${number(r.coresUsed.redis, 2)} | ${number(r.coresUsed.sender, 2)} |`;
  const cost = (label, runs) => {
    const mean = (pick) => runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
    return `- ${label}: ${number(
      mean((r) => r.perMessage.redisCommands),
      1,
    )} Redis commands, ${number(
      mean((r) => r.perMessage.bytesToRedis),
      0,
    )} bytes to Redis and ${number(
      mean((r) => r.perMessage.bytesFromRedis),
      0,
    )} back, ${number(
      mean((r) => r.perMessage.redisCpuMicroseconds),
      0,
    )} µs of Redis CPU per message (mean over the runs).`;
  };
  return [
    `${number(result.rate, 0)} msg/s offered for ${result.seconds} s over ${number(result.chats, 0)} chats to each set-up (HTTP in, queue, lock, log line, release, ack); the processes, Redis and the sender share the machine's ${result.machine.cpus} cores.`,
    "",
    "| store | Node-RED processes | msg/s | p50 / p99 ms | kept up | cores: Node-RED | Redis | sender |",
    "|---|---:|---:|---:|---|---:|---:|---:|",
    ...result.curves.redis.map((r) => row("one Redis", r)),
    ...result.curves.cluster.map((r) => row("Redis Cluster, 3 primaries", r)),
    "",
    cost("One Redis", result.curves.redis),
    cost("Redis Cluster", result.curves.cluster),
    "",
    source(file, result),
  ].join("\n");
}

function failover() {
  const file = "bench/results/failover.json";
  const result = load(file);
  if (!result) return undefined;
  const row = (r) =>
    `| ${r.waitReplicas} | ${number(r.sent, 0)} | ${number(r.accepted, 0)} | ${number(r.unconfirmed, 0)} (${number(r.unconfirmedWritten, 0)} written) | ${number(r.notStored, 0)} | ${r.lost} | ${r.duplicateRows} | ${r.redelivered} | ${number(r.pauseMs / 1000, 1)} s | ${number(r.promotedAfterMs / 1000, 1)} s | ${number(r.rejoinedAfterMs / 1000, 1)} s |`;
  return [
    `${number(result.messages, 0)} messages at ${result.rate}/s through queue, lock and Sheets write on Redis Sentinel (1 primary, 1 replica, 3 sentinels); the primary killed (kill -9) after 200 rows and, once the replica was promoted, started again as its replica (as a supervisor would); pause: the longest time without an acknowledgement from the kill on.`,
    "",
    "| replicas to confirm | sent | accepted | unconfirmed | not stored | lost | rows twice | redelivered | pause | promoted after | old primary back as replica after |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...result.runs.map(row),
    "",
    source(file, result),
  ].join("\n");
}

/** The capacity guide's summary: what one instance, one Redis and one Sheets connection carry, measured. */
function capacity() {
  const bench = load("bench/results/latest.json");
  const scale = load("bench/results/scaling.json");
  const sheetsResult = load("bench/results/sheets.json");
  if (!bench || !scale || !sheetsResult) return undefined;
  const scenario = (name) => bench.results.find((r) => r.scenario === name);
  const text = ["memory", "sqlite", "redis"].map((store) => scenario(`text pipeline on ${store} store`));
  const lockQueue = ["memory", "sqlite", "redis"].map((store) => scenario(`lock + queue on ${store} store`));
  if (text.includes(undefined) || lockQueue.includes(undefined)) return undefined;
  const stage2 = bench.perNode.filter((n) =>
    ["wa-entities", "wa-intent", "wa-sentiment", "wa-thread", "wa-flow-analyzer"].includes(n.nodeType),
  );
  const stage2Us = stage2.reduce((sum, n) => sum + n.meanUs, 0);
  // Redis's CPU per message falls as load rises (more commands per write): take it from the busiest run.
  const busiest = scale.curves.redis.reduce((best, r) => (r.msgPerSec > best.msgPerSec ? r : best));
  const perMessageCpuUs = busiest.perMessage.redisCpuMicroseconds;
  const rowsPerCall = sheetsResult.ours.rows / sheetsResult.ours.appendCalls;
  return [
    "| limit | measured | what it means |",
    "|---|---|---|",
    `| one Node-RED instance, the text path of the five-stage pipeline | ${number(text[0].msgPerSec, 0)} / ${number(text[1].msgPerSec, 0)} / ${number(text[2].msgPerSec, 0)} msg/s on memory / embedded / Redis | saturated, all stages on one core |`,
    `| stage 2 (entities, intent, sentiment, thread, conversation flow) | ${number(stage2Us, 0)} µs a message | about ${number(1e6 / stage2Us, 0)} msg/s per core for understanding alone |`,
    `| lock + queue alone | ${number(lockQueue[0].msgPerSec, 0)} / ${number(lockQueue[1].msgPerSec, 0)} / ${number(lockQueue[2].msgPerSec, 0)} msg/s on memory / embedded / Redis | the session stage is rarely the limit |`,
    `| one Redis | ${number(perMessageCpuUs, 0)} µs of Redis CPU and ${number(busiest.perMessage.redisCommands, 0)} commands a message (queue + lock) at ${number(busiest.msgPerSec, 0)} msg/s | about ${number(1e6 / perMessageCpuUs, 0)} msg/s per Redis core before Redis is the limit |`,
    `| one Sheets connection at its defaults (60 requests a minute, 100 rows a request) | ${number(rowsPerCall, 0)} rows a write call in the quota-storm run | up to 100 rows/s (6,000 a minute) when batches fill |`,
    "",
    `<sub>From \`bench/results/latest.json\`, \`bench/results/scaling.json\` and \`bench/results/sheets.json\`; commits ${String(bench.commit).slice(0, 10)}, ${String(scale.commit).slice(0, 10)}, ${String(sheetsResult.commit).slice(0, 10)}.</sub>`,
  ].join("\n");
}

/** The README's few figures at a glance, each from the result file its page's table comes from. */
function glance() {
  const bench = load("bench/results/latest.json");
  const stress = load("bench/results/pipeline.json");
  const sheetsResult = load("bench/results/sheets.json");
  const evaluated = load("eval/results/latest.json");
  if (!bench || !stress || !sheetsResult || !evaluated) return undefined;
  const scenario = (name) => bench.results.find((r) => r.scenario === name);
  const row = (section, dataset, metric) =>
    evaluated.rows.find((r) => r.section === section && r.dataset === dataset && r.metric === metric);
  const embedded = scenario("text pipeline on sqlite store");
  const redis = scenario("text pipeline on redis store");
  const intent = row(
    "intent",
    "gold pool, built-in business model (words, entity types, previous intent), 5-fold CV by conversation",
    "accuracy",
  );
  const sentiment = row(
    "sentiment",
    "gold pool, built-in model's recipe (tweets, XLM-T, the other folds), 5-fold CV by conversation",
    "macro-F1",
  );
  const entities = row("entities", "gold train only (never tuned on), rules: all types", "micro value F1");
  if (!embedded || !redis || !intent || !sentiment || !entities) return undefined;
  const { sigterm } = stress;
  return [
    `- **Speed**: the text path of the five-stage pipeline passes ${number(embedded.msgPerSec, 0)} msg/s on the embedded store and ${number(redis.msgPerSec, 0)} msg/s on Redis, on a 2-core machine ([Performance](docs/performance.md)).`,
    `- **Nothing lost**: ${number(sigterm.chats, 0)} chats at once with a SIGTERM in the middle and a restart: ${sigterm.lost} messages lost, ${sigterm.duplicateRows} rows written twice, ${sigterm.duplicateReplies} replies sent twice, ${sigterm.chatsOutOfOrder} chats out of order.`,
    `- **Google's quota**: ${number(sheetsResult.rows, 0)} rows through 429 storms, lost answers and an outage in ${number(sheetsResult.writeCallRatio * 100, 1)} % of the write calls of one append per message, with no row twice ([Google Sheets](docs/google-sheets.md)).`,
    `- **Understanding**, on shop chats the models were not trained on (cross-validated by conversation): intent accuracy ${number(intent.value, 2)}, sentiment macro-F1 ${number(sentiment.value, 2)}, entity micro-F1 ${number(entities.value, 2)} ([Accuracy](docs/accuracy.md)).`,
    "",
    `<sub>From \`bench/results/latest.json\`, \`bench/results/pipeline.json\`, \`bench/results/sheets.json\` and \`eval/results/latest.json\` (npm run bench, npm run eval); commits ${String(bench.commit).slice(0, 10)}, ${String(stress.commit).slice(0, 10)}, ${String(sheetsResult.commit).slice(0, 10)}, ${String(evaluated.commit).slice(0, 10)}.</sub>`,
  ].join("\n");
}

function evalTable(section, title) {
  const file = "eval/results/latest.json";
  const result = load(file);
  if (!result) return undefined;
  const rows = result.rows.filter((r) => r.section === section);
  if (rows.length === 0) return undefined;
  const value = (v) => (Math.abs(v) >= 100 ? number(v, 0) : Math.abs(v) >= 10 ? number(v, 1) : number(v, 3));
  return [
    `| ${title} | metric | value | target, note |`,
    "|---|---|---:|---|",
    ...rows.map(
      (r) => `| ${r.dataset} | ${r.metric} | ${value(r.value)} | ${[r.target, r.note].filter(Boolean).join("; ").replace(/\|/g, "\\|")} |`,
    ),
    "",
    source(file, result),
  ].join("\n");
}

function install() {
  const file = "bench/results/install.json";
  const result = load(file);
  if (!result) return undefined;
  const { light, wwebjs } = result;
  return [
    "| who | on disk | packages | install time (empty npm cache) |",
    "|---|---:|---:|---:|",
    `| simulator, Cloud API (the default install) | ${number(light.diskMb, 0)} MB | ${number(light.packages, 0)} | ${number(light.seconds, 0)} s |`,
    `| WhatsApp Web too (\`${wwebjs.spec}\` added, system Chromium) | ${number(wwebjs.totalDiskMb, 0)} MB (+${number(wwebjs.addedDiskMb, 0)}) | ${number(wwebjs.totalPackages, 0)} (+${number(wwebjs.addedPackages, 0)}) | +${number(wwebjs.addSeconds, 0)} s |`,
    "",
    source(file, result),
  ].join("\n");
}

function connectionMemory() {
  const file = "bench/results/connection-rss.json";
  const result = load(file);
  if (!result) return undefined;
  const label = {
    none: "no connection (the baseline process)",
    baileys: "WhatsApp Web without a browser (Baileys)",
    "whatsapp-web": "WhatsApp Web (whatsapp-web.js and its Chromium)",
  };
  return [
    "| connection | memory (PSS, median) | over the baseline | RSS summed over its processes |",
    "|---|---:|---:|---:|",
    ...result.results.map(
      (r) =>
        `| ${label[r.kind] ?? r.kind} | ${number(r.medianPssMb, 0)} MB | ${r.kind === "none" ? "–" : `+${number(r.overBaselinePssMb, 0)} MB`} | ${number(r.medianRssSumMb, 0)} MB |`,
    ),
    "",
    "WhatsApp cannot be reached from the machine that measured this, so both connections sit at *cannot connect, retrying*; whatsapp-web.js's Chromium has a page open that never loads, so its figure is a lower bound for a loaded WhatsApp Web app.",
    "",
    source(file, result),
  ].join("\n");
}

const blocks = {
  install,
  "connection-memory": connectionMemory,
  glance,
  performance,
  startup,
  "media-beside-text": media,
  sheets,
  pipeline,
  scaling,
  failover,
  capacity,
  "eval-intent": () => evalTable("intent", "intent"),
  "eval-entities": () => evalTable("entities", "entities"),
  "eval-threads": () => evalTable("threads", "threads"),
  "eval-sentiment": () => evalTable("sentiment", "sentiment"),
  "eval-languages": () => evalTable("stage 2 by language", "language"),
  "eval-media": () => evalTable("media", "media"),
  "eval-nodes": () => evalTable("nodes", "node"),
};

const missing = [];
const changed = [];
for (const page of pages) {
  const original = readFileSync(join(root, page), "utf8");
  let text = original;
  for (const [name, make] of Object.entries(blocks)) {
    const pattern = new RegExp(`(<!-- figures:${name} -->)[\\s\\S]*?(<!-- /figures:${name} -->)`);
    if (!pattern.test(text)) continue;
    const made = make();
    if (made === undefined) {
      missing.push(`${name} (${page})`);
      continue;
    }
    text = text.replace(pattern, (_, open, close) => `${open}\n${made}\n${close}`);
  }
  if (text !== original) changed.push({ page, text });
}
if (missing.length > 0) {
  console.error(`figures: no result file for ${missing.join(", ")}`);
  process.exit(1);
}
if (process.argv.includes("--check")) {
  if (changed.length > 0) {
    console.error(
      `figures: ${changed.map((c) => c.page).join(", ")} not what the committed result files say; run npm run figures and commit`,
    );
    process.exit(1);
  }
  console.log("figures: the README and docs/ match the committed result files");
} else if (changed.length > 0) {
  for (const { page, text } of changed) writeFileSync(join(root, page), text);
  console.log(`figures: rewritten from the result files: ${changed.map((c) => c.page).join(", ")}`);
} else {
  console.log("figures: the README and docs/ already up to date");
}
