import { sheets as sheetsApi, sheets_v4 } from "@googleapis/sheets";
import { FakeClock } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from "../../src/core/resilience/circuit-breaker";
import { TokenBucket } from "../../src/core/resilience/token-bucket";
import { AppendBatcher, PendingRow, SheetsCallError } from "../../src/core/sheets/append-batcher";
import { CellValue } from "../../src/core/sheets/sheets-model";
import { EmulatorFaults, SheetsEmulator } from "../../src/emulator/sheets-emulator";
import { googleSheetsWriter } from "../../src/core/sheets/google-sheets";

/**
 * One Sheets write-back workload run two ways against the emulator with Google's own client and
 * a fake clock: the pack's batched, breaker-guarded writer, and the naive flow people build by
 * hand (one append per message, retried on 429 / 5xx / no answer). Used by a test and the bench.
 */
export interface WorkloadOptions {
  rows: number;
  /** Faults, with outage times relative to the start. */
  faults: Partial<EmulatorFaults>;
  seed?: number;
}

export interface WorkloadResult {
  rows: number;
  appendCalls: number;
  totalCalls: number;
  rowsInSheet: number;
  uniqueKeysInSheet: number;
  duplicates: number;
  missing: number;
  deadLettered: number;
  breakerStates: string[];
  simulatedMinutes: number;
  keyChecks?: number;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

const START = Date.UTC(2026, 10, 25, 9);
const TOKEN = "ya29.workload";

/** Google's own Sheets client pointed at the emulator, with the bearer token it accepts, and no retries of its own. */
export function googleClientFor(emulator: SheetsEmulator, token: string): sheets_v4.Sheets {
  return sheetsApi({
    version: "v4",
    rootUrl: `${emulator.url}/`,
    headers: { Authorization: `Bearer ${token}` },
    retry: false,
  } as unknown as sheets_v4.Options);
}
const ARRIVALS_PER_TICK = 50;
const TICK_MS = 100;

const keyOf = (i: number) => `wamid.${String(i).padStart(6, "0")}`;
const rowOf = (i: number): CellValue[] => [keyOf(i), `447700900${String(i % 200).padStart(3, "0")}@c.us`, `message ${i}`];

async function setUp(options: WorkloadOptions) {
  const clock = new FakeClock(START);
  const emulator = new SheetsEmulator({ clock, random: seeded(options.seed ?? 7) });
  emulator.model.create("book", "Orders", [{ title: "Log", rowCount: options.rows * 2 + 100, columnCount: 5 }]);
  await emulator.start();
  const faults = {
    ...options.faults,
    outages: (options.faults.outages ?? []).map((o) => ({ from: START + o.from, until: START + o.until })),
  };
  emulator.setFaults(faults);
  return { clock, emulator, api: googleClientFor(emulator, TOKEN) };
}

/** Reads the sheet back, stops the emulator and puts the figures together. */
async function finish(
  emulator: SheetsEmulator,
  clock: FakeClock,
  rows: number,
  outcome: { deadLettered: number; breakerStates: string[]; keyChecks?: number },
): Promise<WorkloadResult> {
  emulator.setFaults({});
  const keys = (emulator.model.get("book", "Log!A:A").values ?? []).map((row) => String(row[0]));
  const unique = new Set(keys);
  let missing = 0;
  for (let i = 0; i < rows; i += 1) if (!unique.has(keyOf(i))) missing += 1;
  const result: WorkloadResult = {
    rows,
    appendCalls: emulator.counts.byMethod["values.append"] ?? 0,
    totalCalls: emulator.counts.total,
    rowsInSheet: keys.length,
    uniqueKeysInSheet: unique.size,
    duplicates: keys.length - unique.size,
    missing,
    simulatedMinutes: Math.round((clock.now() - START) / 60_000),
    ...outcome,
  };
  await emulator.stop();
  return result;
}

/** Moves the fake clock while real HTTP answers, until `finished` or the round limit. */
async function drive(clock: FakeClock, finished: () => boolean, stepMs = 250, maxRounds = 200_000): Promise<void> {
  for (let round = 0; !finished() && round < maxRounds; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advanceAsync(stepMs);
  }
}

export async function batchedWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const { clock, emulator, api } = await setUp(options);
  const breaker = new CircuitBreaker(clock, {
    ...DEFAULT_BREAKER_OPTIONS,
    windowMs: 30_000,
    minimumCalls: 5,
    failureRate: 0.5,
    resetTimeoutMs: 20_000,
  });
  const breakerStates: string[] = [];
  breaker.onChange((state) => breakerStates.push(state));
  const quota = new TokenBucket(clock, 60);
  let written = 0;
  const failed: WaError[] = [];
  const batcher = new AppendBatcher<number>(
    {
      range: "Log!A1",
      keyColumn: 0,
      windowMs: 1000,
      maxRows: 100,
      backoffMs: 1000,
      maxBackoffMs: 60_000,
      giveUpAfterMs: 60 * 60_000,
      checkKeysFirst: true,
    },
    {
      clock,
      random: seeded((options.seed ?? 7) + 4),
      breaker,
      writer: googleSheetsWriter(api, "book", { timeoutMs: 20_000, beforeCall: () => quota.turn() }),
      written: (rows: PendingRow<number>[]) => (written += rows.length),
      failed: (_row, error) => failed.push(error),
    },
  );
  for (let i = 0; i < options.rows; i += 1) {
    batcher.add(keyOf(i), rowOf(i), i);
    if (i % ARRIVALS_PER_TICK === ARRIVALS_PER_TICK - 1) await clock.advanceAsync(TICK_MS);
  }
  await drive(clock, () => written + failed.length >= options.rows);
  const counters = batcher.counters();
  batcher.close();
  return finish(emulator, clock, options.rows, { deadLettered: failed.length, breakerStates, keyChecks: counters.keyChecks });
}

/** The hand-built flow: every message its own append, retried on 429 / 5xx / no answer, `concurrency` at a time. */
export async function naiveWorkload(options: WorkloadOptions & { concurrency?: number }): Promise<WorkloadResult> {
  const { clock, emulator, api } = await setUp(options);
  const writer = googleSheetsWriter(api, "book", { timeoutMs: 20_000 });
  let next = 0;
  let arrived = 0;
  let finished = 0;
  let gaveUp = 0;
  const random = seeded((options.seed ?? 7) + 9);
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  const writeOne = async (i: number) => {
    const started = clock.now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await writer.append("Log!A1", [rowOf(i)]);
        return;
      } catch (error) {
        const failure = error instanceof SheetsCallError ? error : new SheetsCallError(String(error), 0);
        if (!failure.transient || clock.now() - started > 60 * 60_000) {
          gaveUp += 1;
          return;
        }
        const base = Math.min(32_000, 1000 * 2 ** (attempt - 1));
        await sleep(failure.retryAfterMs ?? Math.round(base / 2 + (random() * base) / 2));
      }
    }
  };
  const worker = async () => {
    for (;;) {
      while (next >= arrived) {
        if (arrived >= options.rows) return;
        await sleep(TICK_MS);
      }
      const i = next;
      next += 1;
      await writeOne(i);
      finished += 1;
    }
  };
  const arrivals = (async () => {
    while (arrived < options.rows) {
      arrived = Math.min(options.rows, arrived + ARRIVALS_PER_TICK);
      await sleep(TICK_MS);
    }
  })();
  const workers = Array.from({ length: options.concurrency ?? 10 }, () => worker());
  await drive(clock, () => finished >= options.rows, 250);
  await Promise.all([arrivals, ...workers]);
  return finish(emulator, clock, options.rows, { deadLettered: gaveUp, breakerStates: [] });
}

/** The proof's fault profile: 30 % of calls answered 429, a 2-minute outage, and some lost answers. */
export const PROOF_FAULTS: Partial<EmulatorFaults> = {
  rateLimitShare: 0.3,
  lostAnswerShare: 0.05,
  outages: [{ from: 10_000, until: 130_000 }],
};

export interface ReadWorkloadResult {
  lookups: number;
  readCalls: number;
  naiveReadCalls: number;
  hitRate: number;
  simulatedMinutes: number;
}

/** Look-ups of a product list, one per message for `minutes`, through the read cache (TTL 60 s, stale 5 min) and without. */
export async function cachedReadWorkload(lookups: number, minutes: number): Promise<ReadWorkloadResult> {
  const { SheetsReadCache } = await import("../../src/core/sheets/read-cache");
  const { googleSheetsReader } = await import("../../src/core/sheets/google-sheets");
  const { clock, emulator, api } = await setUp({ rows: 10, faults: {} });
  emulator.model.update(
    "book",
    "Log!A1",
    [
      ["sku", "name", "price"],
      ["TEA-1", "Green tea", 3.5],
      ["COF-2", "Coffee", 9.9],
    ],
    "RAW",
  );
  const cache = new SheetsReadCache(
    { namespace: "book", ttlMs: 60_000, staleMs: 300_000, maxEntries: 100 },
    { clock, fetch: googleSheetsReader(api, "book", { timeoutMs: 20_000 }) },
  );
  const spacing = (minutes * 60_000) / lookups;
  for (let i = 0; i < lookups; i += 1) {
    await cache.read("Log!A:C");
    // A background refresh answers (real HTTP) before the next message arrives.
    await cache.idle();
    clock.advance(spacing);
  }
  const result = {
    lookups,
    readCalls: emulator.counts.byMethod["values.get"] ?? 0,
    naiveReadCalls: lookups,
    hitRate: cache.hitRate(),
    simulatedMinutes: minutes,
  };
  await emulator.stop();
  return result;
}
