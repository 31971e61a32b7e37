import assert from "node:assert/strict";
import lockNode from "../../src/nodes/wa-session-lock";
import storeNode from "../../src/nodes/wa-store";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

describe("wa-session-lock node", () => {
  const harness = useNodeHarness();

  function flow(acquire: Record<string, unknown> = {}) {
    return inTab([
      {
        id: "lock1",
        type: "wa-session-lock",
        mode: "acquire",
        lockName: "default",
        key: "wa.message.chatId",
        ttl: 30,
        wait: 10,
        onTimeout: "output",
        wires: [["locked"], ["busy"]],
        ...acquire,
      },
      { id: "unlock1", type: "wa-session-lock", mode: "release", lockName: "default", wires: [["released"]] },
      helperNode("locked"),
      helperNode("busy"),
      helperNode("released"),
      catchNode(),
      helperNode("errors"),
    ]);
  }

  it("grants one message per chat; the next waits until release and gets a higher token", async () => {
    await helper.load(lockNode, flow());
    const locked = collect("locked");
    const released = collect("released");
    const lock = getNode("lock1");
    lock.receive(envelope("447700900123@c.us", "first"));
    lock.receive(envelope("447700900123@c.us", "second"));
    lock.receive(envelope("447700900456@c.us", "other chat"));
    await until(() => locked.length === 2);
    assert.deepEqual(
      locked.map((m) => m.payload),
      ["first", "other chat"],
    );
    const grant = (locked[0].wa as { session: { lock: { token: number; chatId: string } } }).session.lock;
    assert.equal(grant.chatId, "447700900123@c.us");
    getNode("unlock1").receive(locked[0]);
    await until(() => locked.length === 3);
    assert.equal(locked[2].payload, "second");
    assert.equal((locked[2].wa as { session: { lock: { token: number } } }).session.lock.token, grant.token + 1);
    assert.equal((released[0].wa as { session: { lock: { released: boolean } } }).session.lock.released, true);
    const trace = (locked[0].wa as { trace: { nodeType: string }[] }).trace;
    assert.equal(trace[0].nodeType, "wa-session-lock");
  });

  it("passes on a message an outbox kept across a restart without releasing: the chat's lock stays with the delivery holding it", async () => {
    await helper.load(lockNode, flow());
    const locked = collect("locked");
    const released = collect("released");
    getNode("lock1").receive(envelope("447700900123@c.us", "first"));
    getNode("lock1").receive(envelope("447700900123@c.us", "second"));
    await until(() => locked.length === 1);
    const restoredCopy = JSON.parse(JSON.stringify(locked[0])) as { wa: { resilience?: object } };
    restoredCopy.wa.resilience = { restoredAfterRestart: true };
    getNode("unlock1").receive(restoredCopy);
    await until(() => released.length === 1);
    await harness.clock().advanceAsync(50);
    assert.equal(locked.length, 1, "the second message still waits for the lock");
    getNode("unlock1").receive(locked[0]);
    await until(() => locked.length === 2);
    assert.equal(locked[1].payload, "second");
  });

  it("the acquiring node's status counts a lock released by a release node within one status period", async () => {
    await helper.load(lockNode, flow());
    const locked = collect("locked");
    const released = collect("released");
    getNode("lock1").receive(envelope("447700900123@c.us", "a"));
    getNode("lock1").receive(envelope("447700900456@c.us", "b"));
    await until(() => locked.length === 2);
    await harness.clock().advanceAsync(600);
    // The helper's status spy is shared by the flow's nodes: read the acquiring node's own calls.
    const lock = getNode("lock1");
    const shown = () =>
      (
        lock.status
          .getCalls()
          .filter((call) => call.thisValue === lock)
          .pop()?.args[0] as { text: string }
      ).text;
    assert.match(shown(), /^2 held/);
    for (const msg of locked) getNode("unlock1").receive(msg);
    await until(() => released.length === 2);
    await harness.clock().advanceAsync(600);
    assert.match(shown(), /^0 held · 0 waiting/, `the acquiring node saw nothing arrive, yet its count dropped (shown: ${shown()})`);
  });

  it("sends a message that waited too long to the second output with lock.timeout", async () => {
    await helper.load(lockNode, flow({ wait: 2 }));
    const busy = collect("busy");
    const lock = getNode("lock1");
    lock.receive(envelope("447700900123@c.us", "holder"));
    lock.receive(envelope("447700900123@c.us", "waiter"));
    await harness.clock().advanceAsync(1999);
    assert.equal(busy.length, 0);
    await harness.clock().advanceAsync(1);
    await until(() => busy.length === 1);
    assert.equal(busy[0].payload, "waiter");
    assert.equal((busy[0].error as { code: string }).code, "lock.timeout");
  });

  it("raises lock.timeout to a Catch node when told to", async () => {
    await helper.load(lockNode, flow({ wait: 0, onTimeout: "error" }));
    const errors = collect("errors");
    const lock = getNode("lock1");
    lock.receive(envelope("447700900123@c.us", "holder"));
    lock.receive(envelope("447700900123@c.us", "refused"));
    await until(() => errors.length === 1);
    assert.equal(errors[0].payload, "refused");
    assert.match((errors[0].error as { message: string }).message, /stayed locked/);
  });

  it("reports a lock that is never released to the Catch node with its message, and frees the chat", async () => {
    await helper.load(lockNode, flow({ ttl: 5 }));
    const errors = collect("errors");
    const locked = collect("locked");
    const lock = getNode("lock1");
    lock.receive(envelope("447700900123@c.us", "forgotten"));
    lock.receive(envelope("447700900123@c.us", "next"));
    await until(() => locked.length === 1);
    await harness.clock().advanceAsync(5000);
    await until(() => errors.length === 1 && locked.length === 2);
    assert.equal(errors[0].payload, "forgotten");
    assert.match((errors[0].error as { message: string }).message, /expired after 5000 ms/);
    assert.equal((errors[0].error as { code?: string }).code, "lock.expired", "the code is on msg.error, where a Catch flow reads it");
    assert.equal(locked[1].payload, "next");
  });

  it("renews a held lock while its flow is still busy, up to Hold at most, then reports it expired", async () => {
    await helper.load(lockNode, flow({ ttl: 6, wait: 60, renew: true, maxHold: 20 }));
    const errors = collect("errors");
    const locked = collect("locked");
    const lock = getNode("lock1");
    lock.receive(envelope("447700900123@c.us", "slow work"));
    lock.receive(envelope("447700900123@c.us", "next"));
    await until(() => locked.length === 1);
    for (let second = 0; second < 19; second += 1) await harness.clock().advanceAsync(1000);
    assert.deepEqual(
      errors.map((m) => (m.error as { message: string }).message),
      [],
      "renewed past three TTLs without a release",
    );
    assert.equal(locked.length, 1, "the chat stays locked while renewed");
    await harness.clock().advanceAsync(1000);
    await until(() => errors.length === 1 && locked.length === 2);
    assert.equal((errors[0].error as { code: string }).code, "lock.expired");
    assert.match((errors[0].error as { message: string }).message, /expired after 20000 ms/);
    assert.equal(locked[1].payload, "next");
  });

  it("without renewal the same slow flow loses the lock after one TTL", async () => {
    await helper.load(lockNode, flow({ ttl: 6, renew: false, maxHold: 20 }));
    const errors = collect("errors");
    getNode("lock1").receive(envelope("447700900123@c.us", "slow work"));
    await harness.clock().advanceAsync(6000);
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /expired after 6000 ms/);
  });

  it("refuses Hold at most below Expire after when renewing", async () => {
    await helper.load(
      lockNode,
      inTab([
        { id: "lock1", type: "wa-session-lock", mode: "acquire", ttl: 30, renew: true, maxHold: 10, wires: [[], []] },
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const errors = collect("errors");
    getNode("lock1").receive(envelope("447700900123@c.us"));
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /Hold at most/);
  });

  it("shares locks between nodes that name the same store and lock name", async () => {
    await helper.load(
      [storeNode, lockNode],
      inTab([
        { id: "st1", type: "wa-store", backend: "memory" },
        { id: "lockA", type: "wa-session-lock", store: "st1", mode: "acquire", lockName: "orders", wires: [["locked"], []] },
        { id: "lockB", type: "wa-session-lock", store: "st1", mode: "acquire", lockName: "orders", wires: [["locked"], []] },
        { id: "unlock1", type: "wa-session-lock", store: "st1", mode: "release", lockName: "orders", wires: [[]] },
        helperNode("locked"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const locked = collect("locked");
    getNode("lockA").receive(envelope("447700900123@c.us", "from A"));
    await until(() => locked.length === 1);
    getNode("lockB").receive(envelope("447700900123@c.us", "from B"));
    await harness.clock().advanceAsync(1000);
    assert.equal(locked.length, 1, "B waits for the lock A holds");
    getNode("unlock1").receive(locked[0]);
    await until(() => locked.length === 2);
    assert.equal(locked[1].payload, "from B");
  });

  it("sends messages that are not envelopes, or hold no lock, to the Catch node", async () => {
    await helper.load(lockNode, flow());
    const errors = collect("errors");
    getNode("lock1").receive({ payload: "plain" });
    getNode("lock1").receive(envelope(""));
    getNode("unlock1").receive({ payload: "no grant" });
    await until(() => errors.length === 3);
    const text = errors.map((m) => (m.error as { message: string }).message).join("\n");
    assert.match(text, /not a WhatsApp envelope/);
    assert.match(text, /no chat key in msg.wa.message.chatId/);
    assert.match(text, /holds no lock/);
  });

  it("can lock on another property, such as msg.topic", async () => {
    await helper.load(lockNode, flow({ key: "topic" }));
    const locked = collect("locked");
    getNode("lock1").receive({ topic: "order-42", payload: 1 });
    await until(() => locked.length === 1);
    assert.equal((locked[0].wa as { session: { lock: { chatId: string } } }).session.lock.chatId, "order-42");
  });

  it("refuses an invalid configuration with a clear error", async () => {
    await helper.load(
      lockNode,
      inTab([{ id: "lock1", type: "wa-session-lock", mode: "acquire", ttl: -1, wires: [[], []] }, catchNode(), helperNode("errors")]),
    );
    const errors = collect("errors");
    getNode("lock1").receive(envelope("447700900123@c.us"));
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /Expire after: above 0 and at most 86400 seconds/);
  });
});
