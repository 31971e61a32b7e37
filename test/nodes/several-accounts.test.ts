import assert from "node:assert/strict";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import batchNode from "../../src/nodes/wa-batch-send";
import clientNode from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import outNode from "../../src/nodes/wa-out";
import { FlowNode, catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

const nodes = [clientNode, inNode, outNode, batchNode];
type Connection = { id: string; name: string };
type Received = { wa: { message: { chatId: string; connection?: Connection } } };
type Sent = { wa: { sent: { chatId: string; sentAt: number; connection?: Connection } } };

describe("several WhatsApp accounts feeding one flow", () => {
  const harness = useNodeHarness();
  const CHAT = "447700900123@c.us";

  /** Two numbers ("shop" and "support"), each with its wa in, both wired to `sender` (whose own connection is the shop's). */
  function flow(sender: FlowNode): FlowNode[] {
    return inTab([
      { id: "sim-shop", type: "wa-client", name: "shop", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
      { id: "sim-support", type: "wa-client", name: "support", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
      { id: "in-shop", type: "wa-in", client: "sim-shop", wires: [["received", sender.id]] },
      { id: "in-support", type: "wa-in", client: "sim-support", wires: [["received", sender.id]] },
      { ...sender, wires: [["sent"]] },
      helperNode("received"),
      helperNode("sent"),
      catchNode(),
      helperNode("errors"),
    ]);
  }
  const simulator = (id: string) => (helper.getNode(id) as unknown as { transport: SimulatedWhatsApp }).transport;
  const texts = (id: string) =>
    simulator(id)
      .sent()
      .map((record) => record.text);
  const waOut = (via?: string): FlowNode => ({
    id: "reply",
    type: "wa-out",
    client: "sim-shop",
    chat: "wa.message.chatId",
    ...(via ? { via } : {}),
  });

  it("names the connection in the envelope, and wa out answers each customer through the number they wrote to", async () => {
    await helper.load(nodes, flow(waOut()));
    const received = collect("received");
    const sent = collect("sent");
    simulator("sim-shop").inject({ chatId: CHAT, body: "to the shop" });
    simulator("sim-support").inject({ chatId: CHAT, body: "to support" });
    await until(() => sent.length === 2);
    assert.deepEqual(
      received.map((msg) => (msg as unknown as Received).wa.message.connection),
      [
        { id: "sim-shop", name: "shop" },
        { id: "sim-support", name: "support" },
      ],
    );
    // wa out echoes the payload: each text went out through the connection it came in by.
    assert.deepEqual(texts("sim-shop"), ["to the shop"]);
    assert.deepEqual(texts("sim-support"), ["to support"]);
    assert.deepEqual(
      sent.map((msg) => [msg.payload, (msg as unknown as Sent).wa.sent.connection?.name]),
      [
        ["to the shop", "shop"],
        ["to support", "support"],
      ],
    );
  });

  it("Send through 'always this connection' sends every message through the node's own", async () => {
    await helper.load(nodes, flow(waOut("node")));
    const sent = collect("sent");
    simulator("sim-support").inject({ chatId: CHAT, body: "to support" });
    await until(() => sent.length === 1);
    assert.deepEqual(texts("sim-shop"), ["to support"]);
    assert.deepEqual(texts("sim-support"), []);
  });

  it("refuses a message whose connection is not deployed any more, rather than send it from another number", async () => {
    await helper.load(nodes, flow(waOut()));
    const errors = collect("errors");
    const stale = envelope(CHAT, "from a number since removed");
    (stale.wa as { message: Record<string, unknown> }).message.connection = { id: "gone", name: "old number" };
    getNode("reply").receive({ ...stale, payload: "answer" });
    await until(() => errors.length === 1);
    assert.equal((errors[0].error as { code?: string }).code, "transport.unknownConnection");
    assert.match((errors[0].error as { message: string }).message, /connection "old number", which is not deployed any more/);
    assert.deepEqual([...texts("sim-shop"), ...texts("sim-support")], []);
  });

  it("paced send keeps one line per chat and connection, and each number's warm-up caps apart", async () => {
    await helper.load(
      nodes,
      flow({
        id: "pace",
        type: "wa-batch-send",
        client: "sim-shop",
        chat: "wa.message.chatId",
        gapMin: 5,
        gapMax: 5,
        globalPerSecond: 100,
        warmup: true,
        warmupSchedule: "1: 1/hour",
        warmupSince: "2026-01-01",
      }),
    );
    const sent = collect("sent");
    const start = harness.clock().now();
    // The same customer writes to both numbers, twice each.
    for (const body of ["shop 1", "shop 2"]) simulator("sim-shop").inject({ chatId: CHAT, body });
    for (const body of ["support 1", "support 2"]) simulator("sim-support").inject({ chatId: CHAT, body });
    await until(() => sent.length === 1);
    await harness.clock().advanceAsync(100);
    await until(() => sent.length === 2);
    // Not 5 s apart: the chat on each number is its own line. One an hour on each number: the second ones wait.
    assert.deepEqual(
      sent.map((msg) => [(msg as unknown as Sent).wa.sent.connection?.name, (msg as unknown as Sent).wa.sent.sentAt - start <= 100]),
      [
        ["shop", true],
        ["support", true],
      ],
    );
    await harness.clock().advanceAsync(10_000);
    assert.equal(sent.length, 2);
    await harness.clock().advanceAsync(60 * 60 * 1000);
    await until(() => sent.length === 4);
    assert.deepEqual(texts("sim-shop"), ["shop 1", "shop 2"]);
    assert.deepEqual(texts("sim-support"), ["support 1", "support 2"]);
  });

  it("paced send with Send through 'always this connection' sends a reply to either number through its own", async () => {
    await helper.load(nodes, flow({ id: "pace", type: "wa-batch-send", client: "sim-shop", via: "node", gapMin: 0, gapMax: 0 }));
    const sent = collect("sent");
    simulator("sim-support").inject({ chatId: CHAT, body: "to support" });
    await until(() => sent.length === 1);
    assert.deepEqual(texts("sim-shop"), ["to support"]);
    assert.deepEqual(texts("sim-support"), []);
    assert.deepEqual((sent[0] as unknown as Sent).wa.sent.connection, { id: "sim-shop", name: "shop" });
  });
});
