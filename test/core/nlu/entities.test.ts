import assert from "node:assert/strict";
import { EntityContext, extractRuleEntities, readAmount, regionOfChat } from "../../../src/core/nlu/entities";

const values = (text: string, region?: EntityContext["region"]) => extractRuleEntities(text, { region }).map((e) => [e.type, e.text, e.value]);

describe("Rule entities", () => {
  it("finds the chat's country from its id", () => {
    assert.equal(regionOfChat("5511987654321@c.us"), "BR");
    assert.equal(regionOfChat("447700900123@c.us"), "GB");
    assert.equal(regionOfChat("120363025884710023@g.us"), undefined);
  });

  it("phones to E.164, national numbers in the chat's country, click-to-chat links as one phone", () => {
    assert.deepEqual(values("me liga no (11) 98765-4321", "BR"), [["phone", "(11) 98765-4321", "+5511987654321"]]);
    assert.deepEqual(values("call 07700 900123 after 5", "GB"), [["phone", "07700 900123", "+447700900123"]]);
    assert.deepEqual(values("or +49 (0)176 2345 6701", "GB"), [["phone", "+49 (0)176 2345 6701", "+4917623456701"]]);
    assert.deepEqual(values("escríbeme a https://wa.me/5215512345678?text=hola", "MX"), [["phone", "https://wa.me/5215512345678?text=hola", "+5215512345678"]]);
    assert.deepEqual(values("UPI ref no 433512908811 hai", "IN"), [], "a reference is not a phone");
  });

  it("e-mail (not UPI ids), URLs with https added, order ids after a cue or #, tracking numbers", () => {
    assert.deepEqual(values("mail Ana.Souza@Exemplo.com.br or pay priya@okhdfcbank"), [["email", "Ana.Souza@Exemplo.com.br", "ana.souza@exemplo.com.br"]]);
    assert.deepEqual(values("see www.shop.example.com/item?id=3."), [["url", "www.shop.example.com/item?id=3", "https://www.shop.example.com/item?id=3"]]);
    assert.deepEqual(values("Meu pedido #BR-55120 ainda não chegou"), [["order_id", "BR-55120", "BR-55120"]]);
    assert.deepEqual(values("Order number is LMP-55093."), [["order_id", "LMP-55093", "LMP-55093"]]);
    assert.deepEqual(values("O rastreio é QB123456789BR, parado"), [["tracking_number", "QB123456789BR", "QB123456789BR"]]);
    assert.deepEqual(values("the tracking number 1550 1234 5678 90 just says label created"), [["tracking_number", "1550 1234 5678 90", "15501234567890"]]);
  });

  it("money with the writer's separators and the chat's currency", () => {
    assert.deepEqual(values("ficou R$ 1.234,56 no total", "BR"), [["money", "R$ 1.234,56", { amount: 1234.56, currency: "BRL" }]]);
    assert.deepEqual(values("it was $1,234.50", "US"), [["money", "$1,234.50", { amount: 1234.5, currency: "USD" }]]);
    assert.deepEqual(values("son $450 pesos", "MX")[0], ["money", "$450 pesos", { amount: 450, currency: "MXN" }]);
    assert.deepEqual(values("kostet 3,49 €", "DE"), [["money", "3,49 €", { amount: 3.49, currency: "EUR" }]]);
    assert.deepEqual(values("CHF 2'890 ist zu viel", "CH"), [["money", "CHF 2'890", { amount: 2890, currency: "CHF" }]]);
    assert.deepEqual(values("₹699?? thoda zyada hai yaar, 550 mein de do", "IN").map((v) => v[2]), [{ amount: 699, currency: "INR" }, { amount: 550, currency: "INR" }]);
    assert.deepEqual(values("card ending 4417, $64.50 twice", "US").map((v) => v[1]), ["$64.50"]);
    assert.deepEqual(values("45 hoodies, CSE 2025, total please", "IN"), [], "counts and years are not money");
    assert.equal(readAmount("1.500", "BR"), 1500);
    assert.equal(readAmount("1,5", "BR"), 1.5);
  });

  it("dates and times resolved against the message's day, in six languages", () => {
    // Wednesday 2024-11-20, 14:00 UTC.
    const sentAt = Date.UTC(2024, 10, 20, 14);
    const dates = (text: string, region?: EntityContext["region"]) =>
      extractRuleEntities(text, { region, sentAt })
        .filter((e) => e.type === "datetime")
        .map((e) => [e.text, e.value]);
    assert.deepEqual(dates("lo quiero para mañana a las 5"), [["mañana a las 5", "2024-11-21T17:00"]]);
    assert.deepEqual(dates("¿se puede entregar a las 6?"), [["6", "2024-11-20T18:00"]]);
    assert.deepEqual(dates("pls deliver by 12.15pm on Fri"), [["12.15pm on Fri", "2024-11-22T12:15"]]);
    assert.deepEqual(dates("não atualiza desde sexta"), [["sexta", "2024-11-15"]]);
    assert.deepEqual(dates("o tênis chegou hoje de manhã"), [["hoje de manhã", "2024-11-20"]]);
    assert.deepEqual(dates("Und bitte nicht vor dem 13.01. liefern"), [["13.01.", "2025-01-13"]]);
    assert.deepEqual(dates("would it arrive by 11/22?", "US"), [["11/22", "2024-11-22"]]);
    assert.deepEqual(dates("kal shaam ko deliver karwa sakte ho?"), [["kal shaam", "2024-11-21"]]);
    assert.deepEqual(dates("Livrée hier, merci"), [["hier", "2024-11-19"]]);
    // Not points in time: durations, periods, greetings, "now", French "mon".
    assert.deepEqual(dates("it's been 2 days, maybe next week? Guten Morgen! Mon mail, now"), []);
    // No message time, no dates.
    assert.equal(extractRuleEntities("tomorrow at 5pm").length, 0);
  });

  it("takes bounded time on hostile text (no catastrophic backtracking)", () => {
    const hostile = ["1 ".repeat(50_000), "a@".repeat(50_000) + "b", "www." + "a.".repeat(50_000), "#" + "A-".repeat(50_000), "tracking " + "1 -".repeat(30_000), "R$ " + "1.".repeat(50_000), "12/".repeat(20_000), "mañana a las ".repeat(5_000), "kal ".repeat(10_000) + "baje"];
    for (const text of hostile) {
      const start = process.hrtime.bigint();
      extractRuleEntities(text.slice(0, 4096), { sentAt: Date.UTC(2024, 10, 20) });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      assert.ok(ms < 2000, `${text.slice(0, 12)}…: ${ms} ms`);
    }
  });
});
