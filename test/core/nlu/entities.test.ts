import assert from "node:assert/strict";
import { EntityContext, extractRuleEntities, regionOfChat } from "../../../src/core/nlu/entities";
import { readAmount } from "../../../src/core/nlu/money";
import { ProductCatalogue, parseProductList } from "../../../src/core/nlu/product";

const values = (text: string, region?: EntityContext["region"]) =>
  extractRuleEntities(text, { region }).map((e) => [e.type, e.text, e.value]);

describe("Rule entities", () => {
  it("finds the chat's country from its id", () => {
    assert.equal(regionOfChat("5511987654321@c.us"), "BR");
    assert.equal(regionOfChat("447700900123@c.us"), "GB");
    assert.equal(regionOfChat("120363025884710023@g.us"), undefined);
  });

  it("keeps answering right for chats it has seen, through more chats than it remembers", () => {
    // 12,000 numbers: past the memo's 10,000, so the oldest are forgotten and parsed again.
    const countries = ["BR", "GB", "IN", "MX", "DE", "FR", "ES"] as const;
    const chatOf = (i: number) =>
      ["5511987", "4477009", "9198765", "5255123", "4917623", "3361234", "3461234"][i % 7] + String(i).padStart(5, "0") + "@c.us";
    for (let round = 0; round < 2; round += 1)
      for (let i = 0; i < 12_000; i += 1) assert.equal(regionOfChat(chatOf(i)), countries[i % 7], chatOf(i));
    assert.equal(regionOfChat("120363025884710023@g.us"), undefined);
  });

  it("phones to E.164, national numbers in the chat's country, click-to-chat links as one phone", () => {
    assert.deepEqual(values("me liga no (11) 98765-4321", "BR"), [["phone", "(11) 98765-4321", "+5511987654321"]]);
    assert.deepEqual(values("call 07700 900123 after 5", "GB"), [["phone", "07700 900123", "+447700900123"]]);
    assert.deepEqual(values("or +49 (0)176 2345 6701", "GB"), [["phone", "+49 (0)176 2345 6701", "+4917623456701"]]);
    assert.deepEqual(values("escríbeme a https://wa.me/5215512345678?text=hola", "MX"), [
      ["phone", "https://wa.me/5215512345678?text=hola", "+5215512345678"],
    ]);
    assert.deepEqual(values("UPI ref no 433512908811 hai", "IN"), [], "a reference is not a phone");
  });

  it("e-mail (not UPI ids), URLs with https added, order ids after a cue or #, tracking numbers", () => {
    assert.deepEqual(values("mail Ana.Souza@Exemplo.com.br or pay priya@okhdfcbank"), [
      ["email", "Ana.Souza@Exemplo.com.br", "ana.souza@exemplo.com.br"],
    ]);
    assert.deepEqual(values("see www.shop.example.com/item?id=3."), [
      ["url", "www.shop.example.com/item?id=3", "https://www.shop.example.com/item?id=3"],
    ]);
    assert.deepEqual(values("Meu pedido #BR-55120 ainda não chegou"), [["order_id", "BR-55120", "BR-55120"]]);
    assert.deepEqual(values("Order number is LMP-55093."), [["order_id", "LMP-55093", "LMP-55093"]]);
    assert.deepEqual(values("O rastreio é QB123456789BR, parado"), [["tracking_number", "QB123456789BR", "QB123456789BR"]]);
    assert.deepEqual(values("the tracking number 1550 1234 5678 90 just says label created"), [
      ["tracking_number", "1550 1234 5678 90", "15501234567890"],
    ]);
  });

  it("money with the writer's separators and the chat's currency", () => {
    assert.deepEqual(values("ficou R$ 1.234,56 no total", "BR"), [["money", "R$ 1.234,56", { amount: 1234.56, currency: "BRL" }]]);
    assert.deepEqual(values("it was $1,234.50", "US"), [["money", "$1,234.50", { amount: 1234.5, currency: "USD" }]]);
    assert.deepEqual(values("son $450 pesos", "MX")[0], ["money", "$450 pesos", { amount: 450, currency: "MXN" }]);
    assert.deepEqual(values("kostet 3,49 €", "DE"), [["money", "3,49 €", { amount: 3.49, currency: "EUR" }]]);
    assert.deepEqual(values("CHF 2'890 ist zu viel", "CH"), [["money", "CHF 2'890", { amount: 2890, currency: "CHF" }]]);
    assert.deepEqual(
      values("₹699?? thoda zyada hai yaar, 550 mein de do", "IN").map((v) => v[2]),
      [
        { amount: 699, currency: "INR" },
        { amount: 550, currency: "INR" },
      ],
    );
    assert.deepEqual(
      values("card ending 4417, $64.50 twice", "US").map((v) => v[1]),
      ["$64.50"],
    );
    assert.deepEqual(
      values("45 hoodies, CSE 2025, total please", "IN").filter(([type]) => type === "money"),
      [],
      "counts and years are not money",
    );
    assert.equal(readAmount("1.500", "BR"), 1500);
    assert.equal(readAmount("1,50,000", "IN"), 150000);
    assert.equal(readAmount("1,5", "BR"), 1.5);
  });

  it("money with scale words, more currencies and hundredths; letters inside words are no currency", () => {
    const money = (text: string, region?: EntityContext["region"]) =>
      values(text, region)
        .filter(([type]) => type === "money")
        .map(([, text, value]) => [text, value]);
    assert.deepEqual(money("they raised $75 million last year", "US"), [["$75 million", { amount: 75e6, currency: "USD" }]]);
    assert.deepEqual(money("budget hai 2 lakh rupees, ₹1,50,000 tak chalega", "IN"), [
      ["2 lakh rupees", { amount: 2e5, currency: "INR" }],
      ["₹1,50,000", { amount: 150000, currency: "INR" }],
    ]);
    assert.deepEqual(money("ficou R$ 1,5 mil com frete", "BR"), [["R$ 1,5 mil", { amount: 1500, currency: "BRL" }]]);
    assert.deepEqual(money("ofrecen 150 millones de dólares", "ES"), [["150 millones de dólares", { amount: 150e6, currency: "USD" }]]);
    assert.deepEqual(money("harganya Rp 50.000 saja", "ID"), [["Rp 50.000", { amount: 50000, currency: "IDR" }]]);
    assert.deepEqual(
      money("HK$ 300, nzd$15, ₦5,000 or Ksh 500", "GB").map(([, value]) => value),
      [
        { amount: 300, currency: "HKD" },
        { amount: 15, currency: "NZD" },
        { amount: 5000, currency: "NGN" },
        { amount: 500, currency: "KES" },
      ],
    );
    assert.deepEqual(money("faltam 50 centavos", "BR"), [["50 centavos", { amount: 0.5, currency: "BRL" }]]);
    assert.deepEqual(
      money("10,000 swiss francs and 309,381 yen", "GB").map(([, value]) => value),
      [
        { amount: 10000, currency: "CHF" },
        { amount: 309381, currency: "JPY" },
      ],
    );
    assert.deepEqual(money("the farm 20 minutes away, bring a pen 2 of them", "MY"), []);
    assert.deepEqual(money("5 million people watched it", "US"), [], "a scale word alone does not make money");
    assert.deepEqual(money("I saw it for like thirty euros", "IE"), [["thirty euros", { amount: 30, currency: "EUR" }]]);
    assert.deepEqual(
      money("a hundred bucks, doscientos cincuenta pesos, cinco mil reais", "MX").map(([, value]) => value),
      [
        { amount: 100, currency: "USD" },
        { amount: 250, currency: "MXN" },
        { amount: 5000, currency: "BRL" },
      ],
    );
    assert.deepEqual(money("once again the dollar fell; one of the dollars", "US"), [], "number words need a currency right after them");
    assert.deepEqual(
      money("fünfundzwanzig Euro, veinticinco euros, vingt-cinq euros, vinte e cinco reais", "DE").map(
        ([, value]) => (value as { amount: number }).amount,
      ),
      [25, 25, 25, 25],
    );
  });

  it("whole units and their hundredths are one amount, in the units' money", () => {
    const money = (text: string, region?: EntityContext["region"]) =>
      values(text, region)
        .filter(([type]) => type === "money")
        .map(([, text, value]) => [text, value]);
    assert.deepEqual(money("it came to 3 dollars and 50 cents", "US"), [["3 dollars and 50 cents", { amount: 3.5, currency: "USD" }]]);
    assert.deepEqual(money("são 10 reais e 50 centavos", "BR"), [["10 reais e 50 centavos", { amount: 10.5, currency: "BRL" }]]);
    assert.deepEqual(money("cinco euros con veinte céntimos", "ES"), [
      ["cinco euros con veinte céntimos", { amount: 5.2, currency: "EUR" }],
    ]);
    assert.deepEqual(
      money("10 euros and 50 cents, from the US", "US"),
      [["10 euros and 50 cents", { amount: 10.5, currency: "EUR" }]],
      "euro cents, not dollar cents",
    );
    assert.deepEqual(
      money("I paid 3 dollars. 50 cents came back", "US"),
      [
        ["3 dollars", { amount: 3, currency: "USD" }],
        ["50 cents", { amount: 0.5, currency: "USD" }],
      ],
      "a sentence between them keeps two amounts",
    );
    assert.deepEqual(money("it costs 15 dollars 50.", "US"), [["15 dollars 50", { amount: 15.5, currency: "USD" }]]);
    assert.deepEqual(
      money("custa apenas 25 euros com 50.", "BR"),
      [["25 euros com 50", { amount: 25.5, currency: "EUR" }]],
      "not also a bare 50",
    );
    assert.deepEqual(money("only thirteen dollars forty five", "US"), [
      ["thirteen dollars forty five", { amount: 13.45, currency: "USD" }],
    ]);
    assert.deepEqual(money("trece euros y cuarenta y cinco céntimos", "ES"), [
      ["trece euros y cuarenta y cinco céntimos", { amount: 13.45, currency: "EUR" }],
    ]);
    for (const text of ["paid 50 dollars 15 minutes ago", "30 reais e dois pacotes", "20 euros and two bottles"])
      assert.equal((money(text, "US")[0][1] as { amount: number }).amount % 1, 0, text);
  });

  it("money: signs written after the amount, nationality names, scale words after number words", () => {
    const money = (text: string, region?: EntityContext["region"]) =>
      values(text, region)
        .filter(([type]) => type === "money")
        .map(([, text, value]) => [text, value]);
    assert.deepEqual(money("10 $ c'est pas cher", "CA"), [["10 $", { amount: 10, currency: "CAD" }]]);
    assert.deepEqual(
      money("$ 20,000.00 $ 37,305.97 expenses", "US").map(([text]) => text),
      ["$ 20,000.00", "$ 37,305.97"],
      "a $ before the next amount is that amount's",
    );
    assert.deepEqual(
      money("son 50.000 ₫ o 100 ₡", "VN").map(([, value]) => value),
      [
        { amount: 50000, currency: "VND" },
        { amount: 100, currency: "CRC" },
      ],
    );
    assert.deepEqual(
      money("100 chinese yuan and 2,500 mexican pesos", "US").map(([, value]) => value),
      [
        { amount: 100, currency: "CNY" },
        { amount: 2500, currency: "MXN" },
      ],
    );
    assert.deepEqual(money("recibieron cinco millones de yenes", "ES"), [["cinco millones de yenes", { amount: 5e6, currency: "JPY" }]]);
    assert.deepEqual(money("multado con 10.000 francos suizos", "ES"), [["10.000 francos suizos", { amount: 10000, currency: "CHF" }]]);
    assert.deepEqual(money("five million people", "US"), []);
  });

  it("money: a scale after a code, fractions of a million, Mex$, millions in business shorthand; a day after its month is no amount", () => {
    const money = (text: string, region?: EntityContext["region"]) =>
      values(text, region)
        .filter(([type]) => type === "money")
        .map(([, text, value]) => [text, value]);
    assert.deepEqual(money("They lost 75 USD million last year", "US"), [["75 USD million", { amount: 75e6, currency: "USD" }]]);
    assert.deepEqual(
      money("paid 50 dollars million times", "US"),
      [["50 dollars", { amount: 50, currency: "USD" }]],
      "a scale follows a code, not a currency word",
    );
    assert.deepEqual(
      money("half a million dollars, a quarter million usd, meio milhão de reais", "BR").map(([, value]) => value),
      [
        { amount: 5e5, currency: "USD" },
        { amount: 2.5e5, currency: "USD" },
        { amount: 5e5, currency: "BRL" },
      ],
    );
    assert.deepEqual(money("half a million people", "US"), []);
    assert.deepEqual(money("Sell Mex$ 10 million forward", "US"), [["Mex$ 10 million", { amount: 1e7, currency: "MXN" }]]);
    assert.deepEqual(
      money("losses over 30 MUSD and MEUR 120", "US").map(([, value]) => value),
      [
        { amount: 3e7, currency: "USD" },
        { amount: 1.2e8, currency: "EUR" },
      ],
    );
    assert.deepEqual(money("Maud 60 called, and so did maud 60", "US"), [], "lower case is a name");
    assert.deepEqual(money("to be paid nov. 6 to holders of record oct. 25, the company said", "US"), []);
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
    // A verb in the past in the same clause makes a weekday the last one; a comma ends the clause.
    assert.deepEqual(dates("the email says it was dispatched on monday"), [["monday", "2024-11-18"]]);
    assert.deepEqual(dates("o pacote chegou na sexta"), [["sexta", "2024-11-15"]]);
    assert.deepEqual(dates("it was great, see you on friday"), [["friday", "2024-11-22"]]);
    // A weekday before its date is one point in time, the date's; a sentence's full stop is not part of a date.
    assert.deepEqual(dates("can you come Thu 28th?", "GB"), [["Thu 28th", "2024-11-28"]]);
    assert.deepEqual(dates("Freitag, 27.11. passt", "DE"), [["Freitag, 27.11.", "2024-11-27"]]);
    assert.deepEqual(dates("Freitag, 22.11. passt", "DE"), [["22.11.", "2024-11-22"]], "a day.month. is not a clock time (22:11)");
    assert.deepEqual(dates("I'll go back 12/12/30.", "GB"), [["12/12/30", "2030-12-12"]]);
    // A weekday of next or last week is in that calendar week (Monday to Sunday), not just the next or last one.
    assert.deepEqual(dates("can you deliver tuesday next week?"), [["tuesday next week", "2024-11-26"]]);
    assert.deepEqual(dates("next week on Sunday"), [["next week on Sunday", "2024-12-01"]]);
    assert.deepEqual(dates("entrega na terça da semana que vem?"), [["terça da semana que vem", "2024-11-26"]]);
    assert.deepEqual(dates("el jueves de la semana pasada"), [["jueves de la semana pasada", "2024-11-14"]]);
    assert.deepEqual(dates("am Dienstag nächster Woche", "DE"), [["Dienstag nächster Woche", "2024-11-26"]]);
    assert.deepEqual(dates("next Tuesday then"), [["next Tuesday", "2024-11-26"]], "'next Tuesday' is the first one after today");
    assert.deepEqual(dates("it came the previous Monday, or this past Wednesday"), [
      ["Monday", "2024-11-18"],
      ["past Wednesday", "2024-11-13"],
    ]);
    // Portuguese days ("amanhã" ends in a letter JavaScript's \b does not know), the day after tomorrow, "9h30".
    assert.deepEqual(dates("pode ser amanhã?"), [["amanhã", "2024-11-21"]]);
    assert.deepEqual(dates("amanhã às 6"), [["amanhã às 6", "2024-11-21T18:00"]], "the h of amanhã is no 24-hour mark");
    assert.deepEqual(
      dates("depois de amanhã, pasado mañana a las 5, the day after tomorrow").map(([, value]) => value),
      ["2024-11-22", "2024-11-22T17:00", "2024-11-22"],
    );
    assert.deepEqual(dates("às 9h30 ou à 14h30"), [
      ["9h30", "2024-11-20T09:30"],
      ["14h30", "2024-11-20T14:30"],
    ]);
    assert.deepEqual(dates("on a fait 2h30 de route"), [], "a duration");
    // Words ending in an accented letter end where JavaScript's \b cannot see it: "compré", "commandé", "pagué", "aquí", "Allée".
    assert.deepEqual(dates("lo compré el lunes"), [["lunes", "2024-11-18"]]);
    assert.deepEqual(dates("je l'ai commandé lundi", "FR"), [["lundi", "2024-11-18"]]);
    assert.deepEqual(
      values("ya pagué 350 por el envío", "MX")
        .filter(([type]) => type === "money")
        .map(([, text]) => text),
      ["350"],
    );
    assert.deepEqual(
      values("12 Grande Allée, Québec", "CA")
        .filter(([type]) => type === "address")
        .map(([, text]) => text),
      ["12 Grande Allée, Québec"],
    );
    // Minutes said in words: after the hour, English "past"/"to", German "halb" (half before the hour).
    assert.deepEqual(dates("mañana a las 6 y media"), [["mañana a las 6 y media", "2024-11-21T18:30"]]);
    assert.deepEqual(dates("às 6 e meia"), [["6 e meia", "2024-11-20T18:30"]]);
    assert.deepEqual(dates("a las 7 menos cuarto"), [["7 menos cuarto", "2024-11-20T18:45"]]);
    assert.deepEqual(dates("tomorrow at half past six"), [["tomorrow at half past six", "2024-11-21T18:30"]]);
    assert.deepEqual(dates("quarter to 5, or 5 to 12 pm"), [
      ["quarter to 5", "2024-11-20T16:45"],
      ["5 to 12 pm", "2024-11-20T11:55"],
    ]);
    assert.deepEqual(dates("morgen um halb sieben", "DE"), [["morgen um halb sieben", "2024-11-21T18:30"]]);
    assert.deepEqual(dates("5 to 12 cupcakes and 2 past 3 items"), [], "ranges and counts, not times");
    assert.deepEqual(dates("às 5 e 6 pessoas"), [], "one digit after 'e' is a count, not minutes");
    // A part of the day after a clock time says am or pm; "subah" is the morning; noon is 12:00.
    assert.deepEqual(
      dates("às 8 da manhã, a las 6 de la tarde, at 7 in the evening, à 8 heures du soir").map(([, value]) => value),
      ["2024-11-20T08:00", "2024-11-20T18:00", "2024-11-20T19:00", "2024-11-20T20:00"],
    );
    assert.deepEqual(dates("kal subah 7 baje aa jana"), [["kal subah 7 baje", "2024-11-21T07:00"]]);
    assert.deepEqual(dates("pode ser ao meio-dia?"), [["meio-dia", "2024-11-20T12:00"]]);
    assert.deepEqual(dates("come at 5 people"), [], "a bare 'at 5' needs a part of the day or minutes");
    // A day and the bare clock time said right after it are one point in time; "15 de dezembro" is a date.
    assert.deepEqual(dates("pode ser dia 25 às 14h?"), [["dia 25 às 14h", "2024-11-25T14:00"]]);
    assert.deepEqual(dates("15 de dezembro às 10h"), [["15 de dezembro às 10h", "2024-12-15T10:00"]]);
    assert.deepEqual(
      dates("tomorrow at 5, or monday at 6").map(([, value]) => value),
      ["2024-11-21T17:00", "2024-11-25T18:00"],
    );
    // Not points in time: durations, periods, greetings, "now", French "mon".
    assert.deepEqual(dates("it's been 2 days, maybe next week? Guten Morgen! Mon mail, now"), []);
    // No message time, no dates.
    assert.equal(extractRuleEntities("tomorrow at 5pm").length, 0);
  });

  it("takes bounded time on hostile text (no catastrophic backtracking)", () => {
    const hostile = [
      "Rua ".repeat(2_000) + "12",
      "Aa, ".repeat(2_000),
      "2 kg de ".repeat(1_000),
      "@Ana ".repeat(1_000),
      "tênis de ".repeat(1_000),
      "flat 1, ".repeat(1_000),
      "1 ".repeat(50_000),
      "a@".repeat(50_000) + "b",
      "www." + "a.".repeat(50_000),
      "#" + "A-".repeat(50_000),
      "tracking " + "1 -".repeat(30_000),
      "R$ " + "1.".repeat(50_000),
      "12/".repeat(20_000),
      "mañana a las ".repeat(5_000),
      "kal ".repeat(10_000) + "baje",
      "5 dollars and ".repeat(1_000),
      "trece euros y cuarenta y ".repeat(500),
      "15 usd 50 ".repeat(1_000),
      "cinco millones de ".repeat(1_000),
      "half a ".repeat(2_000) + "million",
      "a quarter million ".repeat(1_000),
      "75 USD million ".repeat(1_000),
      "sept . ".repeat(1_000) + "30 paid",
      "tuesday of next ".repeat(1_000) + "week",
      "next week on ".repeat(1_000) + "monday",
      "half past ".repeat(2_000) + "6",
      "às 6 e ".repeat(2_000) + "meia",
      "a las 7 menos ".repeat(1_000),
      "depois de ".repeat(2_000) + "amanhã",
      "9h30 ".repeat(2_000),
      "às 8 da ".repeat(1_000) + "manhã",
      "at 7 in the ".repeat(1_000),
    ];
    for (const text of hostile) {
      const start = process.hrtime.bigint();
      extractRuleEntities(text.slice(0, 4096), { sentAt: Date.UTC(2024, 10, 20) });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      // A bound against catastrophic backtracking (minutes), not a speed target (npm run bench).
      assert.ok(ms < 20_000, `${text.slice(0, 12)}…: ${ms} ms`);
    }
  });

  const spans = (text: string, type: string, context: EntityContext = {}) =>
    extractRuleEntities(text, context)
      .filter((e) => e.type === type)
      .map((e) => (typeof e.value === "string" ? e.text : [e.text, e.value]));

  it("quantities with their unit, counts before products and after ordering verbs, not head counts or sizes", () => {
    assert.deepEqual(spans("quero 2 kg de tomate e meio kg de gengibre", "quantity"), [
      ["2 kg", { amount: 2, unit: "kg" }],
      ["meio kg", { amount: 0.5, unit: "kg" }],
    ]);
    assert.deepEqual(spans("agrégame dos docenas y 3 pares de medias", "quantity"), [
      ["dos docenas", { amount: 2, unit: "dozen" }],
      ["3 pares", { amount: 3, unit: "pair" }],
    ]);
    assert.deepEqual(spans("Gibt es Rabatt ab 5 Packungen?", "quantity"), [["5 Packungen", { amount: 5, unit: "pack" }]]);
    assert.deepEqual(spans("45 piece ka discount", "quantity"), [["45 piece", { amount: 45, unit: "item" }]]);
    assert.deepEqual(spans("10 chicken rice sets pls", "quantity"), [["10", { amount: 10, unit: "item" }]]);
    assert.deepEqual(spans("ok I'll take 2, thanks", "quantity"), [["2", { amount: 2, unit: "item" }]]);
    assert.deepEqual(spans("chalo 2 bhej do", "quantity"), [["2", { amount: 2, unit: "item" }]]);
    assert.deepEqual(spans("sizes: 12 S, 18 M, 10 L", "quantity").length, 3);
    assert.deepEqual(
      spans("quiero 2 arepas, 4 tequeños y 1 malta", "quantity").map(([text]) => text),
      ["2", "4", "1"],
      "the next items of a list of counts",
    );
    assert.deepEqual(spans("we were 2 kids, 3 dogs and a cat. 4 of them slept", "quantity"), [], "no list without a first count");
    assert.deepEqual(spans("cake for 20 people, ready in 2 days, 100% sure, the iPhone 15 case, mel 500g", "quantity"), []);
  });

  it("products from the catalogue first, else type nouns with the words that name them", () => {
    assert.deepEqual(spans("is the Philips air fryer HD9200 in stock?", "product"), ["Philips air fryer HD9200"]);
    assert.deepEqual(spans("Queremos um bolo de rolo de goiaba pra 40 pessoas", "product"), ["bolo de rolo de goiaba"]);
    assert.deepEqual(spans("quero 2 kg de tomate italiano e 1 dúzia de ovos", "product"), ["tomate italiano", "ovos"]);
    assert.deepEqual(spans("Ich habe eine Kaffeemühle Comandante C40 bestellt", "product"), ["Kaffeemühle Comandante C40"]);
    assert.deepEqual(spans("Is the Aria lamp in sage green back?", "product"), ["Aria lamp in sage green"]);
    assert.deepEqual(spans("me liga no celular", "product"), [], "a phone as a channel is no product");
    assert.deepEqual(spans("ok I'll take the Trailhead 40L in olive", "product"), [], "not a type noun, not in a catalogue");
    assert.deepEqual(
      spans("ok I'll take the Trailhead 40L in olive", "product", { productCatalogue: ["Trailhead 40L in olive", "Trail"] }),
      ["Trailhead 40L in olive"],
    );
    assert.deepEqual(
      spans("one Green tea please", "product", { productCatalogue: ["Green tea"] }),
      ["Green tea"],
      "a catalogue name outranks a first name",
    );
    assert.deepEqual(
      spans("do you have the blue hoodie size M?", "product"),
      ["blue hoodie size M"],
      "a size right after is part of the name",
    );
    assert.deepEqual(spans("quiero las zapatillas Nike talla 42, y la gorra", "product"), ["zapatillas Nike talla 42", "gorra"]);
    assert.deepEqual(spans("ist die Jacke in Größe XL noch da?", "product"), ["Jacke in Größe XL"]);
    assert.deepEqual(spans("a camiseta, tamanho grande", "product"), ["camiseta"], "a size after a comma is not");
  });

  it("matches a large catalogue by the names' first words: whole words, case-blind, the longest name where they overlap", () => {
    const catalogue = [
      ...Array.from({ length: 20_000 }, (_, i) => `Nike Air ${i}`),
      "Nike Air Max 90",
      "Nike",
      "#1 Dad mug",
      "Café Pilão 500g",
    ];
    const found = new ProductCatalogue(catalogue).find(
      "the NIKE AIR MAX 90 or a nike, plus a #1 dad mug and café pilão 500g; not Nikes or Nike Air 200000",
    );
    const text = "the NIKE AIR MAX 90 or a nike, plus a #1 dad mug and café pilão 500g; not Nikes or Nike Air 200000";
    assert.deepEqual(
      found.map((f) => text.slice(f.start, f.end)).sort(),
      ["#1 dad mug", "NIKE AIR MAX 90", "Nike", "café pilão 500g", "nike"].sort(),
    );
  });

  it("people from cues and known first names; titles and @ outside", () => {
    assert.deepEqual(spans("Seu Jorge, tem tomate?", "person"), ["Jorge"]);
    assert.deepEqual(spans("a nombre de Lupita Herrera, cel 33 1234 8877", "person"), ["Lupita Herrera"]);
    assert.deepEqual(spans("naam Kavya Menon, number yahi wala hai", "person"), ["Kavya Menon"]);
    assert.deepEqual(spans("thank you Farhan", "person"), ["Farhan"]);
    assert.deepEqual(spans("@Riya meeting ka link bhej de", "person"), ["Riya"]);
    assert.deepEqual(spans("who's organising Marcus's bday", "person"), ["Marcus"]);
    assert.deepEqual(spans("Cida do 12 aqui 🙋‍♀️ pra mim 2 dúzias", "person"), ["Cida"]);
    assert.deepEqual(spans("Dale, mandame 10. Parfait! Is the Aria lamp back? pagué con Bizum. Hi Kopi & Co", "person"), []);
  });

  it("street-level addresses with what follows them; a city, a unit alone or a sum of money is none", () => {
    assert.deepEqual(spans("meu endereço é o mesmo: Rua Cardeal Arcoverde, 1749 apto 52 - Pinheiros", "address"), [
      "Rua Cardeal Arcoverde, 1749 apto 52 - Pinheiros",
    ]);
    assert.deepEqual(spans("ship to 4410 Duval St Apt 3, Austin TX 78751. can it get here by Friday?", "address"), [
      "4410 Duval St Apt 3, Austin TX 78751",
    ]);
    assert.deepEqual(spans("could you deliver it to Seefeldstrasse 152, 8008 Zürich instead?", "address"), [
      "Seefeldstrasse 152, 8008 Zürich",
    ]);
    assert.deepEqual(spans("my office at Level 5, 120 Collins St, Melbourne VIC 3000? I'm there til the 23rd", "address"), [
      "Level 5, 120 Collins St, Melbourne VIC 3000",
    ]);
    assert.deepEqual(spans("nobody home during the day its unit 7 sandyford business park dublin 18 and ask for me", "address"), [
      "unit 7 sandyford business park dublin 18",
    ]);
    assert.deepEqual(spans("Marcos apto 31: 3 maços de couve. I live in Porto. paid CHF 500 via Twint", "address"), []);
  });

  it("phones after a cue word even when not valid in the chat's country", () => {
    assert.deepEqual(
      extractRuleEntities("My phone number is 0176 1234 5678.", { region: "US" }).map((e) => [e.type, e.text, e.value]),
      [["phone", "0176 1234 5678", "017612345678"]],
    );
    assert.deepEqual(
      extractRuleEntities("My phone number is (+45) 12 34 56 78.", { region: "US" }).map((e) => [e.type, e.text, e.value]),
      [["phone", "(+45) 12 34 56 78", "+4512345678"]],
    );
  });
});

describe("Product lists", () => {
  it("reads names one per line or from a CSV's first column, skips headers, comments, duplicates and overlong names", () => {
    const parsed = parseProductList(
      '\uFEFFproduct,price\n"Sofa ""Lisboa"", 3 seats",900\nTrailhead 40L backpack;120\n# old\n\ntrailhead 40L BACKPACK\n' +
        "x".repeat(121) +
        "\n",
    );
    assert.deepEqual(parsed, { names: ['Sofa "Lisboa", 3 seats', "Trailhead 40L backpack"], skipped: 1 });
    assert.deepEqual(parseProductList(""), { names: [], skipped: 0 });
  });
});
