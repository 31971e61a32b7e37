import { writeEnvelopePart } from "../core/envelope";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { intentSchema } from "./schemas/wa-intent";
import { IntentScore } from "../core/nlu/intent-classifier";
import { MAX_NLU_CHARS } from "../core/nlu/text";
import { trainedModelGate } from "./kit/trained-models";
import { onClose, onInput, readMessageKey, startNode, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef } from "./kit/red";

type IntentDef = NodeDef & FlowConfigOf<typeof intentSchema>;

export function intentSettingsFromConfig(config: IntentDef) {
  const { threshold, topK, fallback, property, examples, file } = readSettingsBySchema(intentSchema, config);
  return { threshold, topK, fallback, property, examples, file };
}

export interface IntentResult {
  label: string;
  confidence: number;
  fallback: boolean;
  alternatives: IntentScore[];
}

export default function register(RED: NodeAPI): void {
  function WaIntent(this: Node, config: IntentDef) {
    const started = startNode(RED, this, config, () => intentSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    let classified = 0;
    const gate = trainedModelGate(
      RED,
      node,
      status,
      { examples: settings.examples, file: settings.file, what: "intents" },
      (model, msg, send, done) => {
        const start = clock.now();
        const raw = readMessageKey(RED, msg, settings.property);
        const text = typeof raw === "string" ? raw.slice(0, MAX_NLU_CHARS) : "";
        const scores = model.predict(text, settings.topK);
        const best = scores[0];
        const fallback = text.trim() === "" || best.confidence < settings.threshold;
        const result: IntentResult = {
          label: fallback ? settings.fallback : best.label,
          confidence: best.confidence,
          fallback,
          alternatives: scores,
        };
        writeEnvelopePart(msg, "nlu", "intent", result);
        classified += 1;
        traceMessage(msg, node, start, clock.now());
        send(msg);
        status.ok(() =>
          nodeText("intent.ready", `${model.labels.length} intents · ${classified} classified · last ${result.label}`, {
            intents: model.labels.length,
            classified,
            label: result.label,
          }),
        );
        done();
      },
    );
    if (!gate) return;

    onInput(RED, node, status, (msg, send, done) => gate.submit(msg, send, done));

    onClose(RED, node, () => {
      gate.close();
      status.close();
    });
  }

  RED.nodes.registerType("wa-intent", WaIntent);
}
