import { TimerHandle } from "../core/clock";
import { HealthLevel } from "../core/session/client-health";
import { WaError, invalidSetting } from "../core/errors";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { healthScoreSchema } from "./schemas/wa-health-score";
import { DEFAULT_THRESHOLDS, HealthInputs, HealthScore, HealthWeights, scoreHealth } from "../core/session/health-score";
import { onClose, onInput, startNode, toNodeError } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";
import { healthScoreSignal, queueDepth } from "./kit/signals";

type ScoreDef = NodeDef & FlowConfigOf<typeof healthScoreSchema>;

export function healthScoreSettings(config: ScoreDef) {
  const read = readSettingsBySchema(healthScoreSchema, config);
  const weights: HealthWeights = {
    errorRate: read.wErrorRate,
    latency: read.wLatency,
    queueDepth: read.wQueueDepth,
    client: read.wClient,
    breaker: read.wBreaker,
  };
  if (Object.values(weights).every((w) => w === 0)) throw invalidSetting("wErrorRate", "noWeight", "At least one weight must be above 0");
  return { threshold: read.threshold, weights, queueName: read.queueName };
}

export default function register(RED: NodeAPI): void {
  function WaHealthScore(this: Node, config: ScoreDef) {
    const started = startNode(RED, this, config, () => healthScoreSettings(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const inputs: HealthInputs = {};
    let lastEmitted: HealthScore | undefined;

    const rescore = (send: (msg: NodeMessage) => void, force: boolean) => {
      if (settings.queueName) inputs.queueDepth = queueDepth(settings.queueName);
      const result = scoreHealth(inputs, settings.weights, DEFAULT_THRESHOLDS);
      healthScoreSignal.publish(node.id, { ...result, at: clock.now() });
      const fill = result.band === "good" ? "green" : result.band === "fair" ? "yellow" : "red";
      status.set({
        fill,
        shape: "dot",
        text: nodeText("health.score", `score ${result.score} (${result.band})`, { score: result.score, band: result.band }),
      });
      const moved = !lastEmitted || Math.abs(result.score - lastEmitted.score) >= settings.threshold || result.band !== lastEmitted.band;
      if (!force && !moved) return;
      lastEmitted = result;
      send({ topic: "wa-health-score", payload: { ...result, inputs: { ...inputs }, at: clock.now() } });
    };
    // The queue is read live; look again now and then even when no other input arrives.
    const timer: TimerHandle = clock.setInterval(() => rescore((msg) => node.send(msg), false), 10_000);
    // The first score goes out once the flow has started: sent while the nodes are still being made, the
    // nodes it is wired to would not exist yet and it would be lost (and a steady score is not sent again).
    const firstScore: TimerHandle = clock.setTimeout(() => rescore((msg) => node.send(msg), true), 0);

    onInput(RED, node, status, (msg, send, done) => {
      const payload = msg.payload as Record<string, unknown> | undefined;
      if (msg.topic === "wa-perf" && payload && typeof payload === "object") {
        if (typeof payload.errorRate === "number") inputs.errorRate = payload.errorRate;
        const endToEnd = payload.endToEnd as { p99?: unknown; count?: unknown } | undefined;
        if (endToEnd && typeof endToEnd.p99 === "number" && endToEnd.count !== 0) inputs.p99LatencyMs = endToEnd.p99;
      } else if (msg.topic === "wa-health" && payload && typeof payload.level === "string") {
        inputs.clientLevel = payload.level as HealthLevel;
      } else if (msg.topic === "wa-breaker" && payload && typeof payload.state === "string") {
        inputs.breakerState = payload.state as HealthInputs["breakerState"];
      } else {
        const reason = `expected msg.topic wa-perf (perf monitor), wa-health (client health) or wa-breaker, got ${(JSON.stringify(msg.topic) ?? "no topic").slice(0, 60)}`;
        done(toNodeError(RED, new WaError("input.unknown", `Unknown input: ${reason}`, { reason })));
        return;
      }
      rescore(send, msg.topic === undefined);
      done();
    });
    onClose(RED, node, () => {
      clock.clearTimeout(firstScore);
      clock.clearInterval(timer);
      healthScoreSignal.forget(node.id);
      status.close();
    });
  }

  RED.nodes.registerType("wa-health-score", WaHealthScore);
}
