import assert from "node:assert/strict";
import { DEFAULT_SENTIMENT, looksEnglish, parseValenceList, scoreSentiment } from "../../../src/core/nlu/sentiment";

describe("Lexicon sentiment", () => {
  it("labels clear cases in the pack's six languages", () => {
    const cases: [string, string][] = [
      ["Thanks, the cake was amazing! 😍", "positive"],
      ["Muchas gracias, todo perfecto", "positive"],
      ["Adorei, obrigada!!", "positive"],
      ["bahut badhiya, shukriya bhai", "positive"],
      ["Super, danke!", "positive"],
      ["Merci, c'est parfait", "positive"],
      ["me llegó la licuadora con la jarra rota 😡", "negative"],
      ["O rastreio é QB123456789BR, parado desde segunda 😕", "negative"],
      ["bakwas service, order abhi tak nahi aaya", "negative"],
      ["Das Display ist kaputt", "negative"],
      ["Can we add 2 veggie pizzas?", "neutral"],
      ["Address: Flat 12B, Green Park, Delhi 110016", "neutral"],
    ];
    for (const [text, label] of cases) assert.equal(scoreSentiment(text).label, label, text);
  });

  it("flips negated words, weighs intensifiers and what follows a 'but'", () => {
    assert.equal(scoreSentiment("not good").label, "negative");
    assert.equal(scoreSentiment("não gostei do bolo").label, "negative");
    assert.equal(scoreSentiment("no está mal").label, "positive");
    // A negator before an emoji does not turn the emoji round.
    assert.equal(scoreSentiment("já faz 8 dias e nada 😕").label, "negative");
    assert.ok(scoreSentiment("muy malo").score < scoreSentiment("malo").score);
    assert.equal(scoreSentiment("the food was good but the delivery was terrible").label, "negative");
    assert.equal(scoreSentiment("a bit late, but the pizza was delicious").label, "positive");
    assert.ok(scoreSentiment("great!!!").score > scoreSentiment("great").score);
  });

  it("reports its cues and a confidence that grows with them; empty, emoji-only and hostile inputs are fine", () => {
    const result = scoreSentiment("terrible, awful 👎");
    assert.deepEqual(
      result.cues.map((c) => c.token),
      ["terrible", "awful", "👎"],
    );
    assert.ok(result.confidence > scoreSentiment("bad").confidence);
    assert.deepEqual(scoreSentiment(""), { label: "neutral", score: 0, confidence: 0, cues: [] });
    assert.equal(scoreSentiment("🙏🙏").label, "positive");
    assert.equal(scoreSentiment("\uD800\uDFFF\uDC00 \u0000").label, "neutral");
    assert.equal(scoreSentiment("good ".repeat(200_000)).label, "positive");
  });

  it("draws on a broader English list only for English messages, where its own list has no word", () => {
    const englishWords = parseValenceList(
      ["lame\t-1.8\t0.6\t[-2, -2]", "no\t-1.2\t0.7\t[-1, -1]", "please\t1.3\t0.8\t[1, 2]", "meh\t0\t0\t[]", "broken line", ""].join("\n"),
    );
    assert.deepEqual(
      [...englishWords],
      [
        ["lame", -1.8],
        ["no", -1.2],
        ["please", 1.3],
      ],
    );
    const withList = { ...DEFAULT_SENTIMENT, englishWords };
    assert.equal(scoreSentiment("the new packaging is lame", withList).label, "negative");
    assert.equal(scoreSentiment("the new packaging is lame").label, "neutral");
    // "no" is an everyday Spanish word: the English list is not consulted for Spanish text.
    assert.equal(looksEnglish(["no", "me", "llego", "el", "pedido"]), false);
    assert.equal(scoreSentiment("no me llegó el pedido, es para el sábado", withList).label, "neutral");
    // The pack's own list wins: "please" is neutral in customer chat.
    assert.equal(scoreSentiment("can you send it to my office please", withList).label, "neutral");
  });

  it("reads text emoticons as whole marks", () => {
    assert.equal(scoreSentiment("ok see you tomorrow :)").label, "positive");
    assert.equal(scoreSentiment("still waiting :(").label, "negative");
    assert.deepEqual(
      scoreSentiment("D: :D").cues.map((c) => c.token),
      ["d:", ":d"],
    );
    assert.equal(scoreSentiment("option (a): one, option (b): two").label, "neutral");
  });
});
