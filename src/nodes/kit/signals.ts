import type { HealthScore } from "../../core/session/health-score";
import { SharedRegistry } from "./shared";
import type { ChatQueueRuntime } from "./chat-queues";

// What nodes of one runtime tell each other without a wire: a health score for the degrade node that
// names its score node, a queue's depth for the score and degrade nodes that name the queue.

const healthScores = new Map<string, HealthScore & { at: number }>();

export const healthScoreSignal = {
  publish(nodeId: string, score: HealthScore & { at: number }): void {
    healthScores.set(nodeId, score);
  },
  forget(nodeId: string): void {
    healthScores.delete(nodeId);
  },
};

/** The last score a wa-health-score node computed, by its id (undefined before its first or after it stopped). */
export function lastHealthScore(nodeId: string): (HealthScore & { at: number }) | undefined {
  return healthScores.get(nodeId);
}

/** The chat queues of this runtime, by `<store id>|<queue name>`, shared by the enqueue and ack nodes of a queue. */
export const chatQueueRegistry = new SharedRegistry<ChatQueueRuntime>();

/** Messages waiting or in flight in this runtime's queues of that name (for the health score and degrade nodes). */
export function queueDepth(queueName: string): number | undefined {
  const matching = chatQueueRegistry.all().filter(([key]) => key.endsWith(`|${queueName}`));
  if (matching.length === 0) return undefined;
  return matching.reduce((sum, [, runtime]) => sum + runtime.counts().waiting + runtime.counts().inFlight, 0);
}
