import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import entitiesNode from "../../src/nodes/wa-entities";
import sheetsNode from "../../src/nodes/wa-sheets";
import {
  collect,
  envelope,
  getNode,
  helper,
  helperNode,
  inTab,
  until,
  untilReal,
  untilWithSockets,
  useNodeHarness,
  useUserDir,
} from "./harness";

type Span = { type: string; text: string; value: unknown; start: number; end: number };
const entitiesOf = (m: Record<string, unknown>) =>
  ((m.wa as { nlu?: { entities?: Span[] } } | undefined)?.nlu?.entities ?? m.entities) as Span[];

describe("wa-entities node", () => {
  const harness = useNodeHarness();
  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      entitiesNode,
      inTab([
        { id: "e1", type: "wa-entities", region: "", orderPatterns: "", property: "payload", wires: [["out"]], ...props },
        helperNode("out"),
      ]),
    );
  }

  it("finds entities with the writer's country from the chat id, offsets into the text", async () => {
    await load();
    const out = collect("out");
    const text = "Meu pedido #BR-55120 não chegou, me liga no (11) 98765-4321. Paguei R$ 1.234,56";
    getNode("e1").receive(envelope("5511974328816@c.us", text));
    await until(() => out.length === 1);
    const spans = entitiesOf(out[0]);
    assert.deepEqual(
      spans.map((s) => [s.type, s.value]),
      [
        ["order_id", "BR-55120"],
        ["phone", "+5511987654321"],
        ["money", { amount: 1234.56, currency: "BRL" }],
      ],
    );
    for (const s of spans) assert.equal(text.slice(s.start, s.end), s.text);
  });

  it("takes your own order id patterns and the types you chose; a default country for messages without a chat", async () => {
    await load({ orderPatterns: "\\b(SO-\\d{6})\\b", types: "order_id,phone", region: "GB" });
    const out = collect("out");
    getNode("e1").receive({ payload: "SO-123456 please, call 07700 900123, it was £20" });
    await until(() => out.length === 1);
    assert.deepEqual(
      entitiesOf(out[0]).map((s) => [s.type, s.value]),
      [
        ["order_id", "SO-123456"],
        ["phone", "+447700900123"],
      ],
    );
  });

  it("refuses a pattern that could backtrack for ever, and an unknown country", async () => {
    await load({ orderPatterns: "(\\w+)+$" });
    let texts = getNode("e1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /repeated group inside/.test(t)),
      texts.join(" | "),
    );
    await helper.unload();
    await load({ region: "XX" });
    texts = getNode("e1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /Default country/.test(t)),
      texts.join(" | "),
    );
  });

  describe("with a product list", () => {
    const userDir = useUserDir("wa-entities", "all");

    it("finds the shop's products from the form and a CSV file under the user directory, and says what it skipped", async () => {
      writeFileSync(join(userDir(), "catalogue.csv"), `name,price\nTrailhead 40L in olive,120\n"Aria lamp, sage",80\n${"x".repeat(130)}\n`);
      await load({ products: "Kopi Special Blend\n", productFile: "catalogue.csv" });
      const out = collect("out");
      getNode("e1").receive(envelope("6591234567@c.us", "I'll take 2 Trailhead 40L in olive and one Kopi Special Blend, to Marcus"));
      await until(() => out.length === 1);
      assert.deepEqual(
        entitiesOf(out[0]).map((s) => [s.type, s.text]),
        [
          ["quantity", "2"],
          ["product", "Trailhead 40L in olive"],
          ["quantity", "one"],
          ["product", "Kopi Special Blend"],
          ["person", "Marcus"],
        ],
      );
      const texts = getNode("e1")
        .status.getCalls()
        .map((call) => String((call.args[0] as { text?: string }).text));
      assert.ok(texts.includes("ready, 3 products"), texts.join(" | "));
      const warned = getNode("e1")
        .warn.getCalls()
        .map((c) => String(c.args[0]));
      assert.ok(
        warned.some((w) => /1 product names skipped/.test(w)),
        warned.join("\n"),
      );
    });

    it("puts itself out of action with the reason when the product file is missing", async () => {
      await load({ productFile: "nope.csv" });
      const texts = getNode("e1")
        .status.getCalls()
        .map((call) => String((call.args[0] as { text?: string }).text));
      assert.ok(
        texts.some((t) => /Product list file nope.csv/.test(t)),
        texts.join(" | "),
      );
    });
  });

  describe("with a learned tagger", () => {
    const userDir = useUserDir("wa-entities-tagger", "all");
    const statusTexts = () =>
      getNode("e1")
        .status.getCalls()
        .map((call) => String((call.args[0] as { text?: string }).text));

    it("built-in: finds a product the rules have no word for, and says so on its status", async () => {
      await load({ tagger: "builtIn" });
      assert.ok(statusTexts().includes("built-in tagger ready"), statusTexts().join(" | "));
      const out = collect("out");
      const text = "vcs tem o Galaxy A16 128GB na cor cinza?";
      getNode("e1").receive(envelope("5511963207418@c.us", text));
      await until(() => out.length === 1);
      const product = entitiesOf(out[0]).find((s) => s.type === "product") as (Span & { source?: string }) | undefined;
      assert.equal(product?.text, "Galaxy A16 128GB");
      assert.equal(product?.source, "model");
      assert.equal(text.slice(product.start, product.end), product.text);
    });

    it("mine: trains on the annotated messages of a file at deploy; messages wait, bad lines are named", async () => {
      const brands = ["Zorvex", "Kalimba", "Trovato", "Mendel", "Quillon", "Brasko", "Ventari", "Lumio", "Orsk", "Pelto"];
      const lines = brands.flatMap((brand, i) => {
        const asked = `do you have the ${brand} K${i} in black?`;
        const ordered = `send ${(i % 8) + 2} ${brand} T${i} tomorrow`;
        return [
          JSON.stringify({ text: asked, entities: [{ type: "product", start: 16, end: 16 + brand.length + 3 }] }),
          JSON.stringify({
            text: ordered,
            entities: [
              { type: "quantity", start: 5, end: 6 },
              { type: "product", start: 7, end: 7 + brand.length + 3, text: `${brand} T${i}` },
            ],
          }),
        ];
      });
      lines.push(JSON.stringify({ text: "the Orsk K8 please", entities: [{ type: "product", start: 4, end: 99 }] }));
      writeFileSync(join(userDir(), "annotated.jsonl"), `${lines.join("\n")}\n`);
      await load({ tagger: "file", annotatedFile: "annotated.jsonl" });
      const out = collect("out");
      getNode("e1").receive({ payload: "do you have the Nimbra K4 in black?" });
      await untilReal(() => out.length === 1, 10_000);
      const product = entitiesOf(out[0]).find((s) => s.type === "product");
      assert.equal(product?.text, "Nimbra K4", "a brand it never saw, from the words around it");
      assert.ok(statusTexts().includes("tagger trained on 20 messages"), statusTexts().join(" | "));
      const warned = getNode("e1")
        .warn.getCalls()
        .map((c) => String(c.args[0]));
      assert.ok(
        warned.some((w) => /1 training lines were skipped \(line 21: entity 1: start and end must be whole numbers/.test(w)),
        warned.join("\n"),
      );
    });

    it("mine: out of action with the reason when the file is missing or holds no usable message", async () => {
      await load({ tagger: "file", annotatedFile: "none.jsonl" });
      assert.ok(
        statusTexts().some((t) => /Annotated messages file none.jsonl: not found/.test(t)),
        statusTexts().join(" | "),
      );
      await helper.unload();
      writeFileSync(join(userDir(), "empty.jsonl"), '{"text": ""}\nnot json\n');
      await load({ tagger: "file", annotatedFile: "empty.jsonl" });
      assert.ok(
        statusTexts().some((t) => /empty.jsonl holds no annotated message/.test(t)),
        statusTexts().join(" | "),
      );
    });
  });

  describe("with products from a spreadsheet range (Sheets emulator)", () => {
    const SPREADSHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
    let emulator: SheetsEmulator;
    beforeEach(async () => {
      emulator = new SheetsEmulator({ clock: harness.clock() });
      emulator.model.create(SPREADSHEET, "Shop", [{ title: "Products", rowCount: 100, columnCount: 3 }]);
      emulator.model.update(
        SPREADSHEET,
        "Products!A1",
        [
          ["name", "price"],
          ["Green tea", 3.5],
          ["Kopi Special Blend", 4],
        ],
        "RAW",
      );
      await emulator.start();
    });
    afterEach(() => emulator.stop());

    async function loadWithSheet(props: Record<string, unknown>) {
      await helper.load(
        [sheetsNode, entitiesNode],
        inTab([
          {
            id: "sh1",
            type: "wa-sheets",
            spreadsheetId: SPREADSHEET,
            apiRoot: emulator.url,
            cacheSeconds: 60,
            staleSeconds: 300,
            requestsPerMinute: 60,
          },
          {
            id: "e1",
            type: "wa-entities",
            region: "",
            orderPatterns: "",
            property: "payload",
            productSheets: "sh1",
            productRange: "Products!A:A",
            productRefreshMinutes: 10,
            wires: [["out"]],
            ...props,
          },
          helperNode("out"),
        ]),
        { sh1: { key: JSON.stringify(emulator.createServiceAccount()) } },
      );
    }
    const settle = (check: () => boolean) => untilWithSockets(harness.clock(), check, 10);
    const statusTexts = () =>
      getNode("e1")
        .status.getCalls()
        .map((call) => String((call.args[0] as { text?: string }).text));
    const products = (m: Record<string, unknown>) =>
      entitiesOf(m)
        .filter((s) => s.type === "product")
        .map((s) => s.text);

    it("reads the shop's products from the range at deploy and again after the refresh period", async () => {
      await loadWithSheet({ products: "Aria lamp" });
      await settle(() => statusTexts().includes("ready, 3 products"));
      const out = collect("out");
      getNode("e1").receive({ payload: "one Green tea and an Aria lamp; is the Matcha Latte back?" });
      await settle(() => out.length === 1);
      assert.deepEqual(products(out[0]), ["Green tea", "Aria lamp"], "the sheet's product wins over a first name (Green)");
      emulator.model.update(SPREADSHEET, "Products!A4", [["Matcha Latte"]], "RAW");
      await harness.clock().advanceAsync(10 * 60_000);
      await settle(() => emulator.counts.byMethod["values.get"] >= 2);
      getNode("e1").receive({ payload: "is the Matcha Latte back?" });
      await settle(() => out.length === 2);
      await settle(() => products(out[1]).length > 0);
      assert.deepEqual(products(out[1]), ["Matcha Latte"]);
    });

    it("warns once and keeps the list it has when the range cannot be read", async () => {
      await loadWithSheet({ products: "Aria lamp", productRange: "Nope!A:A" });
      await settle(() => statusTexts().some((t) => /not read/.test(t)));
      const warned = getNode("e1")
        .warn.getCalls()
        .map((c) => String(c.args[0]));
      assert.equal(warned.filter((w) => /could not be read/.test(w)).length, 1, warned.join("\n"));
      const out = collect("out");
      getNode("e1").receive({ payload: "an Aria lamp please" });
      await settle(() => out.length === 1);
      assert.deepEqual(products(out[0]), ["Aria lamp"]);
      await harness.clock().advanceAsync(10 * 60_000);
      await settle(() => emulator.counts.byMethod["values.get"] >= 2);
      assert.equal(
        getNode("e1")
          .warn.getCalls()
          .filter((c) => /could not be read/.test(String(c.args[0]))).length,
        1,
        "not again while it keeps failing",
      );
    });

    it("refuses a product range that is not A1 notation at deploy", async () => {
      await loadWithSheet({ productRange: "Products!1A:ZZZZ9" });
      assert.ok(
        statusTexts().some((t) => /Product range: A1 notation/.test(t)),
        statusTexts().join(" | "),
      );
    });
  });

  it("a shared contact card gives its person and phones, a shared location its address, exactly", async () => {
    await load();
    const out = collect("out");
    const card = envelope("5511974328816@c.us", "Bruno Lima +55 21 98888-7777");
    Object.assign((card.wa as { message: Record<string, unknown> }).message, {
      type: "vcard",
      contacts: [{ name: "Bruno Lima", phones: ["+55 21 98888-7777"] }],
    });
    const place = envelope("5511974328816@c.us", "Loja Centro · Rua Augusta 100 · -23.55,-46.63");
    Object.assign((place.wa as { message: Record<string, unknown> }).message, {
      type: "location",
      location: { latitude: -23.55, longitude: -46.63, name: "Loja Centro", address: "Rua Augusta 100" },
    });
    getNode("e1").receive(card);
    getNode("e1").receive(place);
    await until(() => out.length === 2);
    assert.deepEqual(
      entitiesOf(out[0]).map((s) => [s.type, s.text, s.value, (s as Span & { source?: string }).source]),
      [
        ["person", "Bruno Lima", "Bruno Lima", "shared"],
        ["phone", "+55 21 98888-7777", "+5521988887777", "shared"],
      ],
    );
    const [address] = entitiesOf(out[1]);
    assert.deepEqual([address.type, address.text, address.start], ["address", "Loja Centro · Rua Augusta 100", 0]);
    assert.deepEqual(address.value, { latitude: -23.55, longitude: -46.63, name: "Loja Centro", address: "Rua Augusta 100" });
  });
});
