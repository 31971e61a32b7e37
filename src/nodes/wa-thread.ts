import { checkCarriedChatIds, messageIdText } from "../core/envelope";
import { TimerHandle } from "../core/clock";
import { WaError } from "../core/errors";
import { ChatThreadState, ClosedThread, DEFAULT_NEW_TOPIC_CUES, DEFAULT_THREAD_OPTIONS, ThreadMessage, ThreadOptions, assignThread, closeQuietThreads, entityKeysOf, initialThreadState } from "../core/nlu/threading";
import { foldAccents, normalizeText } from "../core/nlu/text";
import { PerChatState } from "../core/store/per-chat-state";
import { StatusReporter, failMessage, nodeTexts, readSettings, traceMessage } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, booleanSetting, numberSetting, stringSetting } from "./kit/red";
import { storeOrDisable } from "./kit/store-provider";
import { runtimeWorld } from "./kit/world";


interface ThreadDef extends NodeDef {
  store: string;
  threadName: string;
  closeAfterHours: string | number;
  resumeAfterMinutes: string | number;
  participantMinutes: string | number;
  joinSimilarity: string | number;
  smallGroupWriters?: string | number;
  /** Before smallGroupWriters: ticked meant topics shared in every group. */
  topicsInGroups?: boolean | string;
  cues: string;
}

const MAX_CUES = 200;
const MAX_GROUP_WRITERS = 1000;

export function threadSettingsFromConfig(config: ThreadDef): { name: string; options: ThreadOptions; ttlMs: number } {
  const fail = (field: string, text: string) => new WaError("config.invalid", text, { field });
  const name = stringSetting(config.threadName, "threads");
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw fail("threadName", "Keep as: 1 to 64 letters, digits, '.', '_' or '-'");
  const closeAfterHours = numberSetting(config.closeAfterHours, 72);
  if (!(closeAfterHours > 0 && closeAfterHours <= 24 * 90)) throw fail("closeAfterHours", "Close a thread after: more than 0 and at most 2160 hours");
  const resumeAfterMinutes = numberSetting(config.resumeAfterMinutes, 30);
  if (!(resumeAfterMinutes > 0 && resumeAfterMinutes <= 10_080)) throw fail("resumeAfterMinutes", "A pause of: more than 0 and at most 10080 minutes");
  const participantMinutes = numberSetting(config.participantMinutes, 30);
  if (!(participantMinutes > 0 && participantMinutes <= 1440)) throw fail("participantMinutes", "A participant's own thread for: more than 0 and at most 1440 minutes");
  const joinSimilarity = numberSetting(config.joinSimilarity, DEFAULT_THREAD_OPTIONS.joinSimilarity);
  if (!(joinSimilarity > 0 && joinSimilarity <= 1)) throw fail("joinSimilarity", "Join a topic from: more than 0 and at most 1");
  const smallGroupWriters = numberSetting(config.smallGroupWriters, booleanSetting(config.topicsInGroups, false) ? MAX_GROUP_WRITERS : DEFAULT_THREAD_OPTIONS.smallGroupWriters);
  if (!(Number.isInteger(smallGroupWriters) && smallGroupWriters >= 0 && smallGroupWriters <= MAX_GROUP_WRITERS)) throw fail("smallGroupWriters", `Share topics in groups of up to: a whole number from 0 to ${MAX_GROUP_WRITERS} writers`);
  const extraCues = stringSetting(config.cues, "")
    .split(/\r?\n/)
    .map((line) => foldAccents(normalizeText(line)))
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (extraCues.length > MAX_CUES) throw fail("cues", `New-topic phrases: at most ${MAX_CUES} lines`);
  const tooLong = extraCues.find((cue) => cue.length > 80);
  if (tooLong) throw fail("cues", `New-topic phrases: "${tooLong.slice(0, 20)}…" is longer than 80 characters`);
  const closeAfterMs = closeAfterHours * 3_600_000;
  return {
    name,
    options: {
      ...DEFAULT_THREAD_OPTIONS,
      closeAfterMs,
      resumeAfterMs: resumeAfterMinutes * 60_000,
      participantReachMs: participantMinutes * 60_000,
      joinSimilarity,
      smallGroupWriters,
      newTopicCues: [...DEFAULT_NEW_TOPIC_CUES, ...extraCues],
    },
    // Kept a while after the last thread closes, so a late quoted reply still finds its thread.
    ttlMs: Math.max(2 * closeAfterMs, 86_400_000),
  };
}

type Carried = NodeMessage & {
  wa?: {
    message?: { id?: unknown; chatId?: unknown; from?: unknown; author?: unknown; senderName?: unknown; body?: unknown; timestamp?: unknown; isGroup?: unknown; fromMe?: unknown; quotedId?: unknown };
    sent?: unknown;
    nlu?: Record<string, unknown>;
  };
};

function threadMessageOf(msg: Carried, now: number): { chatId: string; message: ThreadMessage } | "pass" | undefined {
  const wa = msg.wa;
  if (!wa || typeof wa !== "object") return undefined;
  if (wa.sent) return "pass";
  const m = wa.message;
  if (!m || typeof m.chatId !== "string") return undefined;
  if (m.fromMe === true) return "pass";
  const isGroup = m.isGroup === true || m.chatId.endsWith("@g.us");
  const from = typeof m.author === "string" && isGroup ? m.author : typeof m.from === "string" ? m.from : m.chatId;
  const entities = wa.nlu?.entities;
  return {
    chatId: m.chatId,
    message: {
      id: messageIdText(m.id),
      from,
      ...(typeof m.senderName === "string" ? { name: m.senderName } : {}),
      text: typeof m.body === "string" ? m.body : "",
      at: typeof m.timestamp === "number" && Number.isFinite(m.timestamp) ? m.timestamp : now,
      isGroup,
      ...(typeof m.quotedId === "string" ? { quotedId: m.quotedId } : {}),
      entityKeys: Array.isArray(entities) ? entityKeysOf(entities as { type?: unknown; value?: unknown }[]) : [],
    },
  };
}

/** When the chat's next open thread falls quiet for good, or undefined when none is open. */
function nextCloseAt(state: ChatThreadState, options: ThreadOptions): number | undefined {
  const open = state.threads.filter((t) => !t.closed);
  return open.length === 0 ? undefined : Math.min(...open.map((t) => t.lastAt)) + options.closeAfterMs;
}

export default function register(RED: NodeAPI): void {
  const nodeText = nodeTexts(RED, "wa-thread");
  function WaThread(this: Node, config: ThreadDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const settings = readSettings(RED, node, status, () => threadSettingsFromConfig(config));
    if (!settings) return;
    const handle = storeOrDisable(RED, node, status, config.store);
    if (!handle) return;
    const chats = new PerChatState<ChatThreadState>(handle.store, (chatId) => `thread:${settings.name}:${chatId}`, settings.ttlMs);
    const counts = { messages: 0, opened: 0, closed: 0 };
    // Chats of this runtime with open threads, and when the first of them falls quiet.
    const closing = new Map<string, number>();

    const track = (chatId: string, state: ChatThreadState) => {
      const at = nextCloseAt(state, settings.options);
      if (at === undefined) closing.delete(chatId);
      else closing.set(chatId, at);
    };
    const report = (send: SendFunction, chatId: string, closed: ClosedThread[]) => {
      for (const thread of closed) {
        counts.closed += 1;
        send([null, { topic: "wa-thread:closed", payload: { chatId, threadId: `t${thread.number}`, messages: thread.messages, openedAt: thread.openedAt, lastAt: thread.lastAt, participants: thread.participants, at: clock.now() } }]);
      }
    };
    const showStatus = () =>
      status.set(() => ({
        fill: "green",
        shape: "dot",
        text: nodeText("thread.counts", `${counts.messages} messages · ${counts.opened} threads opened · ${counts.closed} closed`, counts),
      }));

    const tick: TimerHandle = clock.setInterval(
      () => {
        const now = clock.now();
        for (const [chatId, at] of [...closing]) {
          if (at > now) continue;
          chats
            .update(chatId, (previous) => closeQuietThreads(previous ?? initialThreadState(), now, settings.options))
            .then(({ state, closed }) => {
              track(chatId, state);
              report((msgs) => node.send(msgs), chatId, closed);
              showStatus();
            })
            .catch((error: unknown) => node.warn(String(error)));
        }
      },
      Math.min(60_000, settings.options.closeAfterMs),
    );
    showStatus();

    node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const start = clock.now();
      let read: ReturnType<typeof threadMessageOf>;
      try {
        checkCarriedChatIds(msg);
        read = threadMessageOf(msg as Carried, clock.now());
      } catch (error) {
        failMessage(RED, status, done, error);
        return;
      }
      if (read === "pass") {
        send([msg, null]);
        done();
        return;
      }
      if (!read) {
        failMessage(RED, status, done, new WaError("envelope.missing", "This message is not a WhatsApp envelope: msg.wa is missing. Connect this node after a wa-in node.", {}));
        return;
      }
      chats
        .update(read.chatId, (previous) => assignThread(previous ?? initialThreadState(), read.message, settings.options))
        .then(({ state, decision, closed }) => {
          counts.messages += 1;
          track(read.chatId, state);
          report(send, read.chatId, closed);
          const threadId = `t${decision.number}`;
          const wa = (msg as Carried).wa!;
          wa.nlu = { ...(wa.nlu ?? {}), thread: { id: threadId, isNew: decision.isNew, reason: decision.reason, similarity: decision.similarity, messages: decision.messages, openedAt: decision.openedAt, participants: decision.participants.length } };
          traceMessage(msg, node, start, clock.now());
          send([msg, null]);
          if (decision.isNew) {
            counts.opened += 1;
            send([null, { topic: "wa-thread:opened", payload: { chatId: read.chatId, threadId, reason: decision.reason, messageId: read.message.id, at: read.message.at } }]);
          }
          showStatus();
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      clock.clearInterval(tick);
      status.close();
      handle.release().then(done, done);
    });
  }

  RED.nodes.registerType("wa-thread", WaThread);
}
