import assert from "node:assert/strict";
import orderingNode from "../../src/nodes/wa-ordering";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

describe("wa-ordering node", () => {
  const harness = useNodeHarness();

  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      orderingNode,
      inTab([
        { id: "o1", type: "wa-ordering", orderBy: "timestamp", orderProperty: "wa.message.timestamp", chatProperty: "wa.message.chatId", idProperty: "wa.message.id", maxWaitMs: 2000, maxHeldPerChat: 100, startAt: "", wires: [["ordered"], ["late"]], ...props },
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
    assert.deepEqual(ordered.filter((m) => chatOf(m) === "447700900001@c.us").map((m) => m.payload), ["m1", "m2", "m3"]);
    assert.deepEqual(ordered.filter((m) => chatOf(m) === "447700900002@c.us").map((m) => m.payload), ["x1"]);
    assert.deepEqual(ordered[0].ordering, { late: false, waitedMs: 2000 });
    getNode("o1").receive(at("447700900001@c.us", "m0", t0));
    await until(() => late.length === 1);
    assert.deepEqual(late[0].ordering, { late: true, waitedMs: 0 });
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
    assert.deepEqual(ordered.map((m) => m.payload), ["s1", "s2", "s4"]);
    assert.deepEqual(ordered[2].ordering, { late: false, waitedMs: 2000, gapBefore: 1 });
  });

  it("sends messages without a chat or order value to Catch", async () => {
    await load();
    const errors = collect("errors");
    getNode("o1").receive({ payload: "no envelope" });
    getNode("o1").receive({ ...at("447700900001@c.us", "no time", 0), wa: { message: { chatId: "447700900001@c.us", timestamp: "soon" } } });
    await until(() => errors.length === 2);
    assert.deepEqual(errors.map((m) => (m.error as { code?: string }).code), ["key.missing", "key.missing"]);
    assert.match((errors[1].error as { message: string }).message, /no timestamp in msg.wa.message.timestamp/);
  });
});
