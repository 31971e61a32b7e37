import { Clock } from "../../core/clock";
import { WaError } from "../../core/errors";
import { envelopeOf, restoredAfterRestart } from "../../core/envelope";
import { ChatQueueRuntime } from "./chat-queues";
import { pipelineControl, wasSkippedBy } from "./pipeline-control";
import { StatusReporter, failMessage, traceMessage, translate } from "./node-kit";
import { DoneFunction, Node, NodeAPI, NodeMessage, SendFunction } from "./red";

export interface AckedDelivery {
  deliveryId: string;
  chatId: string;
  queueName?: string;
  store?: string;
}

/** Time from the message's receipt (set by wa-in) to now, when the message says when it was received. */
function endToEndMs(msg: NodeMessage, clock: Clock): number | undefined {
  const receivedAt = envelopeOf(msg)?.message?.receivedAt;
  return typeof receivedAt === "number" && Number.isFinite(receivedAt) ? clock.now() - receivedAt : undefined;
}

/**
 * The acknowledging side of the queue and the parallelizer: reads the delivery the message
 * carries under `msg.wa.session[sessionKey]`, frees its slot, and passes the message on.
 */
export function handleAcks(
  RED: NodeAPI,
  node: Node,
  status: StatusReporter,
  clock: Clock,
  options: { sessionKey: "queue" | "parallel"; producer: string; findRuntime(delivery: AckedDelivery): ChatQueueRuntime | undefined },
): void {
  let acked = 0;
  const show = () =>
    status.set(() => ({ fill: "blue", shape: "dot", text: translate(RED, "ack.acked", `${acked} acked`, { count: acked }) }));
  status.set({ fill: "blue", shape: "dot", text: translate(RED, "ack.acked", "0 acked", { count: 0 }) }, true);
  node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
    const start = clock.now();
    const session = (msg as { wa?: { session?: Record<string, unknown> } }).wa?.session;
    const delivery = session?.[options.sessionKey] as Partial<AckedDelivery> | undefined;
    const missing = !delivery || typeof delivery.deliveryId !== "string" || typeof delivery.chatId !== "string";
    if (missing && wasSkippedBy(msg, options.sessionKey === "queue" ? "session" : "performance")) {
      // Its queue or parallelizer was switched off: there is no delivery to acknowledge.
      send(msg);
      done();
      return;
    }
    if (missing) {
      failMessage(
        RED,
        status,
        done,
        new WaError(
          "queue.unknownDelivery",
          `This message was not delivered by a ${options.producer} (msg.wa.session.${options.sessionKey} is missing)`,
          { deliveryId: "none" },
        ),
      );
      return;
    }
    const { deliveryId, chatId } = delivery as AckedDelivery;
    if (restoredAfterRestart(msg)) {
      // Its delivery is from before the restart; the queue delivers the message again, and that delivery is acked.
      node.debug(`Delivery ${deliveryId} of chat ${chatId} is from before the restart: not acked here`);
      send(msg);
      done();
      return;
    }
    const runtime = options.findRuntime(delivery as AckedDelivery);
    (runtime ? runtime.ack(chatId, deliveryId) : Promise.resolve(false))
      .then((wasInFlight) => {
        if (wasInFlight) {
          acked += 1;
          if (options.sessionKey === "queue") pipelineControl.completions.complete(endToEndMs(msg, clock));
        } else
          node.warn(
            translate(
              RED,
              "errors.queue.unknownDelivery",
              `Delivery ${deliveryId} is not in flight (already acked, timed out, or the queue restarted)`,
              { deliveryId },
            ),
          );
        traceMessage(msg, node, start, clock.now());
        send(msg);
        show();
        done();
      })
      .catch((error: unknown) => failMessage(RED, status, done, error));
  });
}
