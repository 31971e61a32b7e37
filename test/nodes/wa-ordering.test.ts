import { resilienceOf } from "../support/envelope-parts";
import assert from "node:assert/strict";
import orderingNode, { orderingSettingsFromConfig } from "../../src/nodes/wa-ordering";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

describe("wa-ordering node", () => {
  const harness = useNodeHarness();

  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      orderingNode,
      inTab([
        {
          id: "o1",
          type: "wa-ordering",
          orderBy: "timestamp",
          orderProperty: "wa.message.timestamp",
          chatProperty: "wa.message.chatId",
          idProperty: "wa.message.id",
          maxWaitMs: 2000,
          maxHeldPerChat: 100,
          startAt: "",
          wires: [["ordered"], ["late"]],
          ...props,
        },
        helperNode("ordered"),
        helperNode("late"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
  }
  const at = (chat: string, id: string, timestamp: number) => {
    const msg = envelope(chat, id, id) as { wa: { message: { timestamp: number } } };
    msg.wa.message.timestamp = timestamp;
    return msg as unknown as Record<string, unknown>;
  };

  it("releases a chat's messages by timestamp after the window, drops exact duplicates, flags late ones", async () => {
    await load();
    const ordered = collect("ordered");
    const late = collect("late");
    const t0 = harness.clock().now();
    getNode("o1").receive(at("447700900001@c.us", "m3", t0 + 3000));
    getNode("o1").receive(at("447700900001@c.us", "m1", t0 + 1000));
    getNode("o1").receive(at("447700900002@c.us", "x1", t0 + 500));
    getNode("o1").receive(at("447700900001@c.us", "m2", t0 + 2000));
    getNode("o1").receive(at("447700900001@c.us", "m2", t0 + 2000));
    await until(() => true);
    assert.equal(ordered.length, 0, "all held for the window");
    harness.clock().advance(2000);
    await until(() => ordered.length === 4);
    const chatOf = (m: Record<string, unknown>) => (m.wa as { message: { chatId: string } }).message.chatId;
    assert.deepEqual(
      ordered.filter((m) => chatOf(m) === "447700900001@c.us").map((m) => m.payload),
      ["m1", "m2", "m3"],
    );
    assert.deepEqual(
      ordered.filter((m) => chatOf(m) === "447700900002@c.us").map((m) => m.payload),
      ["x1"],
    );
    assert.deepEqual(resilienceOf(ordered[0]).ordering, { late: false, waitedMs: 2000 });
    getNode("o1").receive(at("447700900001@c.us", "m0", t0));
    await until(() => late.length === 1);
    assert.deepEqual(resilienceOf(late[0]).ordering, { late: true, waitedMs: 0 });
  });

  it("sequence mode with a first number: in-order messages pass at once, a gap waits, then is skipped", async () => {
    await load({ orderBy: "sequence", orderProperty: "seq", startAt: 1 });
    const ordered = collect("ordered");
    const send = (n: number) => getNode("o1").receive({ ...envelope("447700900001@c.us", `s${n}`, `id${n}`), seq: n });
    send(1);
    send(2);
    send(4);
    await until(() => ordered.length === 2);
    harness.clock().advance(2000);
    await until(() => ordered.length === 3);
    assert.deepEqual(
      ordered.map((m) => m.payload),
      ["s1", "s2", "s4"],
    );
    assert.deepEqual(resilienceOf(ordered[2]).ordering, { late: false, waitedMs: 2000, gapBefore: 1 });
  });

  it("sends messages without a chat or order value to Catch", async () => {
    await load();
    const errors = collect("errors");
    getNode("o1").receive({ payload: "no envelope" });
    getNode("o1").receive({
      ...at("447700900001@c.us", "no time", 0),
      wa: { message: { chatId: "447700900001@c.us", timestamp: "soon" } },
    });
    await until(() => errors.length === 2);
    assert.deepEqual(
      errors.map((m) => (m.error as { code?: string }).code),
      ["key.missing", "key.missing"],
    );
    assert.match((errors[1].error as { message: string }).message, /no timestamp in msg.wa.message.timestamp/);
  });

  it("Chat, Order and Id properties: reads each from where the form says", async () => {
    await load({ orderProperty: "meta.sentAt", chatProperty: "topic", idProperty: "meta.key", maxWaitMs: 1000 });
    const ordered = collect("ordered");
    const send = (topic: string, key: string, sentAt: number) => getNode("o1").receive({ topic, payload: key, meta: { key, sentAt } });
    send("group-1", "b", 20);
    send("group-1", "a", 10);
    send("group-1", "a", 10);
    send("group-2", "c", 5);
    harness.clock().advance(1000);
    await until(() => ordered.length === 3);
    assert.deepEqual(ordered.map((m) => `${m.topic}:${m.payload}`).sort(), ["group-1:a", "group-1:b", "group-2:c"]);
    assert.deepEqual(
      ordered.filter((m) => m.topic === "group-1").map((m) => m.payload),
      ["a", "b"],
      "the duplicate key is dropped",
    );
  });

  it("Wait at most 0: messages pass at once; a message older than one already sent is late", async () => {
    await load({ maxWaitMs: 0 });
    const ordered = collect("ordered");
    const late = collect("late");
    const t0 = harness.clock().now();
    getNode("o1").receive(at("447700900001@c.us", "m2", t0 + 2000));
    await until(() => ordered.length === 1);
    getNode("o1").receive(at("447700900001@c.us", "m1", t0 + 1000));
    await until(() => late.length === 1);
    assert.equal(late[0].payload, "m1");
  });

  it("Hold at most: a chat holding more releases its earliest at once", async () => {
    await load({ maxHeldPerChat: 2, maxWaitMs: 60_000 });
    const ordered = collect("ordered");
    const t0 = harness.clock().now();
    getNode("o1").receive(at("447700900001@c.us", "m3", t0 + 3));
    getNode("o1").receive(at("447700900001@c.us", "m1", t0 + 1));
    await until(() => true);
    assert.equal(ordered.length, 0);
    getNode("o1").receive(at("447700900001@c.us", "m2", t0 + 2));
    await until(() => ordered.length === 1);
    assert.equal(ordered[0].payload, "m1");
  });

  it("sequence mode without a first number: the first message waits for earlier ones, then the run goes out", async () => {
    await load({ orderBy: "sequence", orderProperty: "seq", startAt: "" });
    const ordered = collect("ordered");
    const send = (n: number) => getNode("o1").receive({ ...envelope("447700900001@c.us", `s${n}`, `id${n}`), seq: n });
    send(6);
    send(5);
    await until(() => true);
    assert.equal(ordered.length, 0, "5 could still have earlier numbers");
    harness.clock().advance(2000);
    await until(() => ordered.length === 2);
    send(7);
    await until(() => ordered.length === 3);
    assert.deepEqual(
      ordered.map((m) => m.payload),
      ["s5", "s6", "s7"],
    );
  });

  it("shows held, late and duplicate counts in its status", async () => {
    await load();
    const t0 = harness.clock().now();
    getNode("o1").receive(at("447700900001@c.us", "m1", t0 + 1));
    getNode("o1").receive(at("447700900001@c.us", "m1", t0 + 1));
    await harness.clock().advanceAsync(2000);
    getNode("o1").receive(at("447700900001@c.us", "m0", t0));
    await harness.clock().advanceAsync(2000);
    const last = getNode("o1").status.lastCall!.args[0] as { fill: string; text: string };
    assert.deepEqual(last, { fill: "green", shape: "dot", text: "0 held · 1 late · 1 duplicates" });
  });

  it("redeployed alone, it sends what it holds in order at once", async () => {
    await load({ maxWaitMs: 60_000 });
    const ordered = collect("ordered");
    const t0 = harness.clock().now();
    getNode("o1").receive(at("447700900001@c.us", "m2", t0 + 2));
    getNode("o1").receive(at("447700900001@c.us", "m1", t0 + 1));
    await until(() => true);
    assert.equal(ordered.length, 0);
    await (helper.getNode("o1") as unknown as { close(removed: boolean): Promise<void> }).close(true);
    await until(() => ordered.length === 2);
    assert.deepEqual(
      ordered.map((m) => m.payload),
      ["m1", "m2"],
    );
  });

  it("refuses settings it cannot use, naming the field", () => {
    const base = {
      orderBy: "timestamp",
      orderProperty: "wa.message.timestamp",
      chatProperty: "wa.message.chatId",
      idProperty: "wa.message.id",
      maxWaitMs: 2000,
      maxHeldPerChat: 100,
      startAt: "",
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ orderBy: "arrival" }, "orderBy"],
      [{ orderProperty: "wa..timestamp" }, "orderProperty"],
      [{ chatProperty: "msg['x']" }, "chatProperty"],
      [{ idProperty: "1st.id" }, "idProperty"],
      [{ maxWaitMs: 600_001 }, "maxWaitMs"],
      [{ maxWaitMs: 1.5 }, "maxWaitMs"],
      [{ maxHeldPerChat: 0 }, "maxHeldPerChat"],
      [{ startAt: "1.5" }, "startAt"],
    ];
    for (const [change, field] of cases) {
      assert.throws(
        () => orderingSettingsFromConfig({ ...base, ...change } as never),
        (error: { code: string; params: { field?: string } }) => error.code === "config.invalid" && error.params.field === field,
        JSON.stringify(change),
      );
    }
    assert.equal(orderingSettingsFromConfig({ ...base, startAt: " 7 " } as never).startAt, 7);
  });
});
