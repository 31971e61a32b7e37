import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { parallelSchema } from "./schemas/wa-parallel";
import { KeyedDispatcherOptions } from "../core/session/keyed-dispatcher";
import { quantile } from "../core/perf/perf-monitor";
import { handleAcks } from "./kit/ack-handler";
import { ChatQueueRuntime, MemoryChatQueue, QueueCallbacks } from "./kit/chat-queues";
import { attachError, disableNode, failMessage, onClose, onInput, reportError, startNode, toNodeError, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef } from "./kit/red";
import { chatKeyOf, sessionOf } from "./kit/session-key";
import { SharedRegistry } from "./kit/shared";

type ParallelDef = NodeDef & FlowConfigOf<typeof parallelSchema>;

export function parallelSettingsFromConfig(config: ParallelDef): {
  mode: "limit" | "release";
  keyProperty: string;
  dispatcher: KeyedDispatcherOptions;
} {
  const { mode, poolName: name, maxInFlight, perChat, maxWaiting, ackTimeout, key } = readSettingsBySchema(parallelSchema, config);
  return {
    mode,
    keyProperty: key,
    dispatcher: {
      name,
      maxInFlightPerKey: perChat,
      maxInFlightTotal: maxInFlight,
      maxPerKey: maxWaiting + perChat,
      maxTotal: maxWaiting + maxInFlight,
      overflow: "reject",
      ackTimeoutMs: ackTimeout * 1000,
    },
  };
}

const pools = new SharedRegistry<ChatQueueRuntime>();

/** Recent waits, for the status line. */
class WaitWindow {
  private readonly waits: number[] = [];
  add(ms: number): void {
    this.waits.push(ms);
    if (this.waits.length > 256) this.waits.shift();
  }
  p50(): number {
    return quantile(
      [...this.waits].sort((a, b) => a - b),
      0.5,
    );
  }
}

export default function register(RED: NodeAPI): void {
  function WaParallel(this: Node, config: ParallelDef) {
    const started = startNode(RED, this, config, () => parallelSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const poolName = settings.dispatcher.name;

    if (settings.mode === "release") {
      handleAcks(RED, node, status, clock, {
        sessionKey: "parallel",
        producer: "wa-parallel",
        findRuntime: (delivery) => pools.peek(typeof delivery.queueName === "string" ? delivery.queueName : poolName),
      });
      return;
    }

    let pool: ChatQueueRuntime;
    try {
      pool = pools.acquire(
        poolName,
        node.id,
        () => new MemoryChatQueue(settings.dispatcher),
        (p) => p.close(),
      );
    } catch (error) {
      disableNode(RED, node, status, error);
      return;
    }
    const waits = new WaitWindow();
    const showCounts = (force = false) =>
      status.set(() => {
        const counts = pool.counts();
        const max = settings.dispatcher.maxInFlightTotal;
        return {
          fill: counts.refused > 0 ? "yellow" : counts.inFlight >= max ? "blue" : "green",
          shape: counts.waiting > 0 ? "ring" : "dot",
          text: nodeText(
            "parallel.counts",
            `${counts.inFlight}/${max} in flight · ${counts.waiting} waiting · wait p50 ${Math.round(waits.p50())} ms`,
            {
              inFlight: counts.inFlight,
              max,
              waiting: counts.waiting,
              wait: Math.round(waits.p50()),
            },
          ),
        };
      }, force);
    showCounts(true);

    onInput(RED, node, status, (msg, send, done) => {
      const accepted = clock.now();
      const chatId = chatKeyOf(RED, msg, settings.keyProperty);
      const callbacks: QueueCallbacks = {
        deliver: (delivered, delivery) => {
          sessionOf(delivered).parallel = delivery;
          waits.add(delivery.deliveredAt - delivery.enqueuedAt);
          // The span covers the wait for a slot, so the perf monitor shows it as this node's latency.
          traceMessage(delivered, node, accepted, clock.now());
          send([delivered, null]);
          showCounts();
        },
        report: (reported, error) => reportError(RED, node, status, reported, error),
        fail: (settle, error) => failMessage(RED, status, settle, error),
        storeFailed: (error) => node.warn(toNodeError(RED, error).message),
      };
      pool
        .enqueue(chatId, msg, callbacks, done)
        .then((outcome) => {
          if (outcome.accepted) return;
          attachError(RED, node, msg, outcome.error);
          send([null, msg]);
          showCounts(true);
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    onClose(RED, node, () => {
      status.close();
      return pools.release(poolName, node.id);
    });
  }

  RED.nodes.registerType("wa-parallel", WaParallel);
}
