import assert from "node:assert/strict";
import { FakeClock } from "../../../src/core/clock";
import { IntentClassifier } from "../../../src/core/nlu/intent-classifier";
import { RecentIntents, withIntentContext } from "../../../src/core/nlu/intent-context";

describe("intent context", () => {
  it("appends each entity type once, in a fixed order, and the previous intent as marker words", () => {
    assert.equal(
      withIntentContext("ok?", { entityTypes: ["money", "order_id", "money"], previousIntent: "product_question" }),
      "ok? wactxentmoney wactxentorderid wactxprevproductquestion",
    );
    assert.equal(withIntentContext("ok", {}), "ok", "nothing is added without context or a cue word");
    assert.equal(withIntentContext("price?", {}), "price? wacuepricingquestion", "a cue word names its intent");
  });

  it("remembers each chat's last intent for a while, and only so many chats", () => {
    const clock = new FakeClock();
    const recent = new RecentIntents(clock, 60_000, 2);
    recent.remember("a", "greeting");
    recent.remember("b", "place_order");
    assert.equal(recent.previous("a"), "greeting");
    recent.remember("c", "thanks");
    assert.equal(recent.previous("a"), undefined, "the chat heard from longest ago goes first");
    assert.equal(recent.previous("b"), "place_order");
    clock.advance(60_001);
    assert.equal(recent.previous("c"), undefined, "a previous intent older than the limit is a new conversation");
    assert.equal(recent.previous(undefined), undefined);
  });
});

describe("IntentClassifier files", () => {
  const model = IntentClassifier.train([
    { text: "hello there", label: "greeting" },
    { text: "hi", label: "greeting" },
    { text: "refund please", label: "refund" },
    { text: "money back", label: "refund" },
  ]);

  it("predicts the same after a round trip through its file form", () => {
    const copy = IntentClassifier.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    for (const text of ["hello", "I want my money back", "?"]) assert.deepEqual(copy.predict(text, 2), model.predict(text, 2));
  });

  it("refuses a file of another kind or with weights that do not fit", () => {
    assert.throws(() => IntentClassifier.fromJSON({ format: "x" } as never), /format wa-intent-1/);
    const file = model.toJSON();
    assert.throws(() => IntentClassifier.fromJSON({ ...file, bias: Buffer.alloc(4).toString("base64") }), /damaged/);
  });
});
