import assert from "node:assert/strict";
import flowNode, { flowSettingsFromConfig } from "../../src/nodes/wa-flow-analyzer";
import storeNode from "../../src/nodes/wa-store";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness, useUserDir } from "./harness";

type Flow = { stage: string; openQuestions: number; waitingMs?: number; averageResponseMs?: number; escalated: boolean };
const flowOf = (m: Record<string, unknown>) => (m.wa as { nlu: { flow: Flow } }).nlu.flow;

describe("wa-flow-analyzer node", () => {
  const harness = useNodeHarness();
  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      flowNode,
      inTab([
        {
          id: "fa1",
          type: "wa-flow-analyzer",
          flowName: "shop",
          unansweredMinutes: 5,
          negativeStreak: 2,
          humanIntents: "human",
          ttlHours: 72,
          wires: [["out"], ["events"]],
          ...props,
        },
        helperNode("out"),
        helperNode("events"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
  }
  const CHAT = "447700900001@c.us";
  const customer = (text: string, intent?: string, sentiment?: string) => {
    const msg = envelope(CHAT, text) as { wa: { message: { timestamp: number }; nlu?: Record<string, unknown> } };
    msg.wa.message.timestamp = harness.clock().now();
    if (intent) msg.wa.nlu = { intent: { label: intent, confidence: 0.9 } };
    if (sentiment) msg.wa.nlu = { ...(msg.wa.nlu ?? {}), sentiment: { label: sentiment, score: -0.8 } };
    return msg as unknown as Record<string, unknown>;
  };
  const reply = () => ({
    payload: "ok",
    wa: { message: { chatId: CHAT }, sent: { id: "r1", chatId: CHAT, sentAt: harness.clock().now(), transport: "simulator" }, trace: [] },
  });

  it("tracks the stage and response time, and reports a question left unanswered", async () => {
    await load();
    const out = collect("out");
    const events = collect("events");
    getNode("fa1").receive(customer("hola!"));
    await until(() => out.length === 1);
    harness.clock().advance(60_000);
    getNode("fa1").receive(customer("¿tienen pan integral?", "product"));
    await until(() => out.length === 2);
    assert.deepEqual([flowOf(out[1]).stage, flowOf(out[1]).openQuestions, flowOf(out[1]).waitingMs], ["inquiry", 1, 60_000]);
    harness.clock().advance(120_000);
    getNode("fa1").receive(reply());
    getNode("fa1").receive(customer("do you deliver on sunday"));
    await until(() => out.length === 3);
    // The reply itself is not passed on (it would go round a flow that wires wa out back here).
    assert.deepEqual(
      out.map((m) => (m.wa as { sent?: unknown }).sent),
      [undefined, undefined, undefined],
    );
    assert.equal(flowOf(out[2]).averageResponseMs, 180_000);
    assert.equal(flowOf(out[2]).openQuestions, 1);
    await harness.clock().advanceAsync(5 * 60_000);
    await until(() => events.some((e) => e.topic === "wa-flow:unanswered"));
    const stageEvents = events.filter((e) => e.topic === "wa-flow:stage").map((e) => (e.payload as { to: string }).to);
    assert.deepEqual(stageEvents, ["greeting", "inquiry"]);
    const unanswered = events.find((e) => e.topic === "wa-flow:unanswered")!.payload as { chatId: string; question: { text: string } };
    assert.deepEqual([unanswered.chatId, unanswered.question.text], [CHAT, "do you deliver on sunday"]);
  });

  it("raises an escalation for a request for a human and sends non-envelopes to Catch", async () => {
    await load();
    const events = collect("events");
    const errors = collect("errors");
    getNode("fa1").receive(customer("quero falar com um atendente"));
    getNode("fa1").receive({ payload: "no envelope" });
    await until(() => events.length === 1 && errors.length === 1);
    assert.deepEqual([events[0].topic, (events[0].payload as { reason: string }).reason], ["wa-flow:escalation", "human-requested"]);
    assert.equal((errors[0].error as { code?: string }).code, "envelope.missing");
  });

  it("refuses stages it cannot read", async () => {
    await load({ stages: "greeting: greeting\nnot a stage line" });
    const texts = getNode("fa1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /Stages, line 2/.test(t)),
      texts.join(" | "),
    );
  });

  useUserDir("wa-flow");
  const escalations = (events: Record<string, unknown>[]) =>
    events.filter((e) => e.topic === "wa-flow:escalation").map((e) => (e.payload as { reason: string }).reason);

  it("Stages: the form's own stages, by intent or by a quoted phrase with case and accents ignored", async () => {
    await load({ stages: '# a comment line\nbooking: reserve, "mesa para"\npaid: payment' });
    const out = collect("out");
    getNode("fa1").receive(customer("hello"));
    getNode("fa1").receive(customer("Quería una MESA PARA dos"));
    getNode("fa1").receive(customer("transfer done", "payment"));
    await until(() => out.length === 3);
    assert.deepEqual(
      out.map((m) => flowOf(m).stage),
      ["new", "booking", "paid"],
    );
  });

  it("Negative messages in a row: escalates once, and again only after the business has answered", async () => {
    await load({ negativeStreak: 3 });
    const out = collect("out");
    const events = collect("events");
    for (const text of ["late again", "still nothing", "terrible", "awful"]) getNode("fa1").receive(customer(text, undefined, "negative"));
    await until(() => out.length === 4);
    assert.deepEqual(escalations(events), ["negative-streak"]);
    assert.equal(flowOf(out[3]).escalated, true);
    getNode("fa1").receive(reply());
    for (const text of ["no", "no", "no"]) getNode("fa1").receive(customer(text, undefined, "negative"));
    await until(() => out.length === 7);
    assert.deepEqual(escalations(events), ["negative-streak", "negative-streak"]);
  });

  it("Human intents: any intent listed there is a request for a human", async () => {
    await load({ humanIntents: "agent, complaint_manager" });
    const events = collect("events");
    const out = collect("out");
    getNode("fa1").receive(customer("I want this sorted", "complaint_manager"));
    await until(() => out.length === 1);
    assert.deepEqual(escalations(events), ["human-requested"]);
  });

  it("Unanswered after: a question is reported once, at that age and not before", async () => {
    await load({ unansweredMinutes: 2 });
    const events = collect("events");
    getNode("fa1").receive(customer("where is my order?"));
    await harness.clock().advanceAsync(90_000);
    await until(() => true);
    assert.equal(events.filter((e) => e.topic === "wa-flow:unanswered").length, 0);
    await harness.clock().advanceAsync(60_000);
    await until(() => events.some((e) => e.topic === "wa-flow:unanswered"));
    await harness.clock().advanceAsync(10 * 60_000);
    assert.equal(events.filter((e) => e.topic === "wa-flow:unanswered").length, 1);
  });

  it("Forget chats after: a chat quiet for longer starts again at new", async () => {
    await load({ ttlHours: 1 });
    const out = collect("out");
    getNode("fa1").receive(customer("hola"));
    await until(() => out.length === 1);
    harness.clock().advance(30 * 60_000);
    getNode("fa1").receive(customer("ok"));
    await until(() => out.length === 2);
    harness.clock().advance(61 * 60_000);
    getNode("fa1").receive(customer("ok"));
    await until(() => out.length === 3);
    assert.deepEqual(
      out.map((m) => flowOf(m).stage),
      ["greeting", "greeting", "new"],
    );
  });

  it("Name: two analyzers with other names keep their own state of the same chat", async () => {
    await helper.load(
      flowNode,
      inTab([
        {
          id: "fa1",
          type: "wa-flow-analyzer",
          flowName: "sales",
          stages: "sales: order",
          unansweredMinutes: 5,
          negativeStreak: 2,
          humanIntents: "human",
          ttlHours: 72,
          wires: [["out"], []],
        },
        {
          id: "fa2",
          type: "wa-flow-analyzer",
          flowName: "support",
          stages: "support: complaint",
          unansweredMinutes: 5,
          negativeStreak: 2,
          humanIntents: "human",
          ttlHours: 72,
          wires: [["out2"], []],
        },
        helperNode("out"),
        helperNode("out2"),
      ]),
    );
    const out = collect("out");
    const out2 = collect("out2");
    getNode("fa1").receive(customer("two boxes", "order"));
    await until(() => out.length === 1);
    getNode("fa2").receive(customer("two boxes", "order"));
    await until(() => out2.length === 1);
    assert.deepEqual([flowOf(out[0]).stage, flowOf(out2[0]).stage], ["sales", "new"]);
  });

  it("Store: on the embedded store a chat's stage and waiting questions survive a restart", async () => {
    const nodes = [{ id: "st1", type: "wa-store", backend: "sqlite", file: "flow.db" }];
    const flowWith = () =>
      inTab([
        {
          id: "fa1",
          type: "wa-flow-analyzer",
          store: "st1",
          flowName: "shop",
          unansweredMinutes: 5,
          negativeStreak: 2,
          humanIntents: "human",
          ttlHours: 72,
          wires: [["out"], ["events"]],
        },
        helperNode("out"),
        helperNode("events"),
        ...nodes,
      ]);
    await helper.load([flowNode, storeNode], flowWith());
    let out = collect("out");
    getNode("fa1").receive(customer("how much is the cake?", "price"));
    await untilReal(() => out.length === 1, 5000);
    await helper.unload();
    await helper.load([flowNode, storeNode], flowWith());
    out = collect("out");
    harness.clock().advance(60_000);
    getNode("fa1").receive(customer("and delivery?"));
    await untilReal(() => out.length === 1, 5000);
    assert.deepEqual([flowOf(out[0]).stage, flowOf(out[0]).openQuestions, flowOf(out[0]).waitingMs], ["inquiry", 2, 60_000]);
  });

  it("refuses settings it cannot use, naming the field", () => {
    const base = { flowName: "shop", stages: "", unansweredMinutes: 10, negativeStreak: 2, humanIntents: "human", ttlHours: 72 };
    const cases: [Record<string, unknown>, string][] = [
      [{ flowName: "a b" }, "flowName"],
      [{ stages: "# only a comment" }, "stages"],
      [{ unansweredMinutes: 0 }, "unansweredMinutes"],
      [{ unansweredMinutes: 10_081 }, "unansweredMinutes"],
      [{ negativeStreak: 1.5 }, "negativeStreak"],
      [{ negativeStreak: 101 }, "negativeStreak"],
      [{ ttlHours: 8761 }, "ttlHours"],
    ];
    for (const [change, field] of cases) {
      assert.throws(
        () => flowSettingsFromConfig({ ...base, ...change } as never),
        (error: { code: string; params: { field?: string } }) => error.code === "config.invalid" && error.params.field === field,
        JSON.stringify(change),
      );
    }
    assert.deepEqual(flowSettingsFromConfig({ ...base, humanIntents: " agent ,, human " } as never).options.humanIntents, [
      "agent",
      "human",
    ]);
  });
});
