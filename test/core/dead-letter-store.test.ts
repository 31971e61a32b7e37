import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { DeadLetterOptions, DeadLetterStore } from "../../src/core/resilience/dead-letter-store";
import { MemoryStore } from "../../src/core/store/memory-store";

function setup(overrides: Partial<DeadLetterOptions> = {}) {
  const clock = new FakeClock(0);
  const store = new MemoryStore(clock);
  let next = 0;
  const options: DeadLetterOptions = {
    namespace: "t",
    maxAttempts: 3,
    backoffMs: 1000,
    maxBackoffMs: 60_000,
    settleMs: 300_000,
    maxEntries: 100,
    ...overrides,
  };
  const make = () =>
    new DeadLetterStore(
      store,
      clock,
      () => 0.5,
      () => `dl-${(next += 1)}`,
      options,
    );
  return { clock, store, dlq: make(), make };
}
const failure = (n: number) => ({
  body: JSON.stringify({ payload: `m${n}` }),
  error: { message: "Google said 403", code: "sheets.rejected" },
  source: { id: "w1", type: "wa-sheets-write" },
  chatId: "c1",
});

describe("DeadLetterStore", () => {
  it("records failures with error, node, attempts and times, and retries with exponential backoff up to the limit", async () => {
    const { clock, dlq } = setup();
    const first = await dlq.record(failure(1));
    assert.deepEqual([first.id, first.state, first.attempts, first.nextRetryAt], ["dl-1", "waiting", 1, 1000]);
    assert.deepEqual(await dlq.due(), []);
    clock.advance(1000);
    assert.deepEqual(await dlq.due(), ["dl-1"]);
    const claimed = await dlq.claimForReplay("dl-1", "automatic");
    assert.equal(claimed?.state, "replaying");
    assert.equal(await dlq.claimForReplay("dl-1", "automatic"), undefined, "taken once only");
    const second = await dlq.record({ ...failure(1), id: "dl-1", error: { message: "again" } });
    assert.deepEqual([second.attempts, second.state, second.nextRetryAt, second.error.message], [2, "waiting", 1000 + 2000, "again"]);
    clock.advance(2000);
    await dlq.claimForReplay("dl-1", "automatic");
    const third = await dlq.record({ ...failure(1), id: "dl-1" });
    assert.deepEqual([third.attempts, third.state, third.nextRetryAt], [3, "exhausted", undefined]);
    clock.advance(3_600_000);
    assert.deepEqual(await dlq.due(), [], "exhausted entries wait for a person");
    assert.equal(await dlq.claimForReplay("dl-1", "automatic"), undefined);
    assert.equal((await dlq.claimForReplay("dl-1", "manual"))?.state, "replaying", "a person may replay it");
  });

  it("a replay that does not come back within the settle time is taken as delivered", async () => {
    const { clock, dlq } = setup({ settleMs: 60_000 });
    await dlq.record(failure(1));
    await dlq.claimForReplay("dl-1", "manual");
    clock.advance(59_999);
    assert.deepEqual(await dlq.settle(), []);
    clock.advance(1);
    assert.deepEqual(await dlq.settle(), ["dl-1"]);
    assert.equal((await dlq.metrics()).depth, 0);
  });

  it("after a restart, replays that were in flight wait again (their outcome is unknown)", async () => {
    const { dlq, make } = setup();
    await dlq.record(failure(1));
    await dlq.record(failure(2));
    await dlq.claimForReplay("dl-2", "manual");
    const restarted = make();
    assert.equal(await restarted.requeueInterruptedReplays(), 1);
    assert.deepEqual(
      (await restarted.all()).map((e) => e.state),
      ["waiting", "waiting"],
    );
  });

  it("lists without bodies, inspects, purges one or all, reports depth and age, and refuses beyond its bound", async () => {
    const { clock, dlq } = setup({ maxEntries: 3 });
    await dlq.record(failure(1));
    clock.advance(10_000);
    await dlq.record(failure(2));
    await dlq.record(failure(3));
    await assert.rejects(dlq.record(failure(4)), (e: Error & { code?: string }) => e.code === "deadLetter.full");
    const listed = await dlq.list(2, 0);
    assert.equal(listed.total, 3);
    assert.equal(listed.entries.length, 2);
    assert.equal((listed.entries[0] as unknown as { body?: string }).body, undefined);
    assert.equal(listed.entries[0].bytes, JSON.stringify({ payload: "m1" }).length);
    assert.equal(JSON.parse((await dlq.get("dl-2"))!.body).payload, "m2");
    assert.deepEqual(await dlq.metrics(), { depth: 3, waiting: 3, replaying: 0, exhausted: 0, oldestAgeMs: 10_000 });
    assert.equal(await dlq.remove("dl-1"), true);
    assert.equal(await dlq.purge(), 2);
    assert.equal((await dlq.metrics()).depth, 0);
  });
});
