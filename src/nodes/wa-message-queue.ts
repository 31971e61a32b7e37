import { WaError } from "../core/errors";
import { DispatchItem, KeyedDispatcher, KeyedDispatcherOptions, OverflowPolicy } from "../core/keyed-dispatcher";
import { StatusReporter, attachError, failMessage, readSettings, reportError, toNodeError, traceMessage, translate } from "./lib/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, numberSetting, stringSetting } from "./lib/red";
import { chatKeyOf, sessionOf } from "./lib/session-key";
import { SharedRegistry } from "./lib/shared";
import { runtimeWorld } from "./lib/world";

interface QueueDef extends NodeDef {
  mode: string;
  queueName: string;
  key: string;
  maxPerChat: string | number;
  maxTotal: string | number;
  overflow: string;
  ackTimeout: string | number;
}

export interface QueueSettings {
  mode: "enqueue" | "ack";
  keyProperty: string;
  dispatcher: KeyedDispatcherOptions;
}

export const QUEUE_LIMITS = { maxPerChat: 10_000, maxTotal: 1_000_000, maxAckTimeoutSeconds: 86_400 } as const;

export function queueSettingsFromConfig(config: QueueDef): QueueSettings {
  const mode = stringSetting(config.mode, "enqueue");
  const name = stringSetting(config.queueName, "default");
  const maxPerChat = numberSetting(config.maxPerChat, 100);
  const maxTotal = numberSetting(config.maxTotal, 10_000);
  const ackTimeout = numberSetting(config.ackTimeout, 60);
  const overflow = stringSetting(config.overflow, "reject");
  const fail = (field: string, text: string) => new WaError("config.invalid", text, { field });
  if (mode !== "enqueue" && mode !== "ack") throw fail("mode", `Unknown mode: ${mode}`);
  if (name.length > 64) throw fail("queueName", "Queue name must be at most 64 characters");
  if (!(Number.isInteger(maxPerChat) && maxPerChat >= 1 && maxPerChat <= QUEUE_LIMITS.maxPerChat)) throw fail("maxPerChat", `Per-chat limit must be a whole number from 1 to ${QUEUE_LIMITS.maxPerChat}`);
  if (!(Number.isInteger(maxTotal) && maxTotal >= 1 && maxTotal <= QUEUE_LIMITS.maxTotal)) throw fail("maxTotal", `Total limit must be a whole number from 1 to ${QUEUE_LIMITS.maxTotal}`);
  if (!(ackTimeout >= 0 && ackTimeout <= QUEUE_LIMITS.maxAckTimeoutSeconds)) throw fail("ackTimeout", `Ack timeout must be between 0 and ${QUEUE_LIMITS.maxAckTimeoutSeconds} s`);
  if (overflow !== "reject" && overflow !== "drop-oldest") throw fail("overflow", `Unknown overflow policy: ${overflow}`);
  return {
    mode,
    keyProperty: stringSetting(config.key, "wa.message.chatId"),
    dispatcher: {
      name,
      maxInFlightPerKey: 1,
      maxInFlightTotal: Number.POSITIVE_INFINITY,
      maxPerKey: maxPerChat,
      maxTotal,
      overflow: overflow as OverflowPolicy,
      ackTimeoutMs: ackTimeout * 1000,
    },
  };
}

/** A message held by the queue, with the callbacks of the node that accepted it. */
interface HeldMessage {
  msg: NodeMessage;
  accepted: number;
  delivered(item: DispatchItem<HeldMessage>): void;
  timedOut(item: DispatchItem<HeldMessage>): void;
  /** Settles a message that never got out (dropped, or the flow stopped). */
  abandon(error: WaError): void;
}

const queues = new SharedRegistry<KeyedDispatcher<HeldMessage>>();

function createDispatcher(options: KeyedDispatcherOptions): KeyedDispatcher<HeldMessage> {
  return new KeyedDispatcher<HeldMessage>(runtimeWorld().clock, options, {
    deliver: (item) => item.payload.delivered(item),
    ackTimedOut: (item) => item.payload.timedOut(item),
    dropped: (item, reason) => item.payload.abandon(reason),
  });
}

function closeDispatcher(dispatcher: KeyedDispatcher<HeldMessage>): void {
  for (const item of dispatcher.close()) {
    if (item.deliveredAt !== undefined) continue;
    item.payload.abandon(new WaError("queue.closed", `The queue stopped before this message of chat ${item.key} was processed`, { chatId: item.key }));
  }
}

export default function register(RED: NodeAPI): void {
  function WaMessageQueue(this: Node, config: QueueDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const settings = readSettings(RED, node, status, () => queueSettingsFromConfig(config));
    if (!settings) return;
    const queueName = settings.dispatcher.name;

    if (settings.mode === "ack") {
      let acked = 0;
      status.set({ fill: "blue", shape: "dot", text: translate(RED, "queue.acked", "0 acked", { count: 0 }) }, true);
      node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
        const start = clock.now();
        const delivery = (msg as { wa?: { session?: { queue?: { deliveryId?: unknown; queueName?: unknown } } } }).wa?.session?.queue;
        const targetQueue = typeof delivery?.queueName === "string" ? delivery.queueName : queueName;
        const dispatcher = queues.peek(targetQueue);
        if (!delivery || typeof delivery.deliveryId !== "string") {
          failMessage(RED, status, done, new WaError("queue.unknownDelivery", "This message was not delivered by a wa-message-queue (msg.wa.session.queue is missing)", { deliveryId: "none" }));
          return;
        }
        if (!dispatcher || !dispatcher.ack(delivery.deliveryId)) {
          node.warn(translate(RED, "errors.queue.unknownDelivery", `Delivery ${delivery.deliveryId} is not in flight (already acked, timed out, or the queue restarted)`, { deliveryId: delivery.deliveryId }));
        } else {
          acked += 1;
        }
        traceMessage(msg, node, start, clock.now());
        send(msg);
        status.set(() => ({ fill: "blue", shape: "dot", text: translate(RED, "queue.acked", `${acked} acked`, { count: acked }) }));
        done();
      });
      return;
    }

    const dispatcher = queues.acquire(queueName, node.id, () => createDispatcher(settings.dispatcher), closeDispatcher);
    const showCounts = (force = false) =>
      status.set(() => {
        const stats = dispatcher.stats();
        const refused = stats.rejected + stats.dropped;
        const nearFull = stats.waiting + stats.inFlight >= settings.dispatcher.maxTotal * 0.8;
        return {
          fill: nearFull || refused + stats.ackTimeouts > 0 ? "yellow" : "green",
          shape: stats.waiting > 0 ? "ring" : "dot",
          text: translate(RED, "queue.counts", `${stats.inFlight} in flight · ${stats.waiting} waiting · ${refused} refused`, {
            inFlight: stats.inFlight,
            waiting: stats.waiting,
            refused,
          }),
        };
      }, force);
    showCounts(true);

    node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const accepted = clock.now();
      let chatId: string;
      try {
        chatId = chatKeyOf(RED, msg, settings.keyProperty);
      } catch (error) {
        failMessage(RED, status, done, error);
        return;
      }
      const held: HeldMessage = {
        msg,
        accepted,
        delivered: (item) => {
          sessionOf(msg).queue = {
            queueName,
            deliveryId: item.deliveryId,
            chatId: item.key,
            enqueuedAt: item.enqueuedAt,
            deliveredAt: item.deliveredAt ?? clock.now(),
            deliveryCount: item.deliveryCount,
          };
          traceMessage(msg, node, accepted, clock.now());
          send([msg, null]);
          done();
          showCounts();
        },
        timedOut: (item) => {
          reportError(
            RED,
            node,
            status,
            msg,
            new WaError("queue.ackTimeout", `Chat ${item.key}: no ack within ${settings.dispatcher.ackTimeoutMs} ms; the next message of the chat was released`, {
              chatId: item.key,
              ackTimeoutMs: settings.dispatcher.ackTimeoutMs,
            }),
          );
        },
        abandon: (error) => failMessage(RED, status, done, error),
      };
      const outcome = dispatcher.enqueue(chatId, held);
      if (!outcome.accepted) {
        attachError(RED, node, msg, outcome.error);
        traceMessage(msg, node, accepted, clock.now());
        send([null, msg]);
        showCounts(true);
        done();
        return;
      }
      showCounts();
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      status.close();
      queues.release(queueName, node.id).then(done, (error: unknown) => {
        node.warn(toNodeError(RED, error).message);
        done();
      });
    });
  }

  RED.nodes.registerType("wa-message-queue", WaMessageQueue);
}
