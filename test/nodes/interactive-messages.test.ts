import assert from "node:assert/strict";
import { WaMessage } from "../../src/core/envelope";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import batchNode from "../../src/nodes/wa-batch-send";
import clientNode from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import outNode from "../../src/nodes/wa-out";
import { FlowNode, catchNode, collect, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

const nodes = [clientNode, inNode, outNode, batchNode];
const CHAT = "447700900123@c.us";
const SILENT = "447700900555@c.us";

type Errored = { error: { code?: string; message: string } };
type Received = { wa: { message: WaMessage } };

describe("interactive and other message kinds through wa out, answers through wa in", () => {
  const harness = useNodeHarness();

  function flow(client: Partial<FlowNode> = {}, sender: Partial<FlowNode> = {}): FlowNode[] {
    return inTab([
      { id: "sim", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false, ...client },
      { id: "in", type: "wa-in", client: "sim", wires: [["received"]] },
      { id: "out", type: "wa-out", client: "sim", chat: "topic", wires: [["sent"]], ...sender } as FlowNode,
      helperNode("received"),
      helperNode("sent"),
      catchNode(),
      helperNode("errors"),
    ]);
  }
  const simulator = () => (helper.getNode("sim") as unknown as { transport: SimulatedWhatsApp }).transport;

  it("sends reply buttons, a list, a poll, a location and a contact card, each as itself", async () => {
    await helper.load(nodes, flow());
    const sent = collect("sent");
    simulator().inject({ chatId: CHAT, body: "hi" });
    const out = getNode("out");
    out.receive({ topic: CHAT, payload: "Which day?", buttons: [{ id: "tue", title: "Tuesday" }, "Friday"] });
    out.receive({ topic: CHAT, payload: "Topics", list: { button: "Open", rows: [{ id: "track", title: "Track my order" }] } });
    out.receive({ topic: CHAT, poll: { question: "How did you hear about us?", options: ["A friend", "Google"], multiple: true } });
    out.receive({ topic: CHAT, location: { latitude: "38.71", longitude: -9.13, name: "Shop" } });
    out.receive({ topic: CHAT, contacts: { name: "Ana Souza", phone: "+351 912 345 678" } });
    await until(() => sent.length === 5);
    const records = simulator().sent();
    assert.deepEqual(
      records.map((r) => r.content?.kind),
      ["buttons", "list", "poll", "location", "contacts"],
    );
    assert.deepEqual(records[0].content, {
      kind: "buttons",
      body: "Which day?",
      buttons: [
        { id: "tue", title: "Tuesday" },
        { id: "Friday", title: "Friday" },
      ],
    });
    assert.deepEqual(records[3].content, { kind: "location", latitude: 38.71, longitude: -9.13, name: "Shop" });
    assert.deepEqual(records[4].content, { kind: "contacts", contacts: [{ name: "Ana Souza", phones: ["+351 912 345 678"] }] });
    assert.equal(records[2].text, "How did you hear about us?\n○ A friend\n○ Google");
    assert.ok(sent.every((msg) => typeof (msg as { wa?: { sent?: { id?: unknown } } }).wa?.sent?.id === "string"));
  });

  it("refuses what WhatsApp would refuse, naming the property and the limit, and sends nothing", async () => {
    await helper.load(nodes, flow());
    const errors = collect("errors");
    const out = getNode("out");
    out.receive({ topic: CHAT, payload: "Pick", buttons: ["one", "two", "three", "four"] });
    out.receive({ topic: CHAT, payload: "Pick", buttons: ["a title longer than twenty"] });
    out.receive({ topic: CHAT, poll: { question: "Only one?", options: ["yes"] } });
    out.receive({ topic: CHAT, location: { latitude: 91, longitude: 0 } });
    out.receive({ topic: CHAT, payload: "x", buttons: ["a"], poll: { question: "q", options: ["a", "b"] } });
    out.receive({ topic: CHAT, template: { name: "Order Ready", language: "en_US" } });
    await until(() => errors.length === 6);
    const failures = errors.map((e) => (e as unknown as Errored).error);
    assert.ok(failures.every((e) => e.code === "transport.badContent"));
    assert.deepEqual(
      failures.map((e) => e.message.replace(/^Error: /, "").split(":")[0]),
      ["msg.buttons", "msg.buttons[0]", "msg.poll.options", "msg.location.latitude", "msg.buttons", "msg.template.name"],
    );
    assert.match(failures[0].message, /has 4; WhatsApp takes at most 3/);
    assert.match(failures[4].message, /one message carries one kind/);
    assert.equal(simulator().sent().length, 0);
  });

  it("with 24-hour window on, refuses free-form sends to a chat silent for a day, and still sends a template", async () => {
    await helper.load(nodes, flow({ serviceWindow: true }));
    const errors = collect("errors");
    const sent = collect("sent");
    // Not one of the demo's chats, which start writing again a day later.
    const WROTE = "447700900777@c.us";
    simulator().inject({ chatId: WROTE, body: "hello" });
    const out = getNode("out");
    out.receive({ topic: WROTE, payload: "Thanks for writing" });
    await until(() => sent.length === 1 || errors.length > 0);
    assert.deepEqual(errors, []);
    out.receive({ topic: SILENT, payload: "Your order is ready" });
    await until(() => errors.length === 1);
    const refused = (errors[0] as unknown as Errored).error;
    assert.equal(refused.code, "transport.outsideWindow");
    assert.match(refused.message, /447700900555@c.us has not written in the last 24 hours \(last message: never\).*msg\.template/);
    out.receive({ topic: SILENT, template: { name: "order_ready", language: "en_US", parameters: ["#1042"] } });
    await until(() => sent.length === 2);
    // A day later the chat that wrote is outside the window too.
    await harness.clock().advanceAsync(24 * 3600_000 + 1000);
    out.receive({ topic: WROTE, location: { latitude: 1, longitude: 2 } });
    await until(() => errors.length === 2);
    assert.match((errors[1] as unknown as Errored).error.message, /last message: 24 h ago/);
    assert.deepEqual(
      simulator()
        .sent()
        .map((r) => r.content?.kind ?? r.text),
      ["Thanks for writing", "template"],
    );
  });

  it("with Customers answer on, the customer's pick arrives in wa in as msg.wa.message.reply and .vote", async () => {
    await helper.load(nodes, flow({ answerInteractive: true }));
    const received = collect("received");
    const sent = collect("sent");
    const out = getNode("out");
    out.receive({
      topic: CHAT,
      payload: "Which day?",
      buttons: [
        { id: "tue", title: "Tuesday" },
        { id: "fri", title: "Friday" },
      ],
    });
    out.receive({
      topic: CHAT,
      payload: "Topics",
      list: { button: "Open", rows: [{ id: "track", title: "Track", description: "where is it" }] },
    });
    out.receive({ topic: CHAT, poll: { question: "Rate us", options: ["Good", "Bad"] } });
    await until(() => sent.length === 3);
    await harness.clock().advanceAsync(5_000);
    await until(() => received.length === 3);
    const messages = received.map((msg) => (msg as unknown as Received).wa.message);
    const ids = simulator()
      .sent()
      .map((r) => r.id);
    assert.equal(messages[0].type, "chat");
    assert.equal(messages[0].reply?.kind, "button");
    assert.equal(messages[0].reply?.toMessageId, ids[0]);
    assert.ok(["tue", "fri"].includes(messages[0].reply!.id));
    assert.equal(messages[0].body, messages[0].reply!.title, "the body is what the customer tapped, for the text nodes");
    assert.deepEqual(messages[1].reply, { kind: "list", id: "track", title: "Track", description: "where is it", toMessageId: ids[1] });
    assert.equal(messages[2].type, "vote");
    assert.equal(messages[2].vote?.pollId, ids[2]);
    assert.equal(messages[2].vote?.question, "Rate us");
    assert.equal(messages[2].vote?.selected.length, 1);
  });

  it("paced send sends a kind as itself, never joined to the texts around it", async () => {
    await helper.load(nodes, [...flow({}, { type: "wa-batch-send", gapMin: 0, gapMax: 0, coalesceWindow: 2 } as Partial<FlowNode>)]);
    const sent = collect("sent");
    const out = getNode("out");
    out.receive({ topic: CHAT, payload: "first" });
    out.receive({ topic: CHAT, poll: { question: "Which day?", options: ["Tue", "Fri"] } });
    out.receive({ topic: CHAT, payload: "second" });
    out.receive({ topic: CHAT, payload: "third" });
    await harness.clock().advanceAsync(3_000);
    await until(() => sent.length === 4);
    assert.deepEqual(
      simulator()
        .sent()
        .map((r) => r.content?.kind ?? r.text),
      ["first", "poll", "second\nthird"],
    );
  });
});
