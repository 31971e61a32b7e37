import { writeEnvelopePart } from "../core/envelope";
import { WaError } from "../core/errors";
import { parseStage } from "../core/pipeline/stages";
import { STAGE_SWITCH_TOPIC, pipelineControl } from "./kit/pipeline-control";
import { TimerHandle } from "../core/clock";
import {
  DEFAULT_DEGRADATION,
  DegradationInputs,
  DegradationMode,
  DegradationPolicy,
  DegradationThresholds,
} from "../core/resilience/degradation";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { degradeSchema } from "./schemas/wa-degrade";
import { onClose, onInput, startNode, traceMessage, reportGauges } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";
import { lastHealthScore, queueDepth } from "./kit/signals";
import type { WaSheetsNode } from "./kit/contracts";

type DegradeDef = NodeDef & FlowConfigOf<typeof degradeSchema>;

export function degradeSettingsFromConfig(config: DegradeDef) {
  const read = readSettingsBySchema(degradeSchema, config);
  const thresholds: DegradationThresholds = {
    ...DEFAULT_DEGRADATION,
    reducedBelowScore: read.reducedBelowScore,
    minimalBelowScore: read.minimalBelowScore,
    reducedAboveDepth: read.reducedAboveDepth,
    minimalAboveDepth: read.minimalAboveDepth,
    openBreakerMode: read.openBreakerMode,
    // Margins scale with the thresholds so small settings still have a band.
    scoreMargin: Math.min(DEFAULT_DEGRADATION.scoreMargin, Math.max(1, Math.round((100 - read.reducedBelowScore) / 2))),
    depthMargin: Math.max(1, Math.round(read.reducedAboveDepth / 4)),
    recoverAfterMs: read.recoverSeconds * 1000,
  };
  return { routing: read.routing, healthNode: read.healthNode, queueName: read.queueName, sheets: read.sheets, thresholds };
}

const MODES: DegradationMode[] = ["full", "reduced", "minimal"];

export default function register(RED: NodeAPI): void {
  function WaDegrade(this: Node, config: DegradeDef) {
    const started = startNode(RED, this, config, () => degradeSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const policy = new DegradationPolicy(settings.thresholds);
    const heard: DegradationInputs = { breakers: {} };
    const outputs = settings.routing === "route" ? 4 : 2;
    const changeOutput = outputs - 1;

    const gather = (): DegradationInputs => {
      const inputs: DegradationInputs = { ...heard, breakers: { ...heard.breakers } };
      const score = settings.healthNode ? lastHealthScore(settings.healthNode) : undefined;
      if (score) inputs.healthScore = score.score;
      if (settings.queueName) inputs.queueDepth = queueDepth(settings.queueName);
      const sheets = settings.sheets ? (RED.nodes.getNode(settings.sheets) as WaSheetsNode | null) : null;
      if (sheets?.breaker) inputs.breakers!.sheets = sheets.breaker.state();
      return inputs;
    };
    const showStatus = () => {
      const mode = policy.mode;
      status.set(
        {
          fill: mode === "full" ? "green" : mode === "reduced" ? "yellow" : "red",
          shape: "dot",
          text: nodeText("degrade.mode", `mode ${mode}`, { mode }),
        },
        true,
      );
    };
    const evaluate = (send: (msgs: (NodeMessage | null)[]) => void) => {
      const inputs = gather();
      const decision = policy.decide(inputs, clock.now());
      if (!decision.changed) return;
      showStatus();
      const out: (NodeMessage | null)[] = new Array<NodeMessage | null>(outputs).fill(null);
      out[changeOutput] = {
        topic: "wa-degrade",
        payload: { mode: decision.mode, previous: decision.previous, reasons: decision.reasons, inputs, at: clock.now() },
      };
      send(out);
    };
    const timer: TimerHandle = clock.setInterval(() => evaluate((msgs) => node.send(msgs)), 5000);
    showStatus();

    reportGauges(node, () => ({ states: { mode: policy.mode } }));

    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      const payload = msg.payload as Record<string, unknown> | undefined;
      if (msg.topic === STAGE_SWITCH_TOPIC) {
        const enabled = payload?.enabled;
        const stage = parseStage(payload?.stage);
        if (typeof enabled !== "boolean") {
          throw new WaError("input.unknown", "A wa-stage message needs payload.enabled, true or false", {
            reason: "a wa-stage message needs payload.enabled, true or false",
          });
        }
        return pipelineControl.setStage(stage, enabled, `message to ${node.name || node.id}`).then(() => done());
      }
      // Readings update the inputs and go no further.
      if (msg.topic === "wa-health-score" && payload && typeof payload.score === "number") {
        heard.healthScore = payload.score;
        evaluate(send);
        done();
        return;
      }
      if (msg.topic === "wa-breaker" && payload && typeof payload.state === "string") {
        heard.breakers![typeof payload.name === "string" ? payload.name.slice(0, 64) : "breaker"] = payload.state as
          "closed" | "half-open" | "open";
        evaluate(send);
        done();
        return;
      }
      if (msg.topic === "wa-queue-depth" && typeof msg.payload === "number") {
        heard.queueDepth = msg.payload;
        evaluate(send);
        done();
        return;
      }
      evaluate(send);
      const mode = policy.mode;
      writeEnvelopePart(msg, "resilience", "mode", mode);
      traceMessage(msg, node, start, clock.now());
      const out: (NodeMessage | null)[] = new Array<NodeMessage | null>(outputs).fill(null);
      out[settings.routing === "route" ? MODES.indexOf(mode) : 0] = msg;
      send(out);
      done();
    });

    onClose(RED, node, () => {
      clock.clearInterval(timer);
      status.close();
    });
  }

  RED.nodes.registerType("wa-degrade", WaDegrade);
}
