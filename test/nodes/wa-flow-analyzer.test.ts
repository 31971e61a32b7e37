import assert from "node:assert/strict";
import flowNode from "../../src/nodes/wa-flow-analyzer";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

type Flow = { stage: string; openQuestions: number; waitingMs?: number; averageResponseMs?: number; escalated: boolean };
const flowOf = (m: Record<string, unknown>) => (m.wa as { nlu: { flow: Flow } }).nlu.flow;

describe("wa-flow-analyzer node", () => {
  const harness = useNodeHarness();
  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      flowNode,
      inTab([
        { id: "fa1", type: "wa-flow-analyzer", flowName: "shop", unansweredMinutes: 5, negativeStreak: 2, humanIntents: "human", ttlHours: 72, wires: [["out"], ["events"]], ...props },
        helperNode("out"),
        helperNode("events"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
  }
  const CHAT = "447700900001@c.us";
  const customer = (text: string, intent?: string) => {
    const msg = envelope(CHAT, text) as { wa: { message: { timestamp: number }; nlu?: unknown } };
    msg.wa.message.timestamp = harness.clock().now();
    if (intent) msg.wa.nlu = { intent: { label: intent, confidence: 0.9 } };
    return msg as unknown as Record<string, unknown>;
  };
  const reply = () => ({ payload: "ok", wa: { message: { chatId: CHAT }, sent: { id: "r1", chatId: CHAT, sentAt: harness.clock().now(), transport: "simulator" }, trace: [] } });

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
    assert.deepEqual(out.map((m) => (m.wa as { sent?: unknown }).sent), [undefined, undefined, undefined]);
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
    const texts = getNode("fa1").status.getCalls().map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(texts.some((t) => /Stages, line 2/.test(t)), texts.join(" | "));
  });
});
