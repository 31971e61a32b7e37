import assert from "node:assert/strict";
import { IntentClassifier, TrainingDataError } from "../../../src/core/nlu/intent-classifier";
import { normalizeText, tokenize } from "../../../src/core/nlu/text";
import { parseExampleLines, parseExamplesCsv, parseExamplesJsonl } from "../../../src/core/nlu/training-data";

const SHOP = `
# a small shop's intents, in the languages its customers write
greeting: hi there
greeting: hello, good morning
greeting: hola buenos días
greeting: olá, bom dia
greeting: namaste bhai
order_status: where is my order?
order_status: my package has not arrived yet
order_status: dónde está mi pedido
order_status: cadê meu pedido, ainda não chegou
order_status: mera order kab aayega
refund: I want my money back
refund: please refund the broken mug
refund: quiero un reembolso
refund: quero meu dinheiro de volta
refund: paisa wapas chahiye
`;

describe("NLU text handling", () => {
  it("drops lone surrogates, folds compatibility forms, keeps emoji as tokens", () => {
    assert.equal(normalizeText("Ｈｅｌｌｏ\uD800 World \uDC00!"), "hello world !");
    assert.deepEqual(tokenize(normalizeText("I'm 😡 about order #A-77")), ["i'm", "😡", "about", "order", "a", "77"]);
    assert.deepEqual(tokenize(normalizeText("🙂🙂🙂")), ["🙂", "🙂", "🙂"]);
  });

  it("reads 1 MB of hostile text in bounded time (no backtracking), looking only at the first 4,096 characters", () => {
    const nasty = "a'".repeat(500_000) + "\uD800".repeat(10);
    const start = process.hrtime.bigint();
    const normalized = normalizeText(nasty);
    tokenize(normalized);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.ok(normalized.length <= 4096);
    // A bound against catastrophic backtracking, not a speed target (that lives in npm run bench).
    assert.ok(ms < 10_000, `${ms} ms: a backtracking pattern would take minutes here`);
  });
});

describe("Training data", () => {
  it("reads `intent: text` lines and names the lines it could not read", () => {
    const parsed = parseExampleLines("greeting: hi\nno colon here\n: no intent\nbad intent!: text\n\n# comment\nrefund: money back");
    assert.deepEqual(parsed.examples, [
      { text: "hi", label: "greeting" },
      { text: "money back", label: "refund" },
    ]);
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [2, 3, 4],
    );
  });

  it("reads CSV with quoted commas and line breaks, and JSONL, reporting malformed rows", () => {
    const csv = parseExamplesCsv('text,category\r\n"Hi, there",greeting\r\n"two\nlines",refund\r\nonly one field\r\n');
    assert.deepEqual(csv.examples, [
      { text: "Hi, there", label: "greeting" },
      { text: "two\nlines", label: "refund" },
    ]);
    assert.deepEqual(csv.problems, [{ line: 5, reason: "1 fields where the header has 2" }]);
    assert.match(parseExamplesCsv("foo,bar\n1,2").problems[0].reason, /header must name a text column/);
    const jsonl = parseExamplesJsonl('{"text":"hi","intent":"greeting"}\nnot json\n[1]\n{"text":"x"}');
    assert.deepEqual(jsonl.examples, [{ text: "hi", label: "greeting" }]);
    assert.deepEqual(
      jsonl.problems.map((p) => p.reason),
      ["not JSON", "not a JSON object", "the intent must be 1 to 100 letters, digits, '_', '.', ':', '?', '!' or '-' (got \"\")"],
    );
  });

  it("keeps intents named with a question mark, as Banking77's reverted_card_payment?", () => {
    const csv = parseExamplesCsv("text,category\nwhy was my card payment reverted,reverted_card_payment?\nhi,greeting\nhi,a b\n");
    assert.deepEqual(
      csv.examples.map((e) => e.label),
      ["reverted_card_payment?", "greeting"],
    );
    assert.equal(csv.problems.length, 1, "a label with a space is still refused");
  });
});

describe("IntentClassifier", () => {
  const model = IntentClassifier.train(parseExampleLines(SHOP).examples);

  it("learns a handful of examples per intent across English, Spanish, Portuguese and Hinglish", () => {
    const cases: [string, string][] = [
      ["hello!", "greeting"],
      ["has my order arrived?", "order_status"],
      ["dónde está mi paquete", "order_status"],
      ["quero reembolso", "refund"],
      ["refund please", "refund"],
    ];
    for (const [text, label] of cases) assert.equal(model.predict(text, 1)[0].label, label, text);
  });

  it("gives top-k alternatives with confidences summing to 1 over all intents, also for empty or garbage text", () => {
    const top = model.predict("where is my refund", 3);
    assert.equal(top.length, 3);
    assert.ok(Math.abs(top.reduce((sum, s) => sum + s.confidence, 0) - 1) < 1e-9);
    for (const text of ["", "🙂🙂", "\u0000\u0001\uFFFF", "x".repeat(1_000_000)]) {
      const [best] = model.predict(text, 1);
      assert.ok(best.confidence > 0 && best.confidence < 0.9, `${text.slice(0, 10)}: ${best.confidence}`);
    }
  });

  it("refuses training data with fewer than two intents", () => {
    assert.throws(
      () =>
        IntentClassifier.train([
          { text: "hi", label: "greeting" },
          { text: "hello", label: "greeting" },
        ]),
      TrainingDataError,
    );
    assert.throws(() => IntentClassifier.train([]), /at least two intents \(got none\)/);
  });

  it("trains without holding the event loop: other work runs between slices", async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    const examples = parseExampleLines(SHOP).examples;
    const many = Array.from({ length: 40 }, () => examples).flat();
    const trained = await IntentClassifier.trainAsync(many, undefined, 5);
    clearInterval(timer);
    assert.equal(trained.labels.length, 3);
    assert.ok(ticks > 0, "the timer ran during training");
  });
});
