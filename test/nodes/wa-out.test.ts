import assert from "node:assert/strict";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import clientNode from "../../src/nodes/wa-client";
import outNode from "../../src/nodes/wa-out";
import { FlowNode, catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

const nodes = [clientNode, outNode];
type Receipt = { id: string; chatId: string; sentAt: number; transport: string; quotedId?: string };

describe("wa-out node: every option of its form and its errors", () => {
  useNodeHarness();

  function flow(out: Record<string, unknown> = {}, extra: FlowNode[] = []) {
    return inTab([
      { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
      { id: "out1", type: "wa-out", client: "sim1", chat: "wa.message.chatId", quote: false, wires: [["sent"]], ...out },
      helperNode("sent"),
      catchNode(),
      helperNode("errors"),
      ...extra,
    ]);
  }
  const simulator = () => (helper.getNode("sim1") as unknown as { transport: SimulatedWhatsApp }).transport;
  const codes = (errors: Record<string, unknown>[]) => errors.map((e) => (e.error as { code?: string }).code);

  it("sends the payload as text to the message's chat and puts the receipt in msg.wa.sent; numbers and booleans as text", async () => {
    await helper.load(nodes, flow());
    const sent = collect("sent");
    const incoming = envelope("447700900123@c.us", "hi", "wamid.in1");
    getNode("out1").receive({ ...incoming, payload: "Hello!" });
    getNode("out1").receive({ ...envelope("447700900123@c.us"), payload: 42 });
    getNode("out1").receive({ ...envelope("447700900123@c.us"), payload: true });
    await untilReal(() => sent.length === 3, 3000);
    assert.deepEqual(
      simulator()
        .sent()
        .map((r) => [r.chatId, r.text, r.quotedId]),
      [
        ["447700900123@c.us", "Hello!", undefined],
        ["447700900123@c.us", "42", undefined],
        ["447700900123@c.us", "true", undefined],
      ],
    );
    const receipt = (sent[0].wa as { sent: Receipt }).sent;
    assert.deepEqual(
      [receipt.chatId, receipt.transport, typeof receipt.id, typeof receipt.sentAt],
      ["447700900123@c.us", "simulator", "string", "number"],
    );
  });

  it("Quote: replies quoting the received message (msg.wa.message.id)", async () => {
    await helper.load(nodes, flow({ quote: true }));
    const sent = collect("sent");
    getNode("out1").receive({ ...envelope("447700900123@c.us", "hi", "wamid.question"), payload: "answer" });
    await untilReal(() => sent.length === 1, 3000);
    assert.equal(simulator().sent()[0].quotedId, "wamid.question");
    assert.equal((sent[0].wa as { sent: Receipt }).sent.quotedId, "wamid.question");
  });

  it("Chat: sends to the chat in another property", async () => {
    await helper.load(nodes, flow({ chat: "topic" }));
    const sent = collect("sent");
    getNode("out1").receive({ ...envelope("447700900123@c.us"), topic: "5511999990000@c.us", payload: "to the other chat" });
    await untilReal(() => sent.length === 1, 3000);
    assert.equal(simulator().sent()[0].chatId, "5511999990000@c.us");
  });

  it("sends what WhatsApp would refuse to the Catch node with its code, and the status turns red", async () => {
    await helper.load(nodes, flow());
    const errors = collect("errors");
    const bad = [
      { ...envelope("447700900123@c.us"), payload: "" },
      { ...envelope("447700900123@c.us"), payload: { an: "object" } },
      { ...envelope("447700900123@c.us"), payload: "x".repeat(70_000) },
      { ...envelope("not a chat id\n"), payload: "hi" },
      { ...envelope("447700900123@c.us"), payload: "hi", reaction: "not an emoji at all" },
      { payload: "a reaction needs the message it answers", reaction: "👍", wa: { message: { chatId: "447700900123@c.us" }, trace: [] } },
    ];
    for (const msg of bad) getNode("out1").receive(msg);
    await untilReal(() => errors.length === bad.length, 3000);
    // Each chat's sends are in order; across chats they may finish in any order.
    assert.deepEqual(
      codes(errors).sort(),
      [
        "transport.emptyText",
        "transport.notText",
        "transport.textTooLong",
        "transport.invalidTarget",
        "transport.notText",
        "transport.invalidTarget",
      ].sort(),
    );
    assert.equal(simulator().sent().length, 0);
    const status = getNode("out1").status.lastCall?.args[0] as { fill?: string };
    assert.equal(status.fill, "red");
  });

  it("says so, with transport.notReady, when no connection is configured or the connection failed", async () => {
    await helper.load(nodes, flow({ client: "" }));
    const errors = collect("errors");
    getNode("out1").receive({ ...envelope("447700900123@c.us"), payload: "hi" });
    await untilReal(() => errors.length === 1, 3000);
    assert.deepEqual(codes(errors), ["transport.notReady"]);
    assert.match((errors[0].error as { message: string }).message, /No WhatsApp connection is configured/);
  });

  it("refuses settings it cannot use (Largest, Files from, Private hosts) at deploy, with the reason on every message", async () => {
    for (const [setting, text] of [
      [{ maxMediaMB: 0 }, /Largest media/],
      [{ maxMediaMB: 65 }, /Largest media/],
      [{ privateHosts: "http://not-a-host" }, /Private hosts allowed/],
      [{ fileFolders: Array.from({ length: 21 }, (_, i) => `f${i}`).join(",") }, /Send files from/],
    ] as const) {
      await helper.load(nodes, flow(setting));
      const errors = collect("errors");
      getNode("out1").receive({ ...envelope("447700900123@c.us"), payload: "hi" });
      await untilReal(() => errors.length === 1, 3000);
      assert.deepEqual(codes(errors), ["config.invalid"]);
      assert.match((errors[0].error as { message: string }).message, text);
      await helper.unload();
    }
  });

  it("keeps one chat's sends in the order they came in", async () => {
    await helper.load(nodes, flow());
    const sent = collect("sent");
    for (let i = 0; i < 20; i += 1) getNode("out1").receive({ ...envelope("447700900123@c.us"), payload: `message ${i}` });
    await untilReal(() => sent.length === 20, 3000);
    assert.deepEqual(
      simulator()
        .sent()
        .map((r) => r.text),
      Array.from({ length: 20 }, (_, i) => `message ${i}`),
    );
  });
});
