import assert from "node:assert/strict";
import {
  DEFAULT_HUMAN_KEYWORDS,
  FlowInput,
  FlowOptions,
  advanceFlow,
  averageResponseMs,
  initialFlowState,
  isQuestion,
  parseStageRules,
} from "../../../src/core/nlu/conversation-flow";

const STAGES = parseStageRules(`
greeting: greeting, "hello", "oi", "hola"
inquiry: product, price, "how much", "quanto custa"
ordering: order, "quero pedir"
payment: payment, "pix", "upi"
closed: thanks, "obrigado", "gracias"
`).rules;
const OPTIONS: FlowOptions = {
  stages: STAGES,
  unansweredAfterMs: 10 * 60_000,
  negativeStreak: 2,
  humanIntents: ["human"],
  humanKeywords: DEFAULT_HUMAN_KEYWORDS,
  keepResponseTimes: 20,
};

function run(inputs: FlowInput[]) {
  let state = initialFlowState(0);
  const events = [];
  for (const input of inputs) {
    const step = advanceFlow(state, input, OPTIONS);
    state = step.state;
    events.push(...step.events);
  }
  return { state, events };
}
const customer = (at: number, text: string, extra: { intent?: string; sentiment?: string } = {}): FlowInput => ({
  kind: "customer",
  id: `m${at}`,
  text,
  at,
  ...extra,
});

describe("Conversation flow", () => {
  it("reads stages from the form and names what it cannot read", () => {
    const parsed = parseStageRules('greeting: greeting, "bom dia"\nno colon\nx: bad intent!');
    assert.deepEqual(parsed.rules[0], { stage: "greeting", intents: ["greeting"], keywords: ["bom dia"] });
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [2, 3],
    );
  });

  it("recognises questions with or without a question mark, in the pack's languages", () => {
    for (const q of [
      "Do you deliver today",
      "quanto custa o bolo",
      "¿Tienen pan?",
      "kab tak aayega order",
      "Wann habt ihr offen",
      "combien ça coûte",
    ])
      assert.equal(isQuestion(q), true, q);
    for (const s of ["Thanks!", "2 loaves please", "ok", "What"]) assert.equal(isQuestion(s), false, s);
  });

  it("moves through stages by intent or key phrase, and measures response times from the first unanswered message", () => {
    const { state, events } = run([
      customer(0, "Oi, boa tarde!"),
      customer(30_000, "quanto custa o bolo de cenoura?"),
      { kind: "business", at: 150_000 },
      customer(200_000, "ok, quero pedir dois", { intent: "order" }),
      customer(210_000, "pago no pix"),
      { kind: "business", at: 270_000 },
      customer(300_000, "obrigado!"),
    ]);
    assert.deepEqual(
      events.filter((e) => e.type === "stage").map((e) => (e as { to: string }).to),
      ["greeting", "inquiry", "ordering", "payment", "closed"],
    );
    assert.deepEqual(state.responseTimesMs, [150_000, 70_000]);
    assert.equal(averageResponseMs(state), 110_000);
    assert.equal(state.stage, "closed");
    assert.equal(state.openQuestions.length, 0, "the last message was not a question");
  });

  it("reports a question left unanswered once, after the configured time", () => {
    let { state } = run([customer(0, "do you still have sourdough today?")]);
    let step = advanceFlow(state, { kind: "tick", at: 9 * 60_000 }, OPTIONS);
    assert.deepEqual(step.events, []);
    step = advanceFlow(step.state, { kind: "tick", at: 10 * 60_000 }, OPTIONS);
    assert.equal(step.events.length, 1);
    assert.deepEqual([step.events[0].type, (step.events[0] as { waitingMs: number }).waitingMs], ["unanswered", 600_000]);
    state = step.state;
    assert.deepEqual(advanceFlow(state, { kind: "tick", at: 20 * 60_000 }, OPTIONS).events, [], "reported once");
  });

  it("escalates on a request for a human (intent or words) and on repeated negative messages, once until someone answers", () => {
    const asked = run([customer(0, "¿Alguien me puede responder?")]);
    assert.deepEqual(
      asked.events.map((e) => e.type),
      ["escalation"],
    );
    const byIntent = run([customer(0, "let me talk to your boss", { intent: "human" }), customer(1, "now!", { intent: "human" })]);
    assert.equal(byIntent.events.filter((e) => e.type === "escalation").length, 1);
    const angry = run([
      customer(0, "the blender came broken", { sentiment: "negative" }),
      customer(1, "this is ridiculous", { sentiment: "negative" }),
      customer(2, "still nothing", { sentiment: "negative" }),
      { kind: "business", at: 3 },
      customer(4, "no", { sentiment: "negative" }),
      customer(5, "terrible", { sentiment: "negative" }),
    ]);
    const escalations = angry.events.filter((e) => e.type === "escalation") as { reason: string }[];
    assert.deepEqual(
      escalations.map((e) => e.reason),
      ["negative-streak", "negative-streak"],
    );
  });
});
