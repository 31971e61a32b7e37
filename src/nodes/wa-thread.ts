import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { threadSchema } from "./schemas/wa-thread";
import { checkCarriedChatIds, messageIdText, writeEnvelopePart } from "../core/envelope";
import { TimerHandle } from "../core/clock";
import { WaError, invalidSetting } from "../core/errors";
import {
  ChatThreadState,
  ClosedThread,
  DEFAULT_NEW_TOPIC_CUES,
  DEFAULT_THREAD_OPTIONS,
  ThreadMessage,
  ThreadOptions,
  assignThreadInPlace,
  closeQuietThreads,
  entityKeysOf,
  initialThreadState,
} from "../core/nlu/threading";
import { foldAccents, normalizeText } from "../core/nlu/text";
import { PerChatState } from "../core/store/per-chat-state";
import { failMessage, onInput, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";
import { releaseOnClose, startStoredNode } from "./kit/store-provider";

type ThreadDef = NodeDef & FlowConfigOf<typeof threadSchema>;

const MAX_CUES = 200;

export function threadSettingsFromConfig(config: ThreadDef): { name: string; options: ThreadOptions; ttlMs: number } {
  const read = readSettingsBySchema(threadSchema, config);
  // A flow saved before "Share topics in groups of" existed said only yes or no.
  const legacyAllGroups = (config.smallGroupWriters === undefined || config.smallGroupWriters === "") && read.topicsInGroups;
  const extraCues = read.cues
    .split(/\r?\n/)
    .map((line) => foldAccents(normalizeText(line)))
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (extraCues.length > MAX_CUES)
    throw invalidSetting("cues", "tooManyCues", `New-topic phrases: at most ${MAX_CUES} lines`, { max: MAX_CUES });
  const tooLong = extraCues.find((cue) => cue.length > 80);
  if (tooLong)
    throw invalidSetting("cues", "cueTooLong", `New-topic phrases: "${tooLong.slice(0, 20)}…" is longer than 80 characters`, {
      cue: tooLong.slice(0, 20),
    });
  const closeAfterMs = read.closeAfterHours * 3_600_000;
  return {
    name: read.threadName,
    options: {
      ...DEFAULT_THREAD_OPTIONS,
      closeAfterMs,
      resumeAfterMs: read.resumeAfterMinutes * 60_000,
      participantReachMs: read.participantMinutes * 60_000,
      joinSimilarity: read.joinSimilarity,
      smallGroupWriters: legacyAllGroups ? threadSchema.smallGroupWriters.max : read.smallGroupWriters,
      newTopicCues: [...DEFAULT_NEW_TOPIC_CUES, ...extraCues],
    },
    // Kept a while after the last thread closes, so a late quoted reply still finds its thread.
    ttlMs: Math.max(2 * closeAfterMs, 86_400_000),
  };
}

type Carried = NodeMessage & {
  wa?: {
    message?: {
      id?: unknown;
      chatId?: unknown;
      from?: unknown;
      author?: unknown;
      senderName?: unknown;
      body?: unknown;
      timestamp?: unknown;
      isGroup?: unknown;
      fromMe?: unknown;
      quotedId?: unknown;
    };
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
  function WaThread(this: Node, config: ThreadDef) {
    const started = startStoredNode(RED, this, config, () => threadSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, handle, text: nodeText } = started;
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
        send([
          null,
          {
            topic: "wa-thread:closed",
            payload: {
              chatId,
              threadId: `t${thread.number}`,
              messages: thread.messages,
              openedAt: thread.openedAt,
              lastAt: thread.lastAt,
              participants: thread.participants,
              at: clock.now(),
            },
          },
        ]);
      }
    };
    const showStatus = () =>
      status.ok(() =>
        nodeText("thread.counts", `${counts.messages} messages · ${counts.opened} threads opened · ${counts.closed} closed`, counts),
      );

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

    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      // A throw here fails just this message, through the input funnel.
      checkCarriedChatIds(msg);
      const read = threadMessageOf(msg as Carried, clock.now());
      if (read === "pass") {
        send([msg, null]);
        done();
        return;
      }
      if (!read) {
        throw new WaError(
          "envelope.missing",
          "This message is not a WhatsApp envelope: msg.wa is missing. Connect this node after a wa-in node.",
          {},
        );
      }
      chats
        // The state was just read from the store: this step owns it.
        .update(read.chatId, (previous) => assignThreadInPlace(previous ?? initialThreadState(), read.message, settings.options))
        .then(({ state, decision, closed }) => {
          counts.messages += 1;
          track(read.chatId, state);
          report(send, read.chatId, closed);
          const threadId = `t${decision.number}`;
          writeEnvelopePart(msg, "nlu", "thread", {
            id: threadId,
            isNew: decision.isNew,
            reason: decision.reason,
            similarity: decision.similarity,
            messages: decision.messages,
            openedAt: decision.openedAt,
            participants: decision.participants.length,
          });
          traceMessage(msg, node, start, clock.now());
          send([msg, null]);
          if (decision.isNew) {
            counts.opened += 1;
            send([
              null,
              {
                topic: "wa-thread:opened",
                payload: { chatId: read.chatId, threadId, reason: decision.reason, messageId: read.message.id, at: read.message.at },
              },
            ]);
          }
          showStatus();
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    releaseOnClose(RED, { node, status, handle }, () => clock.clearInterval(tick));
  }

  RED.nodes.registerType("wa-thread", WaThread);
}
