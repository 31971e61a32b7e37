import { checkCarriedChatIds, messageIdText, writeEnvelopePart } from "../core/envelope";
import { TimerHandle } from "../core/clock";
import { WaError, invalidSetting } from "../core/errors";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { DEFAULT_STAGES, flowAnalyzerSchema } from "./schemas/wa-flow-analyzer";
import {
  ChatFlowState,
  DEFAULT_HUMAN_KEYWORDS,
  FlowEvent,
  FlowInput,
  FlowOptions,
  StageRule,
  advanceFlow,
  averageResponseMs,
  initialFlowState,
  parseStageRules,
} from "../core/nlu/conversation-flow";
import { Store } from "../core/store/store";
import { failMessage, onInput, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";
import { PerChatState } from "../core/store/per-chat-state";
import { releaseOnClose, startStoredNode } from "./kit/store-provider";

type FlowDef = NodeDef & FlowConfigOf<typeof flowAnalyzerSchema>;

export function flowSettingsFromConfig(config: FlowDef) {
  const read = readSettingsBySchema(flowAnalyzerSchema, config);
  const parsed = parseStageRules(read.stages.trim() !== "" ? read.stages : DEFAULT_STAGES);
  const problem = parsed.problems[0];
  if (problem?.kind === "shape")
    throw invalidSetting("stages", "stagesShape", `Stages, line ${problem.line}: ${problem.reason}`, { line: problem.line });
  if (problem?.kind === "part")
    throw invalidSetting("stages", "stagesPart", `Stages, line ${problem.line}: ${problem.reason}`, {
      line: problem.line,
      part: problem.part,
    });
  if (parsed.rules.length === 0) throw invalidSetting("stages", "stagesNone", 'Stages: at least one line `stage: intent, "phrase"`');
  const humanIntents = read.humanIntents
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const options: FlowOptions = {
    stages: parsed.rules as StageRule[],
    unansweredAfterMs: read.unansweredMinutes * 60_000,
    negativeStreak: read.negativeStreak,
    humanIntents,
    humanKeywords: DEFAULT_HUMAN_KEYWORDS,
    keepResponseTimes: 20,
  };
  return { name: read.flowName, options, ttlMs: read.ttlHours * 3_600_000 };
}

type Carried = NodeMessage & {
  wa?: {
    message?: { chatId?: unknown; id?: unknown; body?: unknown; fromMe?: unknown; timestamp?: unknown };
    sent?: { chatId?: unknown; sentAt?: unknown };
    nlu?: Record<string, unknown>;
  };
};

/** What a message tells the analyzer: a customer wrote, or the business answered (after wa out). */
function inputOf(msg: Carried, now: number): { chatId: string; input: FlowInput } | undefined {
  const wa = msg.wa;
  if (!wa || typeof wa !== "object") return undefined;
  if (wa.sent && typeof wa.sent.chatId === "string")
    return { chatId: wa.sent.chatId, input: { kind: "business", at: typeof wa.sent.sentAt === "number" ? wa.sent.sentAt : now } };
  const message = wa.message;
  if (!message || typeof message.chatId !== "string") return undefined;
  const at = typeof message.timestamp === "number" ? message.timestamp : now;
  if (message.fromMe === true) return { chatId: message.chatId, input: { kind: "business", at } };
  const label = (key: string) => {
    const value = (wa.nlu?.[key] as { label?: unknown } | undefined)?.label;
    return typeof value === "string" ? value : undefined;
  };
  return {
    chatId: message.chatId,
    input: {
      kind: "customer",
      id: messageIdText(message.id),
      text: typeof message.body === "string" ? message.body : "",
      at,
      intent: label("intent"),
      sentiment: label("sentiment"),
    },
  };
}

export default function register(RED: NodeAPI): void {
  function WaFlowAnalyzer(this: Node, config: FlowDef) {
    const started = startStoredNode(RED, this, config, () => flowSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, handle, text: nodeText } = started;
    const store: Store = handle.store;
    const keyOf = (chatId: string) => `flow:${settings.name}:${chatId}`;
    const counts = { messages: 0, escalations: 0, unanswered: 0 };
    // Chats with questions waiting, looked at on each tick (this runtime's; another instance watches its own).
    const watching = new Set<string>();
    const chats = new PerChatState<ChatFlowState>(store, keyOf, settings.ttlMs);

    /** Applies one input to a chat's state (one at a time per chat, compare-and-set across instances). */
    const apply = (chatId: string, input: FlowInput): Promise<{ state: ChatFlowState; events: FlowEvent[] }> =>
      chats
        .update(chatId, (previous) => advanceFlow(previous ?? initialFlowState(input.at), input, settings.options))
        .then((step) => {
          if (step.state.openQuestions.some((q) => !q.reported)) watching.add(chatId);
          else watching.delete(chatId);
          return step;
        });

    const report = (send: SendFunction, chatId: string, events: FlowEvent[]) => {
      for (const event of events) {
        if (event.type === "escalation") counts.escalations += 1;
        if (event.type === "unanswered") counts.unanswered += 1;
        if (event.type === "answered") continue;
        send([null, { topic: `wa-flow:${event.type}`, payload: { ...event, chatId, at: clock.now() } }]);
      }
    };
    const showStatus = () =>
      status.set(() => ({
        fill: counts.escalations > 0 || counts.unanswered > 0 ? "yellow" : "green",
        shape: "dot",
        text: nodeText(
          "flow.counts",
          `${counts.messages} messages · ${watching.size} waiting · ${counts.unanswered} unanswered · ${counts.escalations} escalations`,
          { messages: counts.messages, waiting: watching.size, unanswered: counts.unanswered, escalations: counts.escalations },
        ),
      }));

    const tick: TimerHandle = clock.setInterval(
      () => {
        for (const chatId of [...watching]) {
          apply(chatId, { kind: "tick", at: clock.now() })
            .then(({ events }) => {
              report((msgs) => node.send(msgs), chatId, events);
              showStatus();
            })
            .catch((error: unknown) => node.warn(String(error)));
        }
      },
      Math.min(30_000, settings.options.unansweredAfterMs),
    );
    showStatus();

    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      // A throw here fails just this message, through the input funnel.
      checkCarriedChatIds(msg);
      const read = inputOf(msg as Carried, clock.now());
      if (!read) {
        throw new WaError(
          "envelope.missing",
          "This message is not a WhatsApp envelope: msg.wa is missing. Connect this node after a wa-in node.",
          {},
        );
      }
      apply(read.chatId, read.input)
        .then(({ state, events }) => {
          counts.messages += 1;
          const flow = {
            stage: state.stage,
            stageSince: state.stageSince,
            openQuestions: state.openQuestions.length,
            ...(state.waitingSince !== undefined ? { waitingMs: Math.max(0, clock.now() - state.waitingSince) } : {}),
            ...(averageResponseMs(state) !== undefined ? { averageResponseMs: averageResponseMs(state) } : {}),
            escalated: state.escalated,
          };
          writeEnvelopePart(msg, "nlu", "flow", flow);
          traceMessage(msg, node, start, clock.now());
          // A reply ends here: wa out's output is wired back to this node, and passing the reply on
          // would send it round the flow again.
          if (read.input.kind === "customer") send([msg, null]);
          report(send, read.chatId, events);
          showStatus();
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    releaseOnClose(RED, { node, status, handle }, () => clock.clearInterval(tick));
  }

  RED.nodes.registerType("wa-flow-analyzer", WaFlowAnalyzer);
}
