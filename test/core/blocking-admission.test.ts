import assert from "node:assert/strict";
import { Admission, BlockingAdmission } from "../../src/core/session/blocking-admission";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { DispatchItem, KeyedDispatcher } from "../../src/core/session/keyed-dispatcher";

/** A real dispatcher that refuses when full, behind the blocking admission. */
function setup(maxPerKey = 1, maxTotal = 10, maxBlocked = 10) {
  const clock = new FakeClock(0);
  const delivered: DispatchItem<string>[] = [];
  const dispatcher = new KeyedDispatcher<string>(
    clock,
    { name: "q", maxInFlightPerKey: 1, maxInFlightTotal: Infinity, maxPerKey, maxTotal, overflow: "reject", ackTimeoutMs: 0 },
    { deliver: (item) => delivered.push(item), ackTimedOut: () => undefined, dropped: () => undefined },
  );
  const admission = new BlockingAdmission<string>(clock, { maxWaitMs: 5_000, maxBlocked, retryEveryMs: 1_000 }, async (key, item) =>
    dispatcher.enqueue(key, item),
  );
  const outcomes = new Map<string, Admission>();
  const admit = (key: string, item: string) => void admission.admit(key, item).then((outcome) => outcomes.set(item, outcome));
  const ack = (payload: string) => {
    const item = delivered.find((d) => d.payload === payload);
    assert.ok(item, `${payload} was delivered`);
    dispatcher.ack(item.deliveryId);
    admission.roomMayHaveAppeared();
  };
  return { clock, admission, admit, ack, outcomes, payloads: () => delivered.map((d) => d.payload) };
}

describe("BlockingAdmission (the queue's block policy)", () => {
  it("holds a message while its chat is full and admits it after an ack", async () => {
    const { admit, ack, outcomes, payloads, admission } = setup();
    admit("A", "a1");
    admit("A", "a2");
    await flushMicrotasks();
    assert.deepEqual(payloads(), ["a1"]);
    assert.equal(outcomes.get("a1")?.accepted, true);
    assert.equal(outcomes.has("a2"), false, "a2 waits: its input is not settled");
    assert.equal(admission.blocked, 1);
    ack("a1");
    await flushMicrotasks();
    assert.deepEqual(payloads(), ["a1", "a2"]);
    assert.equal(outcomes.get("a2")?.accepted, true);
    assert.equal(admission.blocked, 0);
  });

  it("never lets a later message of a chat overtake a blocked one", async () => {
    const { admit, ack, payloads } = setup(2);
    admit("A", "a1");
    admit("A", "a2");
    admit("A", "a3"); // blocked: the chat holds two
    await flushMicrotasks();
    ack("a1"); // room for one: a3 must go before a4
    admit("A", "a4");
    await flushMicrotasks();
    ack("a2");
    await flushMicrotasks();
    ack("a3");
    await flushMicrotasks();
    assert.deepEqual(payloads(), ["a1", "a2", "a3", "a4"]);
  });

  it("lets another chat in while one chat is blocked", async () => {
    const { admit, outcomes, payloads } = setup();
    admit("A", "a1");
    admit("A", "a2");
    admit("B", "b1");
    await flushMicrotasks();
    assert.deepEqual(payloads(), ["a1", "b1"]);
    assert.equal(outcomes.get("b1")?.accepted, true);
  });

  it("refuses with queue.blockTimeout when no room appears in time", async () => {
    const { clock, admit, outcomes, admission } = setup();
    admit("A", "a1");
    admit("A", "a2");
    await flushMicrotasks();
    await clock.advanceAsync(4_000);
    assert.equal(outcomes.has("a2"), false);
    await clock.advanceAsync(1_000);
    await flushMicrotasks();
    const outcome = outcomes.get("a2");
    assert.ok(outcome && !outcome.accepted);
    assert.equal(outcome.error.code, "queue.blockTimeout");
    assert.equal(outcome.error.params.chatId, "A");
    assert.equal(admission.blocked, 0);
  });

  it("finds room that appears elsewhere (another instance) on its timer", async () => {
    const clock = new FakeClock(0);
    let room = false;
    const admission = new BlockingAdmission<string>(clock, { maxWaitMs: 10_000, maxBlocked: 5, retryEveryMs: 1_000 }, async () =>
      room ? { accepted: true } : { accepted: false, error: new WaError("queue.full", "full", { max: 1 }) },
    );
    let outcome: Admission | undefined;
    void admission.admit("A", "x").then((o) => (outcome = o));
    await flushMicrotasks();
    room = true;
    await clock.advanceAsync(1_000);
    await flushMicrotasks();
    assert.equal(outcome?.accepted, true);
  });

  it("refuses at once beyond the number that may wait, and refuses the waiting ones when closed", async () => {
    const { admit, outcomes, admission } = setup(1, 10, 1);
    admit("A", "a1");
    admit("A", "a2");
    admit("B", "b1");
    admit("B", "b2");
    await flushMicrotasks();
    assert.equal(admission.blocked, 1);
    const refused = outcomes.get("b2");
    assert.ok(refused && !refused.accepted);
    assert.equal(refused.error.code, "queue.chatFull");
    admission.close(() => new WaError("queue.closed", "stopped", { chatId: "A" }));
    await flushMicrotasks();
    const closed = outcomes.get("a2");
    assert.ok(closed && !closed.accepted);
    assert.equal(closed.error.code, "queue.closed");
  });

  it("passes other refusals straight through", async () => {
    const clock = new FakeClock(0);
    const admission = new BlockingAdmission<string>(clock, { maxWaitMs: 1_000, maxBlocked: 5, retryEveryMs: 100 }, async () => ({
      accepted: false,
      error: new WaError("queue.notSerialisable", "no", { reason: "no" }),
    }));
    const outcome = await admission.admit("A", "x");
    assert.ok(!outcome.accepted);
    assert.equal(outcome.error.code, "queue.notSerialisable");
    assert.equal(admission.blocked, 0);
  });
});

describe("BlockingAdmission with a store that answers slowly", () => {
  it("keeps a chat's order when room appears between two first attempts", async () => {
    const clock = new FakeClock(0);
    let room = 0;
    const admitted: string[] = [];
    let releaseFirstAnswer!: () => void;
    const firstAnswer = new Promise<void>((resolve) => (releaseFirstAnswer = resolve));
    // The store reads "is there room" at once and answers "first" late, as a slow round trip does.
    const admission = new BlockingAdmission<string>(
      clock,
      { maxWaitMs: 10_000, maxBlocked: 5, retryEveryMs: 1_000 },
      async (_key, item) => {
        const hadRoom = room > 0;
        if (hadRoom) room -= 1;
        if (item === "first" && admitted.length === 0 && !hadRoom) await firstAnswer;
        if (!hadRoom) return { accepted: false, error: new WaError("queue.chatFull", "full", { chatId: "A", max: 1 }) };
        admitted.push(item);
        return { accepted: true };
      },
    );
    void admission.admit("A", "first");
    await flushMicrotasks();
    room = 1; // room appears while "first" is still finding out that there was none
    const second = admission.admit("A", "second");
    await flushMicrotasks();
    assert.deepEqual(admitted, [], "second did not overtake first");
    releaseFirstAnswer();
    await flushMicrotasks();
    assert.equal(admission.blocked, 2, "second waits behind first");
    admission.roomMayHaveAppeared();
    await flushMicrotasks();
    room = 1;
    admission.roomMayHaveAppeared();
    await second;
    assert.deepEqual(admitted, ["first", "second"]);
  });
});
