import assert from "node:assert/strict";
import { CUED_INTENTS, intentCues } from "../../src/core/nlu/intent-cues";
import { withIntentContext } from "../../src/core/nlu/intent-context";

describe("intent cues: what a customer wants, in words of each chat language", () => {
  it("finds the same intent's cue in each language, accents and case aside", () => {
    for (const text of ["Please cancel my order", "quero cancelar o pedido", "¿Puedo anular la reserva?", "Bitte stornieren", "J'annule"])
      assert.ok(intentCues(text).includes("cancel_order"), text);
    for (const text of ["How much is it?", "Quanto custa?", "¿Cuánto cuesta?", "Wie viel kostet das?", "Combien ça coûte ?", "kitna hai?"])
      assert.ok(intentCues(text).includes("pricing_question"), text);
    assert.ok(intentCues("MUITO OBRIGADA!!").includes("thanks"));
  });

  it("matches whole words, and a cue ending in * by its beginning only", () => {
    assert.equal(intentCues("this is it").includes("greeting"), false, "'hi' is not in 'this'");
    assert.ok(intentCues("thanks a lot").includes("thanks"), "thank* takes thanks");
    assert.equal(intentCues("unthankful").includes("thanks"), false, "a * cue starts the word");
    assert.ok(intentCues("where is my parcel").includes("order_status"), "a cue of several words");
    assert.equal(intentCues("where my is parcel").includes("order_status"), false, "in that order only");
  });

  it("gives each intent once, for every one of the fifteen business intents", () => {
    assert.equal(CUED_INTENTS.length, 15);
    assert.deepEqual(intentCues("thanks thanks thank you"), ["thanks"]);
    assert.deepEqual(intentCues(""), []);
  });

  it("adds the cues to what the built-in model reads, after the context", () => {
    assert.equal(withIntentContext("Bitte stornieren", {}), "Bitte stornieren wacuecancelorder");
    assert.equal(
      withIntentContext("Bitte stornieren", { entityTypes: ["order_id"], previousIntent: "place_order" }),
      "Bitte stornieren wactxentorderid wactxprevplaceorder wacuecancelorder",
    );
  });
});
