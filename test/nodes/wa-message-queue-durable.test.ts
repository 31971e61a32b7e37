import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import queueNode from "../../src/nodes/wa-message-queue";
import storeNode from "../../src/nodes/wa-store";
import { RedisStore } from "../../src/core/store/redis-store";
import { REDIS_URL, redisReachable } from "../core/redis-available";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness } from "./harness";
import { requirePrerequisite } from "../support/prerequisite";
import { SentinelSet, redisServerInstalled, startSentinelSet } from "../support/redis-servers";

type Delivered = {
  payload: unknown;
  attachment?: unknown;
  wa: { session: { queue: { deliveryId: string; deliveryCount: number; store: string } } };
};
const nodes = [storeNode, queueNode];

describe("wa-message-queue kept in a store", () => {
  const harness = useNodeHarness();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-dq-"));
    helper.settings({ userDir: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function flow(store: Record<string, unknown>, queue: Record<string, unknown> = {}) {
    return inTab([
      { id: "st1", type: "wa-store", ...store },
      {
        id: "q1",
        type: "wa-message-queue",
        store: "st1",
        mode: "enqueue",
        queueName: "orders",
        key: "wa.message.chatId",
        maxPerChat: 100,
        maxTotal: 1000,
        overflow: "reject",
        ackTimeout: 30,
        maxDeliveries: 3,
        wires: [["next"], ["refused"]],
        ...queue,
      },
      { id: "ack1", type: "wa-message-queue", store: "st1", mode: "ack", queueName: "orders", wires: [["acked"]] },
      helperNode("next"),
      helperNode("refused"),
      helperNode("acked"),
      catchNode(),
      helperNode("errors"),
    ]);
  }
  const sqlite = { backend: "sqlite", file: "queue.db", synchronous: "NORMAL" };
  const doneCount = () =>
    helper
      .log()
      .args.filter((a: { event?: string; nodeid?: string }[]) => a[0].event === "node.wa-message-queue.done" && a[0].nodeid === "q1")
      .length;

  it("accepts (done) once stored, delivers one per chat, and the next after an ack", async () => {
    await helper.load(nodes, flow(sqlite));
    const next = collect("next");
    for (const body of ["a1", "a2", "a3"]) getNode("q1").receive(envelope("A@c.us", body));
    await until(() => doneCount() === 3 && next.length === 1);
    const first = next[0] as unknown as Delivered;
    assert.equal(first.payload, "a1");
    assert.equal(first.wa.session.queue.store, "st1");
    assert.equal(first.wa.session.queue.deliveryCount, 1);
    getNode("ack1").receive(next[0]);
    await until(() => next.length === 2);
    assert.equal(next[1].payload, "a2");
  });

  it("delivers again after a restart what was accepted and not acked, Buffers intact", async () => {
    await helper.load(nodes, flow(sqlite));
    let next = collect("next");
    getNode("q1").receive({ ...envelope("A@c.us", "unfinished"), attachment: Buffer.from("receipt.jpg") });
    getNode("q1").receive(envelope("A@c.us", "waiting"));
    await until(() => next.length === 1 && doneCount() === 2);
    await helper.unload(); // Node-RED stops with one message in flight and one waiting

    await helper.load(nodes, flow(sqlite));
    next = collect("next");
    await until(() => next.length === 1);
    const again = next[0] as unknown as Delivered;
    assert.equal(again.payload, "unfinished");
    assert.equal(again.wa.session.queue.deliveryCount, 2, "the envelope says it is a redelivery");
    assert.ok(Buffer.isBuffer(again.attachment) && (again.attachment as Buffer).toString() === "receipt.jpg");
    getNode("ack1").receive(next[0]);
    await until(() => next.length === 2);
    assert.equal(next[1].payload, "waiting");
    assert.equal((next[1] as unknown as Delivered).wa.session.queue.deliveryCount, 1);
  });

  it("redelivers after the ack timeout and reports it; gives up after the last delivery", async () => {
    await helper.load(nodes, flow(sqlite, { ackTimeout: 5, maxDeliveries: 2 }));
    const next = collect("next");
    const errors = collect("errors");
    getNode("q1").receive(envelope("A@c.us", "slow"));
    await until(() => next.length === 1);
    await harness.clock().advanceAsync(5000);
    await until(() => next.length === 2 && errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /it will be delivered again/);
    await harness.clock().advanceAsync(5000);
    await until(() => errors.length === 2);
    assert.match((errors[1].error as { message: string }).message, /delivered 2 times without an ack; given up/);
  });

  it("blocks on a full stored queue and stores the message once an ack makes room", async () => {
    await helper.load(nodes, flow(sqlite, { maxTotal: 1, overflow: "block", blockWait: 30 }));
    const next = collect("next");
    const refused = collect("refused");
    getNode("q1").receive(envelope("A@c.us", "a1"));
    getNode("q1").receive(envelope("B@c.us", "b1"));
    await until(() => next.length === 1 && doneCount() === 1);
    getNode("ack1").receive(next[0]);
    await until(() => next.length === 2 && doneCount() === 2);
    assert.deepEqual(
      next.map((m) => m.payload),
      ["a1", "b1"],
    );
    assert.deepEqual(refused, []);
  });

  it("refuses a message that cannot be stored, with the reason", async () => {
    await helper.load(nodes, flow(sqlite));
    const errors = collect("errors");
    const circular: Record<string, unknown> = envelope("A@c.us", "with a socket");
    circular.self = circular;
    getNode("q1").receive(circular);
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /cannot be stored/);
  });

  it("needs an ack timeout when kept in a store", async () => {
    await helper.load(nodes, flow(sqlite, { ackTimeout: 0 }));
    const errors = collect("errors");
    getNode("q1").receive(envelope("A@c.us"));
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /needs an ack timeout/);
  });

  it("works the same on Redis", async function () {
    requirePrerequisite(this, await redisReachable(), `no Redis reachable at ${REDIS_URL}`);
    const keyPrefix = `wa-dq-${randomUUID().slice(0, 8)}:`;
    await helper.load(nodes, flow({ backend: "redis", url: REDIS_URL, keyPrefix }));
    const next = collect("next");
    const acked = collect("acked");
    getNode("q1").receive(envelope("A@c.us", "r1"));
    getNode("q1").receive(envelope("A@c.us", "r2"));
    await untilReal(() => next.length === 1, 5000);
    getNode("ack1").receive(next[0]);
    await untilReal(() => next.length === 2, 5000);
    assert.deepEqual(
      next.map((m) => m.payload),
      ["r1", "r2"],
    );
    getNode("ack1").receive(next[1]);
    await untilReal(() => acked.length === 2, 5000);
    await helper.unload();
    const cleaner = new RedisStore({ url: REDIS_URL, keyPrefix });
    const left = (await cleaner.keys("")).sort();
    assert.deepEqual(left, ["wa:q:orders:count"], "an emptied queue leaves only its counter");
    for (const key of left) await cleaner.delete(key);
    await cleaner.close();
  });

  describe("on Redis Sentinel with replicas to confirm (a real primary, replica and sentinels)", function () {
    this.timeout(60_000);
    let set: SentinelSet | undefined;
    before(async function () {
      requirePrerequisite(this, redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");
      set = await startSentinelSet();
    });
    after(async () => set?.stop());
    const sentinelStore = (waitReplicas: number, waitTimeout: number) => ({
      backend: "redis-sentinel",
      sentinels: set!.sentinelAddresses.map((a) => `${a.host}:${a.port}`).join(","),
      primaryName: set!.primaryName,
      keyPrefix: `wa-dq-${randomUUID().slice(0, 8)}:`,
      waitReplicas,
      waitTimeout,
    });
    const credentials = () => ({ st1: { password: set!.password, sentinelPassword: set!.sentinelPassword } });

    it("accepts a message once the replica has it", async () => {
      await helper.load(nodes, flow(sentinelStore(1, 2000)), credentials());
      const next = collect("next");
      const refused = collect("refused");
      getNode("q1").receive(envelope("A@c.us", "safe"));
      await untilReal(() => next.length === 1, 5000);
      await untilReal(() => doneCount() === 1, 5000);
      assert.deepEqual(refused, []);
    });

    it("tells the sender when fewer replicas than asked confirm in time, and still delivers the message", async () => {
      await helper.load(nodes, flow(sentinelStore(2, 100)), credentials());
      const next = collect("next");
      const refused = collect("refused");
      getNode("q1").receive(envelope("A@c.us", "unconfirmed"));
      await untilReal(() => refused.length === 1 && next.length === 1, 5000);
      assert.equal((refused[0].error as { code: string }).code, "store.notReplicated");
      assert.match((refused[0].error as { message: string }).message, /only 1 of the 2 replicas asked for have it/);
      assert.equal(next[0].payload, "unconfirmed");
    });
  });
});
