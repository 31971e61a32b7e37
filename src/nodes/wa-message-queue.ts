import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { messageQueueSchema } from "./schemas/wa-message-queue";
import { hostname } from "node:os";
import { invalidSetting } from "../core/errors";
import { KeyedDispatcherOptions, OverflowPolicy } from "../core/session/keyed-dispatcher";
import { handleAcks } from "./kit/ack-handler";
import { BlockingChatQueue, ChatQueueRuntime, MemoryChatQueue, QueueCallbacks, StoredChatQueue } from "./kit/chat-queues";
import {
  attachError,
  disableNode,
  failMessage,
  onClose,
  onInput,
  reportError,
  toNodeError,
  traceMessage,
  userDirOf,
  reportGauges,
} from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, SendFunction } from "./kit/red";
import { chatKeyOf, sessionOf } from "./kit/session-key";
import { chatQueueRegistry } from "./kit/signals";
import { releaseOnClose, startStoredNode, StoreHandle } from "./kit/store-provider";

type QueueDef = NodeDef & FlowConfigOf<typeof messageQueueSchema>;

export interface QueueSettings {
  mode: "enqueue" | "ack";
  keyProperty: string;
  maxDeliveries: number;
  dispatcher: KeyedDispatcherOptions;
  /** With the "block" policy: how long a message may wait for room. */
  blockWaitMs?: number;
}

export function queueSettingsFromConfig(config: QueueDef): QueueSettings {
  const {
    mode,
    queueName: name,
    maxPerChat,
    maxTotal,
    ackTimeout,
    maxDeliveries,
    overflow,
    blockWait,
    key,
  } = readSettingsBySchema(messageQueueSchema, config);
  return {
    mode,
    keyProperty: key,
    maxDeliveries,
    dispatcher: {
      name,
      maxInFlightPerKey: 1,
      maxInFlightTotal: Number.POSITIVE_INFINITY,
      maxPerKey: maxPerChat,
      maxTotal,
      // "block" is a waiting room in front of a queue that refuses when full.
      overflow: (overflow === "block" ? "reject" : overflow) as OverflowPolicy,
      ackTimeoutMs: ackTimeout * 1000,
    },
    ...(overflow === "block" ? { blockWaitMs: blockWait * 1000 } : {}),
  };
}

function openRuntime(RED: NodeAPI, node: Node, settings: QueueSettings, handle: StoreHandle): ChatQueueRuntime {
  const queue = openQueue(RED, node, settings, handle);
  if (settings.blockWaitMs === undefined) return queue;
  return new BlockingChatQueue(queue, { maxWaitMs: settings.blockWaitMs, maxBlocked: settings.dispatcher.maxTotal, retryEveryMs: 1000 });
}

function openQueue(RED: NodeAPI, node: Node, settings: QueueSettings, handle: StoreHandle): ChatQueueRuntime {
  if (handle.id === "default-memory") return new MemoryChatQueue(settings.dispatcher);
  const userDir = userDirOf(RED);
  const { dispatcher } = settings;
  if (dispatcher.ackTimeoutMs <= 0) {
    throw invalidSetting(
      "ackTimeout",
      "storedQueueAck",
      "A queue kept in a store needs an ack timeout (it decides when a delivery is retried)",
    );
  }
  return new StoredChatQueue(handle.store, handle.id, {
    name: dispatcher.name,
    maxPerChat: dispatcher.maxPerKey,
    maxTotal: dispatcher.maxTotal,
    overflow: dispatcher.overflow,
    leaseMs: dispatcher.ackTimeoutMs,
    maxDeliveries: settings.maxDeliveries,
    pollMs: 1000,
    owner: `${hostname()}|${userDir}|${node.id}`,
  });
}

export default function register(RED: NodeAPI): void {
  function WaMessageQueue(this: Node, config: QueueDef) {
    const started = startStoredNode(RED, this, config, () => queueSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, handle, text: nodeText } = started;
    const queueName = settings.dispatcher.name;
    const registryKey = (storeId: string, name: string) => `${storeId}|${name}`;

    if (settings.mode === "ack") {
      handleAcks(RED, node, status, clock, {
        sessionKey: "queue",
        producer: "wa-message-queue",
        findRuntime: (delivery) => {
          const storeId = delivery.store === "memory" || typeof delivery.store !== "string" ? handle.id : delivery.store;
          return chatQueueRegistry.peek(registryKey(storeId, typeof delivery.queueName === "string" ? delivery.queueName : queueName));
        },
      });
      releaseOnClose(RED, { node, status, handle });
      return;
    }

    let runtime: ChatQueueRuntime;
    try {
      runtime = chatQueueRegistry.acquire(
        registryKey(handle.id, queueName),
        node.id,
        () => openRuntime(RED, node, settings, handle),
        (r) => r.close(),
      );
    } catch (error) {
      disableNode(RED, node, status, error);
      return;
    }
    const showCounts = (force = false) =>
      status.set(() => {
        const counts = runtime.counts();
        return {
          fill: counts.refused > 0 ? "yellow" : "green",
          shape: counts.waiting > 0 ? "ring" : "dot",
          text: nodeText("queue.counts", `${counts.inFlight} in flight · ${counts.waiting} waiting · ${counts.refused} refused`, {
            inFlight: counts.inFlight,
            waiting: counts.waiting,
            refused: counts.refused,
          }),
        };
      }, force);
    showCounts(true);
    reportGauges(node, () => {
      const counts = runtime.counts();
      return { numbers: { queueWaiting: counts.waiting, queueInFlight: counts.inFlight, queueRefused: counts.refused } };
    });

    // Messages still waiting in memory when the flow stops are gone: one line says how many, not one error each.
    let droppedOnStop = 0;
    const dropOnStop = (done: DoneFunction) => {
      done();
      droppedOnStop += 1;
      if (droppedOnStop > 1) return;
      setImmediate(() => {
        node.warn(
          nodeText(
            "queue.droppedOnStop",
            `${droppedOnStop} messages waiting in queue ${queueName} were dropped when the flow stopped: the memory store keeps nothing across a restart or redeploy (the embedded or Redis store keeps them)`,
            { count: droppedOnStop, queue: queueName },
          ),
        );
        droppedOnStop = 0;
      });
    };

    const deliverWith = (send: SendFunction, accepted: number): QueueCallbacks => ({
      deliver: (msg, delivery) => {
        sessionOf(msg).queue = delivery;
        traceMessage(msg, node, accepted, clock.now());
        send([msg, null]);
        showCounts();
      },
      report: (msg, error) => reportError(RED, node, status, msg, error),
      fail: (done, error) => (error.code === "queue.closed" ? dropOnStop(done) : failMessage(RED, status, done, error)),
      storeFailed: (error) => {
        const text = toNodeError(RED, error).message;
        node.warn(text);
        status.set({ fill: "red", shape: "ring", text }, true);
      },
    });
    // Messages recovered from the store after a restart leave through this node.
    runtime.attach(
      node.id,
      deliverWith((msg) => node.send(msg), clock.now()),
    );

    onInput(RED, node, status, (msg, send, done) => {
      const accepted = clock.now();
      const chatId = chatKeyOf(RED, msg, settings.keyProperty);
      runtime
        .enqueue(chatId, msg, deliverWith(send, accepted), done)
        .then((outcome) => {
          if (outcome.accepted) {
            showCounts();
            return;
          }
          attachError(RED, node, msg, outcome.error);
          traceMessage(msg, node, accepted, clock.now());
          send([null, msg]);
          showCounts(true);
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    onClose(RED, node, async () => {
      status.close();
      runtime.detach(node.id);
      await chatQueueRegistry.release(registryKey(handle.id, queueName), node.id);
      await handle.release();
    });
  }

  RED.nodes.registerType("wa-message-queue", WaMessageQueue);
}
