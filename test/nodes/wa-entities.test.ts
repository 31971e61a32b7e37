import assert from "node:assert/strict";
import entitiesNode from "../../src/nodes/wa-entities";
import { collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

type Span = { type: string; text: string; value: unknown; start: number; end: number };
const entitiesOf = (m: Record<string, unknown>) => ((m.wa as { nlu?: { entities?: Span[] } } | undefined)?.nlu?.entities ?? m.entities) as Span[];

describe("wa-entities node", () => {
  useNodeHarness();
  async function load(props: Record<string, unknown> = {}) {
    await helper.load(entitiesNode, inTab([{ id: "e1", type: "wa-entities", region: "", orderPatterns: "", property: "payload", wires: [["out"]], ...props }, helperNode("out")]));
  }

  it("finds entities with the writer's country from the chat id, offsets into the text", async () => {
    await load();
    const out = collect("out");
    const text = "Meu pedido #BR-55120 não chegou, me liga no (11) 98765-4321. Paguei R$ 1.234,56";
    getNode("e1").receive(envelope("5511974328816@c.us", text));
    await until(() => out.length === 1);
    const spans = entitiesOf(out[0]);
    assert.deepEqual(spans.map((s) => [s.type, s.value]), [["order_id", "BR-55120"], ["phone", "+5511987654321"], ["money", { amount: 1234.56, currency: "BRL" }]]);
    for (const s of spans) assert.equal(text.slice(s.start, s.end), s.text);
  });

  it("takes your own order id patterns and the types you chose; a default country for messages without a chat", async () => {
    await load({ orderPatterns: "\\b(SO-\\d{6})\\b", types: "order_id,phone", region: "GB" });
    const out = collect("out");
    getNode("e1").receive({ payload: "SO-123456 please, call 07700 900123, it was £20" });
    await until(() => out.length === 1);
    assert.deepEqual(entitiesOf(out[0]).map((s) => [s.type, s.value]), [["order_id", "SO-123456"], ["phone", "+447700900123"]]);
  });

  it("refuses a pattern that could backtrack for ever, and an unknown country", async () => {
    await load({ orderPatterns: "(\\w+)+$" });
    let texts = getNode("e1").status.getCalls().map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(texts.some((t) => /repeated group inside/.test(t)), texts.join(" | "));
    await helper.unload();
    await load({ region: "XX" });
    texts = getNode("e1").status.getCalls().map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(texts.some((t) => /Default country/.test(t)), texts.join(" | "));
  });
});
