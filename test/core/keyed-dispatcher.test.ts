import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { DispatchItem, KeyedDispatcher, KeyedDispatcherOptions } from "../../src/core/session/keyed-dispatcher";

function setup(overrides: Partial<KeyedDispatcherOptions> = {}) {
  const clock = new FakeClock(0);
  const delivered: DispatchItem<string>[] = [];
  const timedOut: DispatchItem<string>[] = [];
  const dropped: [DispatchItem<string>, WaError][] = [];
  const dispatcher = new KeyedDispatcher<string>(
    clock,
    {
      name: "q",
      maxInFlightPerKey: 1,
      maxInFlightTotal: Infinity,
      maxPerKey: 100,
      maxTotal: 1000,
      overflow: "reject",
      ackTimeoutMs: 0,
      ...overrides,
    },
    {
      deliver: (item) => delivered.push(item),
      ackTimedOut: (item) => timedOut.push(item),
      dropped: (item, why) => dropped.push([item, why]),
    },
  );
  return { clock, dispatcher, delivered, timedOut, dropped, payloads: () => delivered.map((item) => item.payload) };
}

describe("KeyedDispatcher (message queue mode: one in flight per chat)", () => {
  it("delivers the first message of a chat at once and holds the next until ack", () => {
    const { dispatcher, delivered, payloads } = setup();
    assert.equal(dispatcher.enqueue("A", "a1").accepted, true);
    dispatcher.enqueue("A", "a2");
    dispatcher.enqueue("A", "a3");
    assert.deepEqual(payloads(), ["a1"]);
    assert.equal(dispatcher.ack(delivered[0].deliveryId), true);
    assert.deepEqual(payloads(), ["a1", "a2"]);
    assert.equal(dispatcher.ack(delivered[0].deliveryId), false, "a second ack of the same delivery is refused");
    dispatcher.ack(delivered[1].deliveryId);
    assert.deepEqual(payloads(), ["a1", "a2", "a3"]);
    assert.deepEqual(dispatcher.stats(), {
      waiting: 0,
      inFlight: 1,
      keys: 1,
      delivered: 3,
      acked: 2,
      rejected: 0,
      dropped: 0,
      ackTimeouts: 0,
    });
  });

  it("runs different chats in parallel and keeps each chat's order", () => {
    const { dispatcher, delivered, payloads } = setup();
    for (let i = 1; i <= 3; i += 1) {
      dispatcher.enqueue("A", `a${i}`);
      dispatcher.enqueue("B", `b${i}`);
    }
    assert.deepEqual(payloads(), ["a1", "b1"]);
    while (dispatcher.stats().inFlight > 0) {
      const open = delivered.filter((item) => dispatcher.isInFlight(item.deliveryId));
      open.forEach((item) => dispatcher.ack(item.deliveryId));
    }
    assert.deepEqual(
      payloads().filter((p) => p.startsWith("a")),
      ["a1", "a2", "a3"],
    );
    assert.deepEqual(
      payloads().filter((p) => p.startsWith("b")),
      ["b1", "b2", "b3"],
    );
  });

  it("refuses a message over the per-chat bound with queue.chatFull", () => {
    const { dispatcher } = setup({ maxPerKey: 2 });
    dispatcher.enqueue("A", "a1");
    dispatcher.enqueue("A", "a2");
    const outcome = dispatcher.enqueue("A", "a3");
    assert.equal(outcome.accepted, false);
    assert.equal(!outcome.accepted && outcome.error.code, "queue.chatFull");
    assert.equal(dispatcher.enqueue("B", "b1").accepted, true);
    assert.equal(dispatcher.stats().rejected, 1);
  });

  it("refuses a message over the total bound with queue.full", () => {
    const { dispatcher } = setup({ maxTotal: 2 });
    dispatcher.enqueue("A", "a1");
    dispatcher.enqueue("B", "b1");
    const outcome = dispatcher.enqueue("C", "c1");
    assert.equal(!outcome.accepted && outcome.error.code, "queue.full");
  });

  it("drops the chat's oldest waiting message with drop-oldest, and reports it", () => {
    const { dispatcher, delivered, dropped, payloads } = setup({ maxPerKey: 3, overflow: "drop-oldest" });
    ["a1", "a2", "a3", "a4"].forEach((p) => dispatcher.enqueue("A", p));
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]![0].payload, "a2");
    assert.equal(dropped[0][1].code, "queue.droppedOldest");
    dispatcher.ack(delivered[0].deliveryId);
    dispatcher.ack(delivered[1].deliveryId);
    assert.deepEqual(payloads(), ["a1", "a3", "a4"]);
  });

  it("still refuses under drop-oldest when nothing waits (all in flight)", () => {
    const { dispatcher } = setup({ maxPerKey: 1, overflow: "drop-oldest" });
    dispatcher.enqueue("A", "a1");
    const outcome = dispatcher.enqueue("A", "a2");
    assert.equal(!outcome.accepted && outcome.error.code, "queue.chatFull");
  });

  it("gives up on an unacked message after the ack timeout and moves the chat on", () => {
    const { clock, dispatcher, timedOut, payloads } = setup({ ackTimeoutMs: 5000 });
    dispatcher.enqueue("A", "a1");
    dispatcher.enqueue("A", "a2");
    clock.advance(4999);
    assert.equal(timedOut.length, 0);
    clock.advance(1);
    assert.deepEqual(
      timedOut.map((item) => item.payload),
      ["a1"],
    );
    assert.deepEqual(payloads(), ["a1", "a2"]);
    assert.equal(dispatcher.stats().ackTimeouts, 1);
  });

  it("hands back everything not acked on close, and refuses new messages", () => {
    const { dispatcher } = setup();
    dispatcher.enqueue("A", "a1");
    dispatcher.enqueue("A", "a2");
    dispatcher.enqueue("B", "b1");
    const left = dispatcher.close();
    assert.deepEqual(left.map((item) => item.payload).sort(), ["a1", "a2", "b1"]);
    assert.deepEqual(
      left.filter((item) => item.deliveredAt === undefined).map((item) => item.payload),
      ["a2"],
    );
    const outcome = dispatcher.enqueue("A", "a3");
    assert.equal(!outcome.accepted && outcome.error.code, "queue.closed");
  });

  it("rejects invalid options", () => {
    assert.throws(() => setup({ maxPerKey: 0 }), /maxPerKey/);
    assert.throws(() => setup({ ackTimeoutMs: -1 }), /ackTimeoutMs/);
  });
});

describe("KeyedDispatcher (parallelizer mode: K per chat, N overall)", () => {
  it("respects the global limit and gives freed slots to the longest-waiting chat", () => {
    const { dispatcher, delivered, payloads } = setup({ maxInFlightPerKey: 2, maxInFlightTotal: 3 });
    dispatcher.enqueue("A", "a1");
    dispatcher.enqueue("A", "a2");
    dispatcher.enqueue("A", "a3");
    dispatcher.enqueue("B", "b1");
    dispatcher.enqueue("C", "c1");
    assert.deepEqual(payloads(), ["a1", "a2", "b1"]);
    dispatcher.ack(delivered[0].deliveryId);
    // a3 arrived before c1, and chat A has room again.
    assert.deepEqual(payloads(), ["a1", "a2", "b1", "a3"]);
    dispatcher.ack(delivered[2].deliveryId);
    assert.deepEqual(payloads(), ["a1", "a2", "b1", "a3", "c1"]);
  });
});
