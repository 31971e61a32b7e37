import assert from "node:assert/strict";
import { EntityTagger, bioTags, taggerTokens, tokenFeatures } from "../../../src/core/nlu/entity-tagger";
import { PerceptronTagger } from "../../../src/core/nlu/perceptron";

/** Messages with their product and quantity spans marked [product: …] / [quantity: …], as annotators would. */
function annotated(marked: string): { text: string; entities: { type: string; start: number; end: number }[] } {
  const entities: { type: string; start: number; end: number }[] = [];
  let text = "";
  for (const part of marked.split(/(\[\w+: [^\]]+\])/)) {
    const m = /^\[(\w+): ([^\]]+)\]$/.exec(part);
    if (!m) {
      text += part;
      continue;
    }
    entities.push({ type: m[1], start: text.length, end: text.length + m[2].length });
    text += m[2];
  }
  return { text, entities };
}

const BRANDS = ["Zorvex", "Kalimba", "Trovato", "Mendel", "Quillon", "Brasko", "Ventari", "Lumio", "Orsk", "Pelto"];
const MODELS = ["X2", "A16", "Pro 5", "S9", "M3", "K7", "T100", "Z8", "Q4", "R2"];
const TRAINING = BRANDS.flatMap((brand, i) => [
  annotated(`do you have the [product: ${brand} ${MODELS[i]}] in black?`),
  annotated(`quero [quantity: ${(i % 4) + 2}] [product: ${brand} ${MODELS[(i + 3) % 10]}] pra amanhã`),
  annotated(`is the [product: ${brand} ${MODELS[(i + 5) % 10]}] still in stock`),
  annotated(`ok thanks, I will think about it`),
]);

describe("PerceptronTagger", () => {
  it("learns a tag from context and keeps BIO valid: an inside tag never starts a span", () => {
    const sequences = Array.from({ length: 30 }, (_, i) => ({
      features: [["w=buy"], [`w=thing${i}`], ["w=now"]],
      tags: ["O", "B-product", "O"],
    }));
    const tagger = PerceptronTagger.train(sequences);
    assert.deepEqual(tagger.tag([["w=buy"], ["w=unseen"], ["w=now"]]), ["O", "B-product", "O"]);
    const inside = PerceptronTagger.train([{ features: [["w=a"], ["w=b"]], tags: ["B-person", "I-person"] }]);
    assert.notEqual(inside.tag([["w=b"]])[0], "I-person");
  });

  it("round-trips through its JSON form with the same tags, and refuses other files", () => {
    const tagger = PerceptronTagger.train([{ features: [["w=x"], ["w=y"]], tags: ["B-person", "O"] }]);
    const copy = PerceptronTagger.fromJSON(JSON.parse(JSON.stringify(tagger.toJSON())));
    assert.deepEqual(copy.tag([["w=x"], ["w=y"]]), tagger.tag([["w=x"], ["w=y"]]));
    assert.throws(() => PerceptronTagger.fromJSON({ format: "other" } as never), /format wa-perceptron-1/);
  });
});

describe("EntityTagger", () => {
  const tagger = EntityTagger.train(TRAINING);

  it("tokenizes model names and amounts as single tokens, and marks spans as BIO", () => {
    const { text, entities } = annotated("the [product: Galaxy A16 128GB] for R$ 1.199");
    const tokens = taggerTokens(text);
    assert.deepEqual(
      tokens.map((t) => t.text),
      ["the", "Galaxy", "A16", "128GB", "for", "R", "$", "1.199"],
    );
    assert.deepEqual(bioTags(tokens, entities).slice(0, 5), ["O", "B-product", "I-product", "I-product", "O"]);
  });

  it("finds a product by a brand and model it never saw, from the words around it", () => {
    const found = tagger.extract("do you have the Nimbra Q9 in black?");
    const product = found.find((e) => e.type === "product");
    assert.equal(product?.text, "Nimbra Q9");
    assert.equal(product?.source, "model");
  });

  it("gives a tagged quantity its value, and keeps the exact rules' entities", () => {
    const found = tagger.extract("quero 3 Farolo X2 pra amanhã, mando pro ana@example.com", { sentAt: Date.UTC(2026, 0, 5, 12) });
    assert.deepEqual(found.find((e) => e.type === "quantity")?.value, { amount: 3, unit: "item" });
    assert.equal(found.find((e) => e.type === "email")?.value, "ana@example.com");
    assert.equal(found.find((e) => e.type === "datetime")?.value, "2026-01-06");
  });

  it("trains the same tagger in slices as in one go, letting other work run meanwhile", async () => {
    let turns = 0;
    const other = setInterval(() => (turns += 1), 0);
    const shares: number[] = [];
    const sliced = await EntityTagger.trainAsync(TRAINING, undefined, 0, (share) => shares.push(share));
    clearInterval(other);
    assert.deepEqual(sliced.toJSON(), tagger.toJSON());
    assert.ok(turns > 0, "the event loop ran while it trained");
    assert.ok(shares.length > 0 && shares.every((s) => s >= 0 && s <= 1));
  });

  it("keeps the shop's own product names as the rules found them", () => {
    const text = "do you have the Lumio K2 in black?";
    const found = tagger.extract(text, { productCatalogue: ["Lumio K2 in black"] });
    const product = found.find((e) => e.type === "product");
    assert.equal(product?.text, "Lumio K2 in black");
    assert.equal(product?.source, "gazetteer");
  });

  it("reads the look of a word in any script: shapes, capitals, upper case and digits beyond ASCII", () => {
    const featuresOf = (text: string) => tokenFeatures(taggerTokens(text), []);
    const [nandu, ecole, arabic, devanagari, mixed] = featuresOf("Ñandú ÉCOLE ١٢ हिंदी 12ªB");
    assert.ok(nandu.includes("sh=Xx") && nandu.includes("cap-start"), nandu.join(" "));
    assert.ok(ecole.includes("sh=X") && ecole.includes("upper") && ecole.includes("cap"), ecole.join(" "));
    assert.ok(arabic.includes("sh=d") && arabic.includes("digits=0"), arabic.join(" "));
    assert.ok(!devanagari.some((f) => f.startsWith("cap")), devanagari.join(" "));
    assert.ok(mixed.includes("sh=dxX") && mixed.includes("mixed-digits"), mixed.join(" "));
    // A shape is cut at six kinds; what it no longer shows is still read from the word.
    const [long] = featuresOf("1-2-3-4a");
    assert.ok(long.includes("sh=d-d-d-") && long.includes("mixed-digits"), long.join(" "));
  });

  it("loads from its JSON form and tags the same", () => {
    const copy = EntityTagger.fromJSON(JSON.parse(JSON.stringify(tagger.toJSON())));
    const text = "is the Ostro M3 still in stock";
    assert.deepEqual(copy.extract(text), tagger.extract(text));
  });
});
