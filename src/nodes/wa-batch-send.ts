import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { contentSummary, readOutgoingContent } from "../core/transport/outgoing-content";
import { sendContentThrough } from "../core/transport/transport";
import { batchSendSchema } from "./schemas/wa-batch-send";
import { SentReceipt, deliveryOf, writeEnvelopePart } from "../core/envelope";
import { WaError } from "../core/errors";
import { DEFAULT_PACER_OPTIONS, OutgoingItem, PacerOptions, SendPacer, validatePacerOptions } from "../core/perf/send-pacer";
import { Store } from "../core/store/store";
import { MemoryStore } from "../core/store/memory-store";
import { DEFAULT_SLOW_DOWN, WarmupGuard, WarmupOptions, WarmupSnapshot, parseWarmupSchedule } from "../core/perf/warmup";
import { Clock } from "../core/clock";
import { connectionRef, findClient, sendingClient } from "./kit/client-ref";
import type { WaClientNode } from "./kit/contracts";
import type { WaTransport } from "../core/transport/transport";
import { reviveMessage, serialiseMessage } from "./kit/message-codec";
import {
  StatusReporter,
  disableNode,
  failMessage,
  nodeTexts,
  onClose,
  joinPipeline,
  onInput,
  readMessageKey,
  readSettings,
  reportError,
  reportGauges,
  toNodeError,
  traceMessage,
  translate,
} from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";
import { StoreHandle, acquireStore } from "./kit/store-provider";
import { runtimeWorld } from "./kit/world";

type BatchSendDef = NodeDef & FlowConfigOf<typeof batchSendSchema>;

export interface BatchSendSettings {
  chatProperty: string;
  /** "message": through the connection the message came in by; "node": always this node's. */
  via: string;
  quote: boolean;
  pacer: PacerOptions;
  /** Warm-up caps and first-contact limits (undefined: off). */
  warmup?: WarmupOptions;
  /** Slowing down on rate limits and undelivered messages. */
  slowDown: boolean;
}

export function batchSendSettingsFromConfig(config: BatchSendDef): BatchSendSettings {
  const read = readSettingsBySchema(batchSendSchema, config);
  return {
    chatProperty: read.chat,
    via: read.via,
    quote: read.quote,
    pacer: {
      ...DEFAULT_PACER_OPTIONS,
      perChatGapMs: [read.gapMin * 1000, read.gapMax * 1000],
      globalPerSecond: read.globalPerSecond,
      coalesceWindowMs: read.coalesceWindow * 1000,
      coalesceMaxChars: read.coalesceMaxChars,
      typingMsPerChar: read.typing ? read.typingMsPerChar : 0,
      maxAttempts: read.maxAttempts,
      maxQueuedPerChat: read.maxPerChat,
      maxQueuedTotal: read.maxTotal,
    },
    slowDown: read.slowDown,
    ...(read.warmup
      ? {
          warmup: {
            schedule: parseWarmupSchedule(read.warmupSchedule),
            ...(read.warmupSince ? { startedAt: Date.parse(`${read.warmupSince}T00:00:00Z`) } : {}),
            newChatsPerDay: read.newChatsPerDay,
            unansweredPerChat: read.unansweredPerChat,
            slowDown: DEFAULT_SLOW_DOWN,
          },
        }
      : {}),
  };
}

const HOLDING_TEXT = { dailyCap: "daily cap reached", hourlyCap: "hourly cap reached", newChatsCap: "new-chat cap reached" } as const;

/** Errors that mean WhatsApp wants the number to send less. */
const RATE_LIMIT_CODES = new Set(["cloud.rateLimited", "transport.rateLimited"]);

/** Warm-up counters of senders without a store: shared in this runtime by every sender on one connection. */
let runtimeCounters: { clock: Clock; store: MemoryStore } | undefined;
function countersInMemory(clock: Clock): Store {
  if (!runtimeCounters || runtimeCounters.clock !== clock) runtimeCounters = { clock, store: new MemoryStore(clock) };
  return runtimeCounters.store;
}

/** What each queued message carries: the message, and its done while this run holds it. */
interface Held {
  msg: NodeMessage;
  done?: DoneFunction;
  send?: SendFunction;
  acceptedAt: number;
}

/** A durable outbox in a wa-store: one key per item and a list for the order. */
class StoreOutbox {
  constructor(
    private readonly store: Store,
    private readonly prefix: string,
  ) {}

  async write(item: OutgoingItem<Held>): Promise<void> {
    const { contexts, ...rest } = item;
    const key = this.itemKey(item.id);
    const existed = (await this.store.get(key)) !== undefined;
    await this.store.set(key, JSON.stringify({ ...rest, messages: contexts.map((c) => serialiseMessage(c.msg)) }));
    if (!existed) await this.store.listPush(this.orderKey(), item.id);
  }

  async remove(item: OutgoingItem<Held>): Promise<void> {
    await this.store.listRemove(this.orderKey(), item.id, 1);
    await this.store.delete(this.itemKey(item.id));
  }

  async readAll(acceptedAt: number): Promise<OutgoingItem<Held>[]> {
    const ids = await this.store.listRange(this.orderKey(), 0, -1);
    const items: OutgoingItem<Held>[] = [];
    for (const id of ids) {
      const raw = await this.store.get(this.itemKey(id));
      if (raw === undefined) {
        await this.store.listRemove(this.orderKey(), id, 1);
        continue;
      }
      const { messages, ...rest } = JSON.parse(raw) as Omit<OutgoingItem<Held>, "contexts"> & { messages: string[] };
      const contexts = messages.map((body) => {
        const msg = reviveMessage(body);
        writeEnvelopePart(msg, "resilience", "restoredAfterRestart", true);
        return { msg, acceptedAt };
      });
      items.push({ ...rest, contexts });
    }
    return items;
  }

  private itemKey(id: string): string {
    return `${this.prefix}item:${id}`;
  }

  private orderKey(): string {
    return `${this.prefix}order`;
  }
}

/** How long the outbox remembers which delivery of a message it took replies for, against answering a redelivery again. */
const REPLIED_TTL_MS = 24 * 60 * 60 * 1000;

const repliedKey = (incomingId: string) => `batch-send:replied:${incomingId.slice(0, 200)}`;

/**
 * Whether replies to this delivery of `incomingId` are to be sent, recording that they were taken. A first
 * delivery always is (a flow may send it several replies); a redelivery (after a restart, or a dead-letter
 * replay) is not when replies were taken for an earlier delivery of it.
 */
async function takeReplyTo(store: Store, incomingId: string, msg: NodeMessage): Promise<boolean> {
  const { count, replay } = deliveryOf(msg);
  if (count > 1 || replay) {
    const earlier = await store.get(repliedKey(incomingId));
    if (earlier !== undefined && (replay || Number(earlier) < count)) return false;
  }
  await store.set(repliedKey(incomingId), String(count), { ttlMs: REPLIED_TTL_MS });
  return true;
}

/** A reply that could not be sent is forgotten, so a replay of its message sends it. */
async function forgetReplyTo(store: Store, incomingId: string): Promise<void> {
  await store.delete(repliedKey(incomingId));
}

export default function register(RED: NodeAPI): void {
  const nodeText = nodeTexts(RED, "wa-batch-send");
  function WaBatchSend(this: Node, config: BatchSendDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const settings = readSettings(RED, node, status, () => {
      const read = batchSendSettingsFromConfig(config);
      validatePacerOptions(read.pacer);
      return read;
    });
    if (!settings) return;
    joinPipeline(RED, node, status);
    const client = findClient(RED, config.client);
    const durable = typeof config.store === "string" && config.store !== "";
    let handle: StoreHandle | undefined;
    let outbox: StoreOutbox | undefined;
    if (durable) {
      try {
        handle = acquireStore(RED, node.id, config.store);
        outbox = new StoreOutbox(handle.store, `wa:outbox:${node.id}:`);
      } catch (error) {
        disableNode(RED, node, status, error);
        return;
      }
    }
    let lastFailure = "";
    const unsubscribe: (() => void)[] = [];
    // One guard per connection: the caps are a number's, and a flow may send through several numbers.
    const guards = new Map<string, WarmupGuard>();
    const guardFor = (connection: WaClientNode | undefined): WarmupGuard | undefined => {
      if (!settings.warmup && !settings.slowDown) return undefined;
      const key = connection?.id ?? String(config.client);
      let guard = guards.get(key);
      if (!guard) {
        guard = new WarmupGuard(settings.warmup ?? { schedule: [], newChatsPerDay: 0, unansweredPerChat: 0, slowDown: DEFAULT_SLOW_DOWN }, {
          clock,
          store: handle?.store ?? countersInMemory(clock),
          prefix: `wa:warmup:${key}:`,
        });
        guards.set(key, guard);
        listenForGuard(connection?.transport, guard);
      }
      return guard;
    };
    const listenForGuard = (transport: WaTransport | undefined, guard: WarmupGuard) => {
      if (!transport) return;
      if (settings.warmup) {
        unsubscribe.push(
          transport.onMessage((message) => {
            if (!message.fromMe) void guard.chatWrote(message.chatId).catch(() => undefined);
          }),
        );
      }
      if (settings.slowDown && transport.onMessageEvent) {
        unsubscribe.push(
          transport.onMessageEvent((event) => {
            if (event.kind === "ack") guard.delivery(event.messageId, event.status);
          }),
        );
      }
    };
    /** The connection an item goes through: the one its message came in by, or this node's. */
    const clientOf = (item: OutgoingItem<Held>): WaClientNode | undefined => {
      if (item.via === undefined) return client;
      const found = findClient(RED, item.via);
      if (!found) {
        throw new WaError(
          "transport.unknownConnection",
          `The message came in through connection "${item.via}", which is not deployed any more`,
          {
            connection: item.via,
          },
        );
      }
      return found;
    };
    const guard = guardFor(client);
    const guardOfItem = (item: OutgoingItem<Held>): WarmupGuard | undefined => {
      try {
        return guardFor(clientOf(item));
      } catch {
        return undefined;
      }
    };
    const warmupText = (snapshot: WarmupSnapshot): string => {
      const parts: string[] = [];
      if (settings.warmup && snapshot.perDay > 0)
        parts.push(
          nodeText("pacer.warmupDay", `day ${snapshot.day}: ${snapshot.sentToday}/${snapshot.perDay} today`, {
            day: snapshot.day,
            sent: snapshot.sentToday,
            cap: snapshot.perDay,
          }),
        );
      if (snapshot.holding) parts.push(nodeText(`pacer.holding.${snapshot.holding}`, HOLDING_TEXT[snapshot.holding]));
      if (snapshot.pace < 1)
        parts.push(nodeText("pacer.slowed", `slowed to ${Math.round(snapshot.pace * 100)}%`, { percent: Math.round(snapshot.pace * 100) }));
      return parts.map((part) => ` · ${part}`).join("");
    };

    const showStatus = (force = false) =>
      status.set(() => {
        const stats = pacer.stats();
        const text = nodeText(
          "pacer.counts",
          `${stats.queued} queued · ETA ${Math.ceil(stats.etaMs / 1000)} s · ${stats.sent} sent · ${stats.failed} failed`,
          {
            queued: stats.queued,
            eta: Math.ceil(stats.etaMs / 1000),
            sent: stats.sent,
            failed: stats.failed,
          },
        );
        const snapshot = guard?.snapshot();
        const full = snapshot ? `${text}${warmupText(snapshot)}` : text;
        if (lastFailure && stats.queued === 0) return { fill: "red", shape: "ring", text: `${full} · ${lastFailure}` };
        const held = snapshot !== undefined && (snapshot.holding !== undefined || snapshot.pace < 1);
        return { fill: stats.queued > 0 || held ? "yellow" : "green", shape: stats.queued > 0 ? "ring" : "dot", text: full };
      }, force);

    const pacer = new SendPacer<Held>(settings.pacer, {
      clock,
      random: Math.random,
      send: (item) => {
        const through = clientOf(item);
        const transport = through?.transport;
        if (!transport)
          throw new WaError("transport.notReady", through?.failure ?? "No WhatsApp connection is configured for this node", {
            state: "none",
            stateTerm: "state.none",
          });
        if (item.content) return sendContentThrough(transport, item.chatId, item.content, item.quotedId);
        return transport.sendText({ chatId: item.chatId, text: item.text, ...(item.quotedId ? { quotedId: item.quotedId } : {}) });
      },
      showTyping: async (chatId, durationMs, item) => {
        const replyTo = item.contexts[item.contexts.length - 1]?.msg as { wa?: { message?: { id?: unknown } } };
        const replyToId = typeof replyTo?.wa?.message?.id === "string" ? replyTo.wa.message.id : undefined;
        await clientOf(item)?.transport?.showTyping?.(chatId, durationMs, replyToId);
      },
      sent: (item, receipt: SentReceipt) => {
        lastFailure = "";
        const through = clientOf(item);
        guardFor(through)?.sent(receipt.id);
        for (const context of item.contexts) {
          const msg = context.msg as NodeMessage & { wa?: Record<string, unknown> };
          if (typeof msg.wa !== "object" || msg.wa === null) msg.wa = { trace: [] };
          msg.wa.sent = {
            ...receipt,
            ...(through ? { connection: connectionRef(through) } : {}),
            ...(item.contexts.length > 1 ? { coalesced: item.contexts.length } : {}),
          };
          traceMessage(msg, node, context.acceptedAt, clock.now());
          (context.send ?? ((m: NodeMessage) => node.send(m)))(msg);
          context.done?.();
        }
        showStatus();
      },
      failed: (item, error) => {
        if (settings.slowDown && RATE_LIMIT_CODES.has(error.code)) guardOfItem(item)?.rateLimited();
        lastFailure = toNodeError(RED, error).message;
        for (const context of item.contexts) {
          const incoming = (context.msg as { wa?: { message?: { id?: unknown } } }).wa?.message?.id;
          if (handle && typeof incoming === "string") void forgetReplyTo(handle.store, incoming).catch(() => undefined);
          if (context.done) failMessage(RED, status, context.done, error);
          else reportError(RED, node, status, context.msg, error);
        }
        showStatus(true);
      },
      retrying: (item, error, delayMs) => {
        if (settings.slowDown && RATE_LIMIT_CODES.has(error.code)) guardOfItem(item)?.rateLimited();
        const reason = toNodeError(RED, error).message;
        node.warn(
          translate(
            RED,
            "errors.pacer.retrying",
            `Chat ${item.chatId}: sending failed (${reason}); attempt ${item.attempts + 1} in ${delayMs} ms`,
            { chatId: item.chatId, reason, attempt: item.attempts + 1, delayMs },
          ),
        );
        showStatus(true);
      },
      ...(guard && settings.warmup
        ? {
            admit: async (item: OutgoingItem<Held>) => {
              const itemGuard = guardOfItem(item);
              // A connection that is gone: the send itself says so.
              if (!itemGuard) return { go: true as const };
              const admission = await itemGuard.admit(item.chatId);
              showStatus();
              if (admission.go) return { go: true as const, notSent: () => itemGuard.notSent(admission.ticket) };
              return "until" in admission ? { go: false as const, until: admission.until } : admission;
            },
          }
        : {}),
      // One pace for the sender: the slowest of its connections'.
      ...(guard && settings.slowDown ? { pace: () => Math.min(...[...guards.values()].map((each) => each.paceNow())) } : {}),
      ...(outbox
        ? { persist: (item: OutgoingItem<Held>) => outbox!.write(item), forget: (item: OutgoingItem<Held>) => outbox!.remove(item) }
        : {}),
    });

    if (guard) {
      reportGauges(node, () => {
        const snapshot = guard.snapshot();
        return {
          numbers: {
            sendPace: snapshot.pace,
            ...(settings.warmup
              ? {
                  warmupDay: snapshot.day,
                  sentToday: snapshot.sentToday,
                  dailyCap: snapshot.perDay,
                  sentThisHour: snapshot.sentThisHour,
                  hourlyCap: snapshot.perHour,
                  newChatsToday: snapshot.newChatsToday,
                }
              : {}),
          },
          ...(snapshot.holding || snapshot.slowedBy
            ? {
                states: {
                  ...(snapshot.holding ? { holding: snapshot.holding } : {}),
                  ...(snapshot.slowedBy ? { slowedBy: snapshot.slowedBy } : {}),
                },
              }
            : {}),
        };
      });
    }

    // After a restart, what the outbox kept is sent first, from this node's output.
    const restored = outbox
      ? outbox.readAll(clock.now()).then(
          (items) => {
            pacer.restore(items);
            showStatus(true);
          },
          (error: unknown) => node.warn(toNodeError(RED, error).message),
        )
      : Promise.resolve();
    showStatus(true);

    onInput(RED, node, status, (msg, send, done) => {
      const acceptedAt = clock.now();
      const chatId = String(readMessageKey(RED, msg, settings.chatProperty));
      const content = readOutgoingContent(msg as unknown as Record<string, unknown>);
      const payload = msg.payload;
      const text = content
        ? contentSummary(content)
        : typeof payload === "number" || typeof payload === "boolean"
          ? String(payload)
          : payload;
      if (typeof text !== "string" || text.trim() === "") {
        throw new WaError(
          typeof text === "string" ? "transport.emptyText" : "transport.notText",
          "The text to send (msg.payload) must be a non-empty string",
        );
      }
      const incomingId = (msg as { wa?: { message?: { id?: unknown } } }).wa?.message?.id;
      const quotedId = settings.quote && typeof incomingId === "string" ? incomingId : undefined;
      const through = sendingClient(RED, client, msg, settings.via);
      const via = through && through !== client ? through.id : undefined;
      // With an outbox the message is accepted once stored (done now); without one, once sent.
      const held: Held = durable ? { msg, send, acceptedAt } : { msg, send, done, acceptedAt };
      const accept = async () => {
        await restored;
        // A reply to a chat's own message: the chat wrote to the number, so it is no first contact.
        const incoming = (msg as { wa?: { message?: { chatId?: unknown; fromMe?: unknown } } }).wa?.message;
        if (settings.warmup && incoming?.chatId === chatId && incoming.fromMe !== true) await guardFor(through)?.chatWrote(chatId);
        if (handle && typeof incomingId === "string" && !(await takeReplyTo(handle.store, incomingId, msg))) {
          // A redelivery (after a restart) of a message whose reply the outbox already took: not sent twice.
          writeEnvelopePart(msg, "resilience", "replyAlreadyAccepted", true);
          send(msg);
          done();
          return;
        }
        const outcome = await pacer.enqueue(chatId, text, held, quotedId, via, content);
        if (!outcome.accepted) {
          if (handle && typeof incomingId === "string") await forgetReplyTo(handle.store, incomingId);
          failMessage(RED, status, done, outcome.error);
          return;
        }
        if (durable) done();
        showStatus();
      };
      accept().catch((error: unknown) => failMessage(RED, status, done, error));
    });

    onClose(RED, node, () => {
      unsubscribe.forEach((off) => off());
      const left = pacer.close();
      status.close();
      if (!durable) {
        for (const item of left) {
          for (const context of item.contexts) {
            const error = new WaError("pacer.closed", `The flow stopped before this message to chat ${item.chatId} was sent`, {});
            if (context.done) context.done(toNodeError(RED, error));
          }
        }
      }
      return handle?.release();
    });
  }

  RED.nodes.registerType("wa-batch-send", WaBatchSend);
}
