import assert from "node:assert/strict";
import sentimentNode from "../../src/nodes/wa-sentiment";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness, useUserDir } from "./harness";

type Sentiment = { label: string; score: number; source: string; cues: unknown[] };
const sentimentOf = (m: Record<string, unknown>) =>
  ((m.wa as { nlu?: { sentiment?: Sentiment } } | undefined)?.nlu?.sentiment ?? m.sentiment) as Sentiment;

describe("wa-sentiment node", () => {
  useNodeHarness();
  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      sentimentNode,
      inTab([
        {
          id: "s1",
          type: "wa-sentiment",
          mode: "lexicon",
          positiveFrom: 0.05,
          negativeFrom: -0.05,
          property: "payload",
          wires: [["out"]],
          ...props,
        },
        helperNode("out"),
      ]),
    );
  }

  it("scores with the lexicon, with no training, into msg.wa.nlu.sentiment", async () => {
    await load();
    const out = collect("out");
    getNode("s1").receive(envelope("447700900001@c.us", "me llegó la licuadora con la jarra rota 😡"));
    getNode("s1").receive(envelope("447700900001@c.us", "Super, danke!"));
    getNode("s1").receive({ payload: "Can we add 2 veggie pizzas?" });
    getNode("s1").receive({ payload: { not: "text" } });
    await until(() => out.length === 4);
    assert.deepEqual(
      out.map((m) => sentimentOf(m).label),
      ["negative", "positive", "neutral", "neutral"],
    );
    assert.equal(sentimentOf(out[0]).source, "lexicon");
    assert.ok(sentimentOf(out[0]).cues.length > 0);
  });

  it("scores with the built-in model the pack ships, with no examples, in several languages", async () => {
    await load({ mode: "builtin", positiveFrom: 0.9 });
    const out = collect("out");
    const texts = [
      "the blender arrived broken, really disappointed",
      "muito obrigada, chegou tudo perfeito!",
      "can you send the invoice to my email",
    ];
    for (const text of texts) getNode("s1").receive(envelope("447700900001@c.us", text));
    await until(() => out.length === texts.length);
    assert.deepEqual(
      out.map((m) => sentimentOf(m).label),
      ["negative", "positive", "neutral"],
      "the form's bands do not apply to the built-in model",
    );
    assert.ok(out.every((m) => sentimentOf(m).source === "builtin"));
    assert.ok(sentimentOf(out[0]).score < 0 && sentimentOf(out[1]).score > 0, "score is P(positive) - P(negative)");
  });

  it("draws on VADER's English list by default, and not when it is turned off", async () => {
    await load();
    const out = collect("out");
    getNode("s1").receive({ payload: "honestly the courier was a jerk" });
    await until(() => out.length === 1);
    assert.equal(sentimentOf(out[0]).label, "negative");
    assert.deepEqual(sentimentOf(out[0]).cues, [{ token: "jerk", weight: -1.05 }]);
    await helper.unload();
    await load({ englishWords: false });
    const own = collect("out");
    getNode("s1").receive({ payload: "honestly the courier was a jerk" });
    await until(() => own.length === 1);
    assert.equal(sentimentOf(own[0]).label, "neutral");
  });

  it("learns from labelled examples in trained mode", async () => {
    const examples = [
      "positive: love it",
      "positive: thanks a lot",
      "positive: muito bom",
      "negative: hate it",
      "negative: arrived late and cold",
      "negative: péssimo",
      "neutral: pickup at 5",
      "neutral: what time do you open",
      "neutral: 2 loaves please",
    ].join("\n");
    await load({ mode: "trained", examples });
    const out = collect("out");
    getNode("s1").receive({ payload: "i love it, thanks" });
    getNode("s1").receive({ payload: "cold and late again" });
    await untilReal(() => out.length === 2, 10_000);
    assert.deepEqual(
      out.map((m) => sentimentOf(m).label),
      ["positive", "negative"],
    );
    assert.equal(sentimentOf(out[0]).source, "trained");
    assert.ok(sentimentOf(out[0]).score > 0 && sentimentOf(out[1]).score < 0);
  });

  describe("Training file", () => {
    const userDir = useUserDir("wa-sentiment");

    it("adds labelled examples from a CSV file to the form's, and skips labels it cannot use, saying which", async () => {
      writeFileSync(
        join(userDir(), "feedback.csv"),
        [
          "text,label",
          "adorei o atendimento,positive",
          "chegou rápido obrigado,positive",
          "veio quebrado de novo,negative",
          "ninguém responde,negative",
          "qual o horário amanhã,neutral",
          "entrega na rua 5,neutral",
          "meh,pos",
          "whatever,mixed",
        ].join("\n"),
      );
      await load({ mode: "trained", examples: "positive: love it\nnegative: hate it\nneutral: at 5", file: "feedback.csv" });
      const out = collect("out");
      getNode("s1").receive({ payload: "veio quebrado" });
      getNode("s1").receive({ payload: "adorei, obrigado" });
      await untilReal(() => out.length === 2, 10_000);
      assert.deepEqual(
        out.map((m) => sentimentOf(m).label),
        ["negative", "positive"],
      );
      const warned = getNode("s1")
        .warn.getCalls()
        .map((c) => String(c.args[0]));
      assert.ok(
        warned.some((w) => /2 examples were skipped: their label is not one of negative, neutral, positive \(pos ×1, mixed ×1\)/.test(w)),
        warned.join("\n"),
      );
    });

    it("puts itself out of action with the reason when the file is missing", async () => {
      await load({ mode: "trained", examples: "positive: love it\nnegative: hate it", file: "missing.csv" });
      const errors = getNode("s1")
        .error.getCalls()
        .map((c) => String(c.args[0]));
      assert.ok(
        errors.some((e) => /Training file missing.csv/.test(e)),
        errors.join("\n"),
      );
    });
  });

  it("learns from the lexicon's reading too, so words no example had still count; not when that is off", async () => {
    const examples = [
      "positive: love it",
      "positive: thanks a lot",
      "positive: muito bom",
      "negative: hate it",
      "negative: arrived late and cold",
      "negative: péssimo",
      "neutral: pickup at 5",
      "neutral: what time do you open",
      "neutral: 2 loaves please",
    ].join("\n");
    const unseen = ["horrible, disgusting service 😡", "wonderful, brilliant, perfect!", "estoy furioso, qué desastre"];
    const labelsWith = async (props: Record<string, unknown>) => {
      await load({ mode: "trained", examples, ...props });
      const out = collect("out");
      for (const text of unseen) getNode("s1").receive({ payload: text });
      await untilReal(() => out.length === unseen.length, 10_000);
      await helper.unload();
      return out.map((m) => [sentimentOf(m).label, sentimentOf(m).score, sentimentOf(m).cues] as const);
    };
    const reading = await labelsWith({});
    assert.deepEqual(
      reading.map(([label]) => label),
      ["negative", "positive", "negative"],
    );
    assert.ok(
      reading[0][2].some((cue) => (cue as { token: string }).token === "horrible"),
      "the lexicon's cues come along",
    );
    const wordsOnly = await labelsWith({ lexiconReading: false });
    assert.notDeepEqual(
      wordsOnly.map(([label]) => label),
      ["negative", "positive", "negative"],
      "words alone cannot tell",
    );
    assert.deepEqual(wordsOnly[0][2], []);
    assert.ok(
      reading[0][1] < wordsOnly[0][1] && reading[1][1] > wordsOnly[1][1] && reading[2][1] < wordsOnly[2][1],
      JSON.stringify({ reading, wordsOnly }),
    );
  });
});
