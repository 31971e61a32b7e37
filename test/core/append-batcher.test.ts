import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from "../../src/core/resilience/circuit-breaker";
import { AppendBatcher, AppendBatcherOptions, AppendBatcherWorld, PendingRow } from "../../src/core/sheets/append-batcher";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import { googleSheetsWriter } from "../../src/core/sheets/google-sheets";
import { googleClientFor } from "../support/sheets-workload";

const TOKEN = "ya29.batcher";

/** A seeded generator, so each run meets the same faults. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

async function run(rows: number, setup: (emulator: SheetsEmulator, clock: FakeClock) => void, options: Partial<AppendBatcherOptions> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 9));
  const emulator = new SheetsEmulator({ clock, random: seeded(7), quotas: { writePerMinutePerUser: 60, readPerMinutePerUser: 60 } });
  emulator.model.create("book", "Orders", [{ title: "Log", rowCount: 100, columnCount: 5 }]);
  await emulator.start();
  setup(emulator, clock);
  const api = googleClientFor(emulator, TOKEN);
  const breaker = new CircuitBreaker(clock, {
    ...DEFAULT_BREAKER_OPTIONS,
    windowMs: 30_000,
    minimumCalls: 5,
    failureRate: 0.6,
    resetTimeoutMs: 20_000,
  });
  const breakerStates: string[] = [];
  breaker.onChange((state) => breakerStates.push(state));
  const written: string[] = [];
  const failed: [string, WaError][] = [];
  const batcher = new AppendBatcher<string>(
    {
      range: "Log!A1",
      keyColumn: 0,
      windowMs: 500,
      maxRows: 50,
      backoffMs: 1000,
      maxBackoffMs: 30_000,
      giveUpAfterMs: 30 * 60_000,
      ...options,
    },
    {
      clock,
      random: seeded(11),
      breaker,
      writer: googleSheetsWriter(api, "book", { timeoutMs: 2000 }),
      written: (done: PendingRow<string>[]) => written.push(...done.map((row) => row.key)),
      failed: (row, error) => failed.push([row.key, error]),
    },
  );
  for (let i = 0; i < rows; i += 1) {
    batcher.add(
      `m${String(i).padStart(5, "0")}`,
      [`m${String(i).padStart(5, "0")}`, `447700900${String(i % 50).padStart(3, "0")}@c.us`, `text ${i}`],
      `m${i}`,
    );
    if (i % 25 === 24) await clock.advanceAsync(100); // messages arrive over time
  }
  // Let real HTTP answer and move the fake clock through backoffs, quotas and outages.
  for (let rounds = 0; written.length + failed.length < rows && rounds < 20_000; rounds += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advanceAsync(250);
  }
  emulator.setFaults({});
  clock.advance(60_000); // a fresh quota minute for reading the sheet back
  const sheet = await api.spreadsheets.values.get({ spreadsheetId: "book", range: "Log!A:A" }, { retry: false });
  await emulator.stop();
  batcher.close();
  return {
    keys: (sheet.data.values ?? []).map((row) => String(row[0])),
    written,
    failed,
    emulator,
    counters: batcher.counters(),
    breakerStates,
    breaker,
  };
}

/** A batcher of up to 10 rows a call on a fresh emulator's "Log" sheet, Google's client, a fake clock from 0. */
async function smallBatcher(report: Pick<AppendBatcherWorld<string>, "written" | "failed">) {
  const clock = new FakeClock(0);
  const emulator = new SheetsEmulator({ clock });
  emulator.model.create("book", "Orders", [{ title: "Log", rowCount: 100, columnCount: 5 }]);
  await emulator.start();
  const api = googleClientFor(emulator, TOKEN);
  const batcher = new AppendBatcher<string>(
    { range: "Log!A1", keyColumn: 0, windowMs: 100, maxRows: 10, backoffMs: 100, maxBackoffMs: 1000, giveUpAfterMs: 60_000 },
    {
      clock,
      random: () => 0.5,
      breaker: new CircuitBreaker(clock, DEFAULT_BREAKER_OPTIONS),
      writer: googleSheetsWriter(api, "book", { timeoutMs: 2000 }),
      ...report,
    },
  );
  return { clock, emulator, api, batcher };
}

describe("AppendBatcher against the Sheets emulator (Google's client, real HTTP, fake clock)", function () {
  this.timeout(60_000);

  it("writes every row exactly once through 30 % 429s, lost answers and a 2-minute outage; the breaker opens and recovers", async () => {
    const rows = 1500;
    const result = await run(rows, (emulator, clock) => {
      emulator.setFaults({
        rateLimitShare: 0.3,
        internalErrorShare: 0.05,
        dropShare: 0.05,
        lostAnswerShare: 0.15,
        outages: [{ from: clock.now() + 2_000, until: clock.now() + 122_000 }],
      });
    });
    assert.deepEqual(result.failed, []);
    assert.equal(result.keys.length, rows, `${result.keys.length} rows in the sheet`);
    assert.equal(new Set(result.keys).size, rows, "no row twice");
    assert.equal(new Set(result.written).size, rows);
    assert.ok(
      result.breakerStates.includes("open") && result.breakerStates[result.breakerStates.length - 1] === "closed",
      `breaker: ${result.breakerStates.join(" → ")}`,
    );
    const calls = result.emulator.counts.byMethod["values.append"] ?? 0;
    assert.ok(calls <= rows * 0.1, `batched: ${calls} append calls for ${rows} rows`);
    assert.ok(result.counters.deduplicated > 0, "some answers were lost after the write, and those rows were not written again");
    console.log(
      `      ${rows} rows: ${calls} append calls (${((calls / rows) * 100).toFixed(1)} % of one-call-per-row), ${result.counters.keyChecks} key checks, ${result.counters.deduplicated} rows found already written after a lost answer, breaker ${result.breakerStates.join(" → ")}`,
    );
  });

  it("sends only the row Google refuses to the dead-letter path; its batch-mates are written", async () => {
    const written: string[] = [];
    const failed: [string, string][] = [];
    const { clock, emulator, batcher } = await smallBatcher({
      written: (rows) => written.push(...rows.map((r) => r.key)),
      failed: (row, error) => failed.push([row.key, error.message]),
    });
    batcher.add("a", ["a", "fine"], "a");
    batcher.add("b", ["b", "x".repeat(50_001)], "b");
    batcher.add("c", ["c", "fine too"], "c");
    for (let i = 0; i < 200 && written.length + failed.length < 3; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      await clock.advanceAsync(100);
    }
    await flushMicrotasks();
    assert.deepEqual(written.sort(), ["a", "c"]);
    assert.equal(failed.length, 1);
    assert.equal(failed[0][0], "b");
    assert.match(failed[0][1], /Google Sheets refused the row: .*50000 characters/);
    await emulator.stop();
  });

  it("writes a message and its redelivery once: twins in one batch, and a redelivery after the row went in, without reading the sheet", async () => {
    const written: [string, boolean][] = [];
    const { clock, emulator, api, batcher } = await smallBatcher({
      written: (rows, alreadyThere) => written.push(...rows.map((r): [string, boolean] => [r.context, alreadyThere])),
      failed: (row, error) => assert.fail(`${row.key}: ${error.message}`),
    });
    const settle = async (count: number) => {
      for (let i = 0; i < 200 && written.length < count; i += 1) {
        await new Promise((resolve) => setImmediate(resolve));
        await clock.advanceAsync(100);
      }
    };
    // A message kept by an outbox across a restart and the queue's redelivery of it, in one batch.
    batcher.add("m1", ["m1", "restored copy"], "m1 restored", true);
    batcher.add("m2", ["m2", "first"], "m2");
    batcher.add("m1", ["m1", "redelivery"], "m1 redelivered", true);
    await settle(3);
    assert.deepEqual(written, [
      ["m1 restored", false],
      ["m2", false],
      ["m1 redelivered", true],
    ]);
    // The redelivery of m2 comes after its row went in: recognised from memory, no read, no append.
    const before = { ...emulator.counts.byMethod };
    batcher.add("m2", ["m2", "redelivery"], "m2 redelivered", true);
    await settle(4);
    assert.deepEqual(written[3], ["m2 redelivered", true]);
    assert.deepEqual(emulator.counts.byMethod, before, "no call to Google for a row this writer wrote");
    const sheet = await api.spreadsheets.values.get({ spreadsheetId: "book", range: "Log!A:B" }, { retry: false });
    assert.deepEqual(sheet.data.values, [
      ["m1", "restored copy"],
      ["m2", "first"],
    ]);
    assert.equal(batcher.counters().deduplicated, 2);
    await emulator.stop();
  });
});
