import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, waitFor } from "../e2e/runtime";
import { RunningNodeRed, crashLines, deploy, fileLines, freshUserDir, startNodeRed } from "./real-runtime";

const MESSAGES = 1000;
const CONCURRENCY = 8;

/** A small seeded generator, so a failing text can be found again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "a las 7 menos ",
  "às 6 e meia ",
  "R$ 1.000.000,00 ",
  "+55 (11) 99999-0000 ",
  "rua das flores, 123 ",
  "2 kg of coffee ",
  "tomorrow at 10am ",
  "😡🔥👍🏽 ",
  "\u202Egpj.exe ",
  "\u200B\u200C\u200D\uFEFF",
  "<script>alert(1)</script> ",
  "'; DROP TABLE orders; -- ",
  "{{constructor.constructor('return process')()}} ",
  "__proto__ ",
  "$(rm -rf /) ",
  "\u0000\u0001\u001b[31m ",
  "\uD800 ",
  "ﷺ ",
  "e\u0301\u0301\u0301\u0301 ",
  "९९९ ",
  "1".repeat(40) + " ",
  "((((((((((",
  "USD ",
  "dia 15 às 14h ",
  "x@y.z ",
  "https://example.com/?a=" + "a".repeat(50) + " ",
];

function hostileText(next: () => number, i: number): string {
  if (i % 97 === 0) return "a".repeat(65_536);
  if (i % 89 === 0) return "a las 7 menos ".repeat(4_000);
  if (i % 83 === 0) return "9".repeat(20_000);
  if (i % 79 === 0) return "";
  const parts: string[] = [];
  const count = 1 + Math.floor(next() * 12);
  for (let p = 0; p < count; p += 1) parts.push(PIECES[Math.floor(next() * PIECES.length)]);
  return parts.join("");
}

/** Envelopes a broken or hostile upstream could hand on: the nodes must route each to an output or a Catch node. */
function hostileEnvelope(i: number, chatId: string, text: string): unknown {
  const message = {
    id: `fuzz-${i}`,
    chatId,
    from: chatId,
    body: text,
    type: "chat",
    timestamp: 1_800_000_000_000 + i,
    isGroup: false,
    fromMe: false,
    transport: "fuzz",
  };
  switch (i % 50) {
    case 1:
      return "not an object";
    case 2:
      return { message: null, trace: [] };
    case 3:
      return { message: { ...message, chatId: `${"9".repeat(10_240)}@c.us` }, trace: [] };
    case 4:
      return { message: { ...message, chatId: "447700900123@c.us\r\nX: 1" }, trace: [] };
    case 5:
      return { message: { ...message, timestamp: "yesterday" }, trace: [] };
    case 6:
      return { message: { ...message, body: 12345 }, trace: [] };
    case 7:
      return { message: { ...message, body: "b".repeat(70_000) }, trace: [] };
    case 8:
      return { message: { ...message, isGroup: true, chatId: "1203630@g.us", author: { $ne: 1 } }, trace: "not a list" };
    case 9:
      return { message: { ...message, id: { toString: 1 } }, trace: [] };
    case 10:
      return { message: { ...message, chatId: 447700900123 }, trace: [] };
    default:
      return { message, trace: [] };
  }
}

function pipelineFlow(dir: string): unknown[] {
  const z = "fuzz-tab";
  const sink = (id: string, file: string, expression: string) => [
    { id, z, type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: expression, tot: "jsonata" }], wires: [[`${id}-file`]] },
    {
      id: `${id}-file`,
      z,
      type: "file",
      filename: join(dir, file),
      filenameType: "str",
      appendNewline: true,
      createDir: true,
      overwriteFile: "false",
      encoding: "none",
      wires: [[]],
    },
  ];
  const example = JSON.parse(readFileSync(join(repoRoot, "examples", "wa-intent.json"), "utf8")) as Record<string, unknown>[];
  const stage2 = (type: string, next: string[][]) => ({
    ...(example.find((n) => n.type === type) as Record<string, unknown>),
    id: `fuzz-${type}`,
    z,
    wires: next,
  });
  return [
    { id: z, type: "tab", label: "hostile messages" },
    { id: "fuzz-http", z, type: "http in", url: "/fuzz", method: "post", upload: false, swaggerDoc: "", wires: [["fuzz-envelope"]] },
    {
      id: "fuzz-envelope",
      z,
      type: "change",
      rules: [
        { t: "set", p: "fuzzId", pt: "msg", to: "payload.fuzzId", tot: "msg" },
        { t: "set", p: "wa", pt: "msg", to: "payload.wa", tot: "msg" },
        { t: "set", p: "payload", pt: "msg", to: "payload.text", tot: "msg" },
      ],
      wires: [["fuzz-answer", "fuzz-wa-entities"]],
    },
    { id: "fuzz-answer", z, type: "http response", statusCode: "200", headers: {}, wires: [] },
    stage2("wa-entities", [["fuzz-wa-intent"]]),
    stage2("wa-intent", [["fuzz-wa-sentiment"]]),
    stage2("wa-sentiment", [["fuzz-thread"]]),
    {
      id: "fuzz-thread",
      z,
      type: "wa-thread",
      threadName: "fuzz",
      closeAfterHours: 1,
      resumeAfterMinutes: 30,
      participantMinutes: 30,
      joinSimilarity: 0.2,
      smallGroupWriters: 6,
      cues: "",
      wires: [["fuzz-flow"], []],
    },
    {
      id: "fuzz-flow",
      z,
      type: "wa-flow-analyzer",
      flowName: "fuzz",
      unansweredMinutes: 5,
      negativeStreak: 2,
      humanIntents: "human",
      ttlHours: 72,
      wires: [["fuzz-dedupe"], []],
    },
    {
      id: "fuzz-dedupe",
      z,
      type: "wa-dedupe",
      dedupeName: "fuzz",
      key: "wa.message.id",
      keyType: "msg",
      ttlHours: 1,
      action: "claim",
      wires: [["fuzz-ordering"], ["fuzz-ok"]],
    },
    {
      id: "fuzz-ordering",
      z,
      type: "wa-ordering",
      orderBy: "timestamp",
      orderProperty: "wa.message.timestamp",
      chatProperty: "wa.message.chatId",
      idProperty: "wa.message.id",
      maxWaitMs: 300,
      maxHeldPerChat: 1000,
      startAt: "",
      wires: [["fuzz-degrade"], ["fuzz-ok"]],
    },
    {
      id: "fuzz-degrade",
      z,
      type: "wa-degrade",
      routing: "route",
      outputs: 4,
      healthNode: "",
      queueName: "",
      sheets: "",
      reducedBelowScore: 70,
      minimalBelowScore: 40,
      reducedAboveDepth: 200,
      minimalAboveDepth: 1000,
      openBreakerMode: "reduced",
      recoverSeconds: 30,
      wires: [["fuzz-ok"], ["fuzz-ok"], ["fuzz-ok"], ["fuzz-ok"]],
    },
    ...sink("fuzz-ok", "passed.log", 'fuzzId & " ok"'),
    { id: "fuzz-catch", z, type: "catch", scope: null, uncaught: false, wires: [["fuzz-caught", "fuzz-dead-letter"]] },
    ...sink(
      "fuzz-caught",
      "caught.log",
      'fuzzId & " " & $string(error.code) & " " & $string($contains($string(error.message), "__")) & " " & $string(error.source.type) & " " & $substring($replace($replace($string(error.message), "\n", " "), "\r", " "), 0, 120)',
    ),
    {
      id: "fuzz-dead-letter",
      z,
      type: "wa-dead-letter",
      store: "",
      dlqName: "fuzz",
      autoRetry: false,
      maxAttempts: 5,
      backoffSeconds: 30,
      maxBackoffMinutes: 60,
      settleMinutes: 5,
      maxEntries: 10000,
      checkSeconds: 5,
      wires: [[], []],
    },
  ];
}

describe("security: 1,000 hostile messages through the stage-2 and resilience nodes in a real Node-RED", function () {
  this.timeout(600_000);
  let dir: string;
  let userDir: string;
  let runtime: RunningNodeRed;

  before(async () => {
    ({ dir, userDir } = freshUserDir("fuzz"));
    runtime = await startNodeRed(userDir);
    await deploy(runtime, pipelineFlow(dir));
  });
  after(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("routes every message to an output or a Catch node, each error with a catalogue code and a whole text, and lives", async () => {
    const next = random(20261202);
    const codes = new Set<string>(["config.invalid"]);
    const catalogue = JSON.parse(readFileSync(join(repoRoot, "nodes", "locales", "en-US", "wa-client.json"), "utf8")) as {
      errors: Record<string, Record<string, string>>;
    };
    for (const [namespace, texts] of Object.entries(catalogue.errors))
      for (const key of Object.keys(texts)) codes.add(`${namespace}.${key.replace(/_.*$/, "")}`);
    const started = Date.now();
    let sent = 0;
    const sendOne = async (i: number) => {
      const chatId = `55119${String(i % 40).padStart(8, "0")}@c.us`;
      const text = hostileText(next, i);
      const wa = i % 50 === 11 ? undefined : hostileEnvelope(i, chatId, text);
      const response = await fetch(`${runtime.url}/fuzz`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ fuzzId: `f${i}`, text, wa }),
      });
      assert.equal(response.status, 200, `message ${i}`);
      sent += 1;
    };
    for (let i = 0; i < MESSAGES; i += CONCURRENCY) {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, MESSAGES - i) }, (_, k) => sendOne(i + k)));
      assert.ok(Date.now() - started < 400_000, `sending took too long (${sent} sent)`);
    }
    const passed = () => fileLines(join(dir, "passed.log"));
    const caught = () => fileLines(join(dir, "caught.log"));
    const ended = () => new Set([...passed(), ...caught()].map((line) => line.split(" ")[0]));
    await waitFor(() => ended().size >= MESSAGES, 120_000, "every message at an end").catch(() => undefined);
    const seen = new Map<string, number>();
    for (const line of [...passed(), ...caught()]) seen.set(line.split(" ")[0], (seen.get(line.split(" ")[0]) ?? 0) + 1);
    const lost = Array.from({ length: MESSAGES }, (_, i) => `f${i}`).filter((id) => !seen.has(id));
    assert.deepEqual(lost, [], "no message lost");
    assert.deepEqual(
      [...seen].filter(([, n]) => n > 1),
      [],
      "no message at two ends",
    );
    const uncoded = caught().filter((line) => !codes.has(line.split(" ")[1]));
    assert.deepEqual(uncoded.slice(0, 10), [], "every error has a code of the catalogue");
    assert.deepEqual(
      caught()
        .filter((line) => line.split(" ")[2] === "true")
        .slice(0, 10),
      [],
      "no error text with an unfilled __placeholder__",
    );
    assert.ok(passed().length > MESSAGES / 2, `most hostile texts are still understood and passed on (${passed().length})`);
    assert.deepEqual(crashLines(runtime.logs), []);
    console.log(
      `      ${passed().length} passed, ${caught().length} caught (${[...new Set(caught().map((l) => l.split(" ")[1]))].join(", ")}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
