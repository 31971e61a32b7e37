import assert from "node:assert/strict";
import queueNode from "../../src/nodes/wa-message-queue";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

type Delivered = { wa: { session: { queue: { deliveryId: string; deliveryCount: number; queueName: string } } } };

describe("wa-message-queue node", () => {
  const harness = useNodeHarness();

  function flow(enqueue: Record<string, unknown> = {}) {
    return inTab([
      {
        id: "q1",
        type: "wa-message-queue",
        mode: "enqueue",
        queueName: "default",
        key: "wa.message.chatId",
        maxPerChat: 100,
        maxTotal: 1000,
        overflow: "reject",
        ackTimeout: 60,
        wires: [["next"], ["refused"]],
        ...enqueue,
      },
      { id: "ack1", type: "wa-message-queue", mode: "ack", queueName: "default", wires: [["acked"]] },
      helperNode("next"),
      helperNode("refused"),
      helperNode("acked"),
      catchNode(),
      helperNode("errors"),
    ]);
  }

  it("lets one message per chat through, many chats in parallel, the next after an ack", async () => {
    await helper.load(queueNode, flow());
    const next = collect("next");
    const acked = collect("acked");
    const queue = getNode("q1");
    queue.receive(envelope("A@c.us", "a1"));
    queue.receive(envelope("A@c.us", "a2"));
    queue.receive(envelope("B@c.us", "b1"));
    await until(() => next.length === 2);
    assert.deepEqual(
      next.map((m) => m.payload),
      ["a1", "b1"],
    );
    const delivery = (next[0] as unknown as Delivered).wa.session.queue;
    assert.equal(delivery.queueName, "default");
    assert.equal(delivery.deliveryCount, 1);
    getNode("ack1").receive(next[0]);
    await until(() => next.length === 3 && acked.length === 1);
    assert.equal(next[2].payload, "a2");
  });

  it("refuses a message over the per-chat bound to the second output", async () => {
    await helper.load(queueNode, flow({ maxPerChat: 2 }));
    const refused = collect("refused");
    const queue = getNode("q1");
    ["a1", "a2", "a3"].forEach((body) => queue.receive(envelope("A@c.us", body)));
    await until(() => refused.length === 1);
    assert.equal(refused[0].payload, "a3");
    assert.equal((refused[0].error as { code: string }).code, "queue.chatFull");
  });

  it("drops the oldest waiting message to the Catch node with drop-oldest", async () => {
    await helper.load(queueNode, flow({ maxPerChat: 2, overflow: "drop-oldest" }));
    const errors = collect("errors");
    const next = collect("next");
    const queue = getNode("q1");
    ["a1", "a2", "a3"].forEach((body) => queue.receive(envelope("A@c.us", body)));
    await until(() => errors.length === 1);
    assert.equal(errors[0].payload, "a2");
    assert.match((errors[0].error as { message: string }).message, /Dropped the oldest/);
    getNode("ack1").receive(next[0]);
    await until(() => next.length === 2);
    assert.equal(next[1].payload, "a3");
  });

  it("reports a message never acked to the Catch node and moves the chat on", async () => {
    await helper.load(queueNode, flow({ ackTimeout: 3 }));
    const errors = collect("errors");
    const next = collect("next");
    const queue = getNode("q1");
    queue.receive(envelope("A@c.us", "stuck"));
    queue.receive(envelope("A@c.us", "after"));
    await until(() => next.length === 1);
    await harness.clock().advanceAsync(3000);
    await until(() => errors.length === 1 && next.length === 2);
    assert.equal(errors[0].payload, "stuck");
    assert.match((errors[0].error as { message: string }).message, /no ack within 3000 ms/);
    assert.equal((errors[0].error as { code?: string }).code, "queue.ackTimeout", "the code is on msg.error, where a Catch flow reads it");
  });

  it("sends a message without a chat to the Catch node", async () => {
    await helper.load(queueNode, flow());
    const errors = collect("errors");
    getNode("q1").receive({ payload: "plain" });
    getNode("ack1").receive({ payload: "not delivered by a queue" });
    await until(() => errors.length === 2);
    const text = errors.map((m) => (m.error as { message: string }).message).join("\n");
    assert.match(text, /not a WhatsApp envelope/);
    assert.match(text, /not delivered by a wa-message-queue/);
  });

  it("warns on a second ack of the same delivery and still passes the message on", async () => {
    await helper.load(queueNode, flow());
    const next = collect("next");
    const acked = collect("acked");
    getNode("q1").receive(envelope("A@c.us", "a1"));
    await until(() => next.length === 1);
    getNode("ack1").receive(next[0]);
    getNode("ack1").receive(next[0]);
    await until(() => acked.length === 2);
    const warnings = helper
      .log()
      .args.filter((args: { level: number; msg: string }[]) => args[0].level === 30 && /not in flight/.test(String(args[0].msg)));
    assert.equal(warnings.length, 1);
  });

  it("passes on a message an outbox kept across a restart without acking: the delivery in flight for its chat stays in flight", async () => {
    await helper.load(queueNode, flow());
    const next = collect("next");
    const acked = collect("acked");
    getNode("q1").receive(envelope("A@c.us", "a1"));
    getNode("q1").receive(envelope("A@c.us", "a2"));
    await until(() => next.length === 1);
    const restoredCopy = JSON.parse(JSON.stringify(next[0])) as { wa: { resilience?: object } };
    restoredCopy.wa.resilience = { restoredAfterRestart: true };
    getNode("ack1").receive(restoredCopy);
    await until(() => acked.length === 1);
    await harness.clock().advanceAsync(50);
    assert.equal(next.length, 1, "a2 waits: a1's delivery was not acked by the restored copy");
    getNode("ack1").receive(next[0]);
    await until(() => next.length === 2);
    const warnings = helper
      .log()
      .args.filter((args: { level: number; msg: string }[]) => args[0].level === 30 && /not in flight/.test(String(args[0].msg)));
    assert.equal(warnings.length, 0);
  });

  it("says in one line how many messages still waiting were dropped when the flow stops, not one error each", async () => {
    await helper.load(queueNode, flow());
    const next = collect("next");
    const queue = getNode("q1") as unknown as {
      receive(msg: unknown): void;
      error: (...args: unknown[]) => void;
      warn: (...args: unknown[]) => void;
    };
    const errors: unknown[][] = [];
    const warnings: unknown[][] = [];
    const [error, warn] = [queue.error, queue.warn];
    queue.error = function (this: unknown, ...args: unknown[]) {
      errors.push(args);
      return error.apply(this, args);
    };
    queue.warn = function (this: unknown, ...args: unknown[]) {
      warnings.push(args);
      return warn.apply(this, args);
    };
    for (const body of ["a1", "a2", "a3"]) queue.receive(envelope("A@c.us", body));
    await until(() => next.length === 1);
    await helper.unload();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(errors, []);
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0][0]), /^2 messages waiting in queue \S+ were dropped when the flow stopped/);
  });

  it("blocks a message while its chat is full and lets it in after an ack, input not done until then", async () => {
    await helper.load(queueNode, flow({ maxPerChat: 1, overflow: "block", blockWait: 30 }));
    const next = collect("next");
    const refused = collect("refused");
    const queue = getNode("q1");
    const doneCount = () =>
      helper
        .log()
        .args.filter((a: { event?: string; nodeid?: string }[]) => a[0].event === "node.wa-message-queue.done" && a[0].nodeid === "q1")
        .length;
    ["a1", "a2", "a3"].forEach((body) => queue.receive(envelope("A@c.us", body)));
    await until(() => next.length === 1 && doneCount() === 1);
    await until(() => false, 20).catch(() => undefined);
    assert.equal(doneCount(), 1, "the blocked messages' inputs are not done");
    assert.deepEqual(refused, []);
    getNode("ack1").receive(next[0]);
    await until(() => next.length === 2);
    getNode("ack1").receive(next[1]);
    await until(() => next.length === 3);
    assert.deepEqual(
      next.map((m) => m.payload),
      ["a1", "a2", "a3"],
    );
    assert.equal(doneCount(), 3);
    assert.deepEqual(refused, []);
  });

  it("refuses a blocked message to the second output when no room appears in time", async () => {
    await helper.load(queueNode, flow({ maxPerChat: 1, overflow: "block", blockWait: 5 }));
    const next = collect("next");
    const refused = collect("refused");
    const queue = getNode("q1");
    queue.receive(envelope("A@c.us", "a1"));
    queue.receive(envelope("A@c.us", "a2"));
    await until(() => next.length === 1);
    await harness.clock().advanceAsync(5_000);
    await until(() => refused.length === 1);
    assert.equal(refused[0].payload, "a2");
    assert.equal((refused[0].error as { code: string }).code, "queue.blockTimeout");
    assert.match((refused[0].error as { message: string }).message, /no room within 5000 ms/);
  });

  it("refuses a block wait outside its range with a message in the status", async () => {
    await helper.load(queueNode, flow({ overflow: "block", blockWait: 0 }));
    const errors = collect("errors");
    getNode("q1").receive(envelope("A@c.us"));
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /Wait for room/);
  });
});
