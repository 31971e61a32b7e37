import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  describe("with a product list", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "wa-entities-"));
      helper.settings({ userDir: dir });
    });
    after(() => {
      helper.settings({});
      rmSync(dir, { recursive: true, force: true });
    });

    it("finds the shop's products from the form and a CSV file under the user directory, and says what it skipped", async () => {
      writeFileSync(join(dir, "catalogue.csv"), `name,price\nTrailhead 40L in olive,120\n"Aria lamp, sage",80\n${"x".repeat(130)}\n`);
      await load({ products: "Kopi Special Blend\n", productFile: "catalogue.csv" });
      const out = collect("out");
      getNode("e1").receive(envelope("6591234567@c.us", "I'll take 2 Trailhead 40L in olive and one Kopi Special Blend, to Marcus"));
      await until(() => out.length === 1);
      assert.deepEqual(entitiesOf(out[0]).map((s) => [s.type, s.text]), [["quantity", "2"], ["product", "Trailhead 40L in olive"], ["quantity", "one"], ["product", "Kopi Special Blend"], ["person", "Marcus"]]);
      const texts = getNode("e1").status.getCalls().map((call) => String((call.args[0] as { text?: string }).text));
      assert.ok(texts.includes("ready, 3 products"), texts.join(" | "));
      const warned = getNode("e1").warn.getCalls().map((c) => String(c.args[0]));
      assert.ok(warned.some((w) => /1 product names skipped/.test(w)), warned.join("\n"));
    });

    it("puts itself out of action with the reason when the product file is missing", async () => {
      await load({ productFile: "nope.csv" });
      const texts = getNode("e1").status.getCalls().map((call) => String((call.args[0] as { text?: string }).text));
      assert.ok(texts.some((t) => /Product list file nope.csv/.test(t)), texts.join(" | "));
    });
  });
});
