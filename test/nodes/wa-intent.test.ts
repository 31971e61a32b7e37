import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import intentNode, { intentSettingsFromConfig } from "../../src/nodes/wa-intent";
import { IntentClassifier } from "../../src/core/nlu/intent-classifier";
import { truncate } from "../../src/nodes/kit/node-kit";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

const EXAMPLES = [
  "greeting: hi",
  "greeting: hello there",
  "greeting: hola",
  "refund: I want my money back",
  "refund: refund please",
  "refund: quiero un reembolso",
  "human: talk to a person",
  "human: can I speak to someone",
  "human: quero falar com um atendente",
].join("\n");

describe("wa-intent node", () => {
  useNodeHarness();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-intent-"));
    helper.settings({ userDir: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      intentNode,
      inTab([
        {
          id: "i1",
          type: "wa-intent",
          examples: EXAMPLES,
          file: "",
          threshold: 0.4,
          fallback: "unknown",
          topK: 2,
          property: "payload",
          wires: [["out"]],
          ...props,
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
  }
  type Intent = { label: string; confidence: number; fallback: boolean; alternatives: { label: string }[] };
  const intentOf = (m: Record<string, unknown>) => ((m.wa as { nlu?: { intent?: Intent } } | undefined)?.nlu?.intent ?? m.intent) as Intent;

  it("classifies messages arriving while it trains, into msg.wa.nlu.intent with alternatives and a fallback", async () => {
    await load();
    const out = collect("out");
    getNode("i1").receive(envelope("447700900001@c.us", "hello!"));
    getNode("i1").receive(envelope("447700900001@c.us", "money back please"));
    getNode("i1").receive(envelope("447700900001@c.us", ""));
    getNode("i1").receive({ payload: "I need to speak to a person" });
    await untilReal(() => out.length === 4, 10_000);
    assert.deepEqual(
      out.map((m) => intentOf(m).label),
      ["greeting", "refund", "unknown", "human"],
    );
    assert.equal(intentOf(out[0]).alternatives.length, 2);
    assert.equal(intentOf(out[2]).fallback, true);
  });

  it("built-in business intents: no examples, no training, 15 intents in six languages", async () => {
    await load({ model: "business", examples: "", threshold: 0 });
    const out = collect("out");
    const texts = [
      "where is my order? it was due yesterday",
      "quiero cancelar mi pedido",
      "obrigada, chegou certinho!",
      "I want my money back",
    ];
    for (const text of texts) getNode("i1").receive(envelope(`4477009000${texts.indexOf(text)}1@c.us`, text));
    await untilReal(() => out.length === texts.length, 5_000);
    assert.deepEqual(
      out.map((m) => intentOf(m).label),
      ["order_status", "cancel_order", "thanks", "refund_request"],
    );
    assert.ok(out.every((m) => intentOf(m).alternatives.length === 2));
    const statuses = getNode("i1")
      .status.getCalls()
      .map((call) => (call.args[0] as { text?: string }).text ?? "");
    assert.ok(
      statuses.some((text) => /^built-in: 15 business intents$/.test(text)),
      statuses.join(" | "),
    );
  });

  it("built-in business intents read the entity types found upstream and the chat's previous intent", async () => {
    await load({ model: "business", threshold: 0 });
    const out = collect("out");
    const withEntities = envelope("447700900011@c.us", "and this one?");
    ((withEntities.wa as Record<string, unknown>).nlu as unknown) = {
      entities: [{ type: "money", start: 0, end: 3, text: "R$5", value: {} }],
    };
    getNode("i1").receive(envelope("447700900010@c.us", "and this one?"));
    getNode("i1").receive(withEntities);
    await untilReal(() => out.length === 2, 5_000);
    assert.notDeepEqual(intentOf(out[0]).alternatives, intentOf(out[1]).alternatives, "an amount in the message changes the reading");
    // The same words after a cancellation in the same chat read differently than in a new chat.
    getNode("i1").receive(envelope("447700900012@c.us", "please cancel my order"));
    await untilReal(() => out.length === 3, 5_000);
    getNode("i1").receive(envelope("447700900012@c.us", "and this one?"));
    await untilReal(() => out.length === 4, 5_000);
    assert.equal(intentOf(out[2]).label, "cancel_order");
    assert.notDeepEqual(intentOf(out[3]).alternatives, intentOf(out[0]).alternatives, "the previous intent changes the reading");
  });

  it("adds examples from a CSV file and warns about lines it skipped", async () => {
    writeFileSync(
      join(dir, "more.csv"),
      'text,intent\n"where is my order, please",order_status\ncadê meu pedido,order_status\nbroken line\n',
    );
    await load({ file: "more.csv" });
    const out = collect("out");
    getNode("i1").receive({ payload: "where is my order" });
    await untilReal(() => out.length === 1, 10_000);
    assert.equal(intentOf(out[0]).label, "order_status");
    const warned = getNode("i1")
      .warn.getCalls()
      .map((c) => String(c.args[0]));
    assert.ok(
      warned.some((w) => /1 training lines were skipped \(line 4: more.csv: 1 fields where the header has 2\)/.test(w)),
      warned.join("\n"),
    );
  });

  it("puts itself out of action with the reason: one intent only, a missing file", async () => {
    await load({ examples: "greeting: hi\ngreeting: hello" });
    const errors = collect("errors");
    getNode("i1").receive({ payload: "hi" });
    await untilReal(() => errors.length === 1, 10_000);
    assert.match((errors[0].error as { message: string }).message, /at least two intents \(got only "greeting"\)/);
    await helper.unload();
    await load({ file: "nope.csv" });
    const texts = getNode("i1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /Training file nope.csv/.test(t)),
      texts.join(" | "),
    );
  });

  it("Fallback below and Alternatives: the fallback label below the threshold, with the best intents still listed", async () => {
    await load({ threshold: 0.99, topK: 1 });
    let out = collect("out");
    getNode("i1").receive({ payload: "hello there" });
    await untilReal(() => out.length === 1, 10_000);
    assert.deepEqual(
      [intentOf(out[0]).label, intentOf(out[0]).fallback, intentOf(out[0]).alternatives.map((a) => a.label)],
      ["unknown", true, ["greeting"]],
    );
    await helper.unload();
    await load({ threshold: 0, topK: 20 });
    out = collect("out");
    getNode("i1").receive({ payload: "zzzz qqqq" });
    await untilReal(() => out.length === 1, 10_000);
    assert.equal(intentOf(out[0]).fallback, false, "a threshold of 0 never falls back on a text");
    assert.deepEqual(
      intentOf(out[0])
        .alternatives.map((a) => a.label)
        .sort(),
      ["greeting", "human", "refund"],
      "no more alternatives than intents",
    );
  });

  it("Text from: reads the text from the property named in the form", async () => {
    await load({ property: "req.body.text" });
    const out = collect("out");
    getNode("i1").receive({ payload: "hello", req: { body: { text: "quiero un reembolso" } } });
    getNode("i1").receive({ payload: "hello" });
    await untilReal(() => out.length === 2, 10_000);
    assert.deepEqual(
      out.map((m) => intentOf(m).label),
      ["refund", "unknown"],
      "no text there: the fallback",
    );
  });

  it("Training file: JSON lines too, and only a regular file (never a device, a pipe or a folder)", async () => {
    writeFileSync(
      join(dir, "more.jsonl"),
      [
        '{"text": "where is my parcel", "intent": "order_status"}',
        '{"text": "my order has not arrived", "intent": "order_status"}',
        "not json",
      ].join("\n"),
    );
    await load({ file: "more.jsonl" });
    const out = collect("out");
    getNode("i1").receive({ payload: "where is my parcel?" });
    await untilReal(() => out.length === 1, 10_000);
    assert.equal(intentOf(out[0]).label, "order_status");
    assert.ok(
      getNode("i1")
        .warn.getCalls()
        .some((c) => /1 training lines were skipped \(line 3/.test(String(c.args[0]))),
    );
    await helper.unload();
    for (const file of ["/dev/zero", "."]) {
      await load({ file });
      const texts = getNode("i1")
        .status.getCalls()
        .map((call) => String((call.args[0] as { text?: string }).text));
      assert.deepEqual(texts, [truncate(`Training file ${file}: not a regular file`, 60)]);
      await helper.unload();
    }
  });

  it("a redeploy with the same examples reuses the trained model instead of training again", async () => {
    const examples = `${EXAMPLES}\nrefund: devolución del dinero ${Date.now()}`;
    const train = IntentClassifier.trainAsync;
    let trainings = 0;
    IntentClassifier.trainAsync = (...args: Parameters<typeof train>) => {
      trainings += 1;
      return train(...args);
    };
    try {
      for (const round of [1, 2]) {
        await load({ examples });
        const out = collect("out");
        getNode("i1").receive({ payload: "hi" });
        await untilReal(() => out.length === 1, 10_000);
        assert.equal(intentOf(out[0]).label, "greeting");
        assert.equal(trainings, 1, `round ${round}`);
        await helper.unload();
      }
      await load({ examples: `${examples}\ngreeting: hey` });
      await untilReal(() => trainings === 2, 10_000);
    } finally {
      IntentClassifier.trainAsync = train;
    }
  });

  it("refuses settings it cannot use, naming the field", () => {
    const base = { examples: EXAMPLES, file: "", threshold: 0.5, fallback: "fallback", topK: 3, property: "payload" };
    const cases: [Record<string, unknown>, string][] = [
      [{ threshold: 1.5 }, "threshold"],
      [{ threshold: -0.1 }, "threshold"],
      [{ topK: 0 }, "topK"],
      [{ topK: 2.5 }, "topK"],
      [{ fallback: "two words" }, "fallback"],
      [{ property: "payload..text" }, "property"],
    ];
    for (const [change, field] of cases) {
      assert.throws(
        () => intentSettingsFromConfig({ ...base, ...change } as never),
        (error: { code: string; params: { field?: string } }) => error.code === "config.invalid" && error.params.field === field,
        JSON.stringify(change),
      );
    }
  });

  it("a tapped button or list row whose id names an intent is that intent, whatever its title says", async () => {
    await load({ model: "business", examples: "", threshold: 0.99 });
    const out = collect("out");
    const tapped = envelope("447700900123@c.us", "Sim, por favor");
    (tapped.wa as { message: Record<string, unknown> }).message.reply = { kind: "button", id: "Cancel_Order", title: "Sim, por favor" };
    const other = envelope("447700900124@c.us", "Tuesday");
    (other.wa as { message: Record<string, unknown> }).message.reply = { kind: "button", id: "tue", title: "Tuesday" };
    getNode("i1").receive(tapped);
    getNode("i1").receive(other);
    await untilReal(() => out.length === 2, 5_000);
    const first = intentOf(out[0]) as Intent & { source?: string };
    assert.deepEqual([first.label, first.confidence, first.fallback, first.source], ["cancel_order", 1, false, "reply"]);
    // An id that is no intent: the text is read as usual (here below the threshold, so the fallback).
    const second = intentOf(out[1]) as Intent & { source?: string };
    assert.equal(second.source, undefined);
    assert.equal(second.fallback, true);
  });
});
