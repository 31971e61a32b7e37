import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./runtime";

const run = promisify(execFile);

describe("wapipe-batch (the package's batch command, real Node-RED)", function () {
  this.timeout(120_000);
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-batch-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the intent example over gold rows and envelopes, one line out per line in, in order", async () => {
    const chat = "447700900123@c.us";
    const input = [
      JSON.stringify({ id: "g1", chat, from: chat, timestamp: 1730725512, text: "hello, where is my order #BR-20931?" }),
      JSON.stringify({
        wa: { message: { id: "e2", chatId: chat, from: chat, body: "I want to speak to a person", timestamp: 1730725600000 } },
      }),
      "{this is not json",
      "",
      JSON.stringify({ id: "g4", chat: "5511974328816@c.us", timestamp: 1730725700, text: "\ud800 lone surrogate and 😀" }),
      JSON.stringify({ id: "g5", chat, timestamp: 1730725800, text: "" }),
    ];
    writeFileSync(join(dir, "in.jsonl"), `${input.join("\n")}\n`);
    const { stderr } = await run(
      process.execPath,
      [
        join(repoRoot, "dist", "batch", "cli.js"),
        "--flow",
        join(repoRoot, "examples", "wa-intent.json"),
        "--input",
        join(dir, "in.jsonl"),
        "--output",
        join(dir, "out.jsonl"),
        "--timings",
        join(dir, "timings.json"),
      ],
      { cwd: repoRoot },
    );
    const out = readFileSync(join(dir, "out.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      out.map((row) => row.id ?? `bad@${String(row.index)}`),
      ["g1", "e2", "bad@2", "g4", "g5"],
    );
    const [order, person, bad, odd, empty] = out;
    assert.deepEqual(
      (order.entities as { type: string; value: string }[]).map((e) => [e.type, e.value]),
      [["order_id", "BR-20931"]],
    );
    assert.ok((order.intent as { label: string }).label, "an intent for every message");
    assert.deepEqual([(order.flow as { stage: string }).stage !== undefined, (order.replies as string[]).length], [true, 1]);
    assert.equal((person.intent as { label: string }).label, "human");
    assert.deepEqual(person.replies, ["Passing you to a person now."]);
    assert.match((bad.errors as { message: string }[])[0].message, /line 3: not JSON/);
    assert.deepEqual([odd.errors, empty.errors], [[], []]);
    assert.match(stderr, /4 messages in [\d.]+ s .*0 with errors, 0 timed out, 1 bad lines/);
    // Each node's time per message, measured from its input to its done inside the runtime.
    const timings = JSON.parse(readFileSync(join(dir, "timings.json"), "utf8")) as {
      type: string;
      messages: number;
      msPerMessage: number;
      firstMs: number;
    }[];
    const entities = timings.find((t) => t.type === "wa-entities");
    assert.equal(entities?.messages, 4);
    assert.ok(entities.msPerMessage >= 0 && entities.firstMs >= 0);
    assert.match(stderr, /wa-entities\s+4\s+[\d.]+/);
  });

  it("says what is wrong with its arguments and with a flow it cannot start", async () => {
    const usage = await run(process.execPath, [join(repoRoot, "dist", "batch", "cli.js"), "--flow", "x.json"], { cwd: repoRoot }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    assert.deepEqual([(usage as { code: number }).code, /usage: wapipe-batch/.test((usage as { stderr: string }).stderr)], [2, true]);
    writeFileSync(join(dir, "flow.json"), JSON.stringify([{ id: "n1", type: "not-installed-type", x: 1, y: 1, wires: [] }]));
    writeFileSync(join(dir, "in.jsonl"), `${JSON.stringify({ chat: "1@c.us", text: "hi" })}\n`);
    const failed = await run(
      process.execPath,
      [join(repoRoot, "dist", "batch", "cli.js"), "--flow", join(dir, "flow.json"), "--input", join(dir, "in.jsonl"), "--entry", "n1"],
      { cwd: repoRoot, env: { ...process.env, WAPIPE_BATCH_START_SECONDS: "3" } },
    ).catch((error: { code: number; stderr: string }) => error);
    assert.equal((failed as { code: number }).code, 1);
    assert.match((failed as { stderr: string }).stderr, /the flow did not start within 3 s/);
  });
});
