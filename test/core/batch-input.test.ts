import assert from "node:assert/strict";
import { parseBatchLine, prepareBatchFlow } from "../../src/batch/batch-input";

describe("batch input", () => {
  it("reads whatsapp-gold rows and envelopes into the same envelope", () => {
    const gold = parseBatchLine(
      JSON.stringify({ id: "dev-1", chat: "5511974328816@c.us", from: "5511974328816@c.us", timestamp: 1730725512, text: "Oi, bom dia!" }),
      0,
    );
    assert.deepEqual(
      [gold.id, gold.msg.payload, gold.msg.wa.message.chatId, gold.msg.wa.message.timestamp],
      ["dev-1", "Oi, bom dia!", "5511974328816@c.us", 1730725512000],
    );
    const envelope = parseBatchLine(
      JSON.stringify({ wa: { message: { id: "m7", chatId: "120363@g.us", from: "4477@c.us", body: "hi all", timestamp: 1730725512000 } } }),
      3,
    );
    assert.deepEqual(
      [envelope.id, envelope.index, envelope.msg.wa.message.isGroup, envelope.msg.wa.message.author],
      ["m7", 3, true, "4477@c.us"],
    );
  });

  it("names the line of what it cannot read", () => {
    assert.throws(() => parseBatchLine("{not json", 4), /line 5: not JSON/);
    assert.throws(() => parseBatchLine("[1,2]", 0), /line 1: not a JSON object/);
    assert.throws(() => parseBatchLine(JSON.stringify({ text: "no chat" }), 1), /line 2: /);
    assert.throws(() => parseBatchLine(`{"chat":"1@c.us","text":"${"x".repeat(1_000_001)}"}`, 0), /longer than/);
  });

  it("takes wa in out, silences connections, and puts a tabless export on a tab", () => {
    const exported = [
      { id: "in1", type: "wa-in", client: "c1", wires: [["ent1", "dbg1"]] },
      { id: "ent1", type: "wa-entities", x: 100, y: 100, wires: [["out1"]] },
      { id: "dbg1", type: "debug", x: 100, y: 200, wires: [] },
      { id: "out1", type: "wa-out", client: "c1", x: 300, y: 100, wires: [[]] },
      { id: "c1", type: "wa-client", mode: "cloud", name: "shop" },
    ];
    const { flow, entryTargets } = prepareBatchFlow(exported);
    assert.deepEqual(entryTargets, ["ent1", "dbg1"]);
    assert.equal(
      flow.find((n) => n.type === "wa-in"),
      undefined,
    );
    const client = flow.find((n) => n.id === "c1")!;
    assert.deepEqual([client.mode, client.z], ["simulator", undefined]);
    assert.deepEqual(
      flow.filter((n) => n.z === "wapipe-batch-tab").map((n) => n.id),
      ["ent1", "dbg1", "out1"],
    );
    assert.equal(flow[0].type, "tab");
    assert.deepEqual(prepareBatchFlow(exported, "out1").entryTargets, ["out1"]);
    assert.throws(() => prepareBatchFlow(exported, "nope"), /no node with the id nope/);
    assert.throws(() => prepareBatchFlow([{ id: "x", type: "debug", wires: [] }]), /--entry/);
  });
});
