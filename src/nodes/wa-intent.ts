import { WaError } from "../core/errors";
import { IntentScore } from "../core/nlu/intent-classifier";
import { MAX_NLU_CHARS } from "../core/nlu/text";
import { trainedModelGate } from "./kit/trained-models";
import { StatusReporter, nodeTexts, readMessageKey, readSettings, traceMessage } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, numberSetting, stringSetting } from "./kit/red";
import { runtimeWorld } from "./kit/world";


interface IntentDef extends NodeDef {
  examples: string;
  file: string;
  threshold: string | number;
  fallback: string;
  topK: string | number;
  property: string;
}

const PROPERTY = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/;
export function intentSettingsFromConfig(config: IntentDef) {
  const fail = (field: string, text: string) => new WaError("config.invalid", text, { field });
  const threshold = numberSetting(config.threshold, 0.5);
  if (!(threshold >= 0 && threshold <= 1)) throw fail("threshold", "Fallback below: a confidence between 0 and 1");
  const topK = numberSetting(config.topK, 3);
  if (!(Number.isInteger(topK) && topK >= 1 && topK <= 20)) throw fail("topK", "Alternatives: 1 to 20");
  const fallback = stringSetting(config.fallback, "fallback");
  if (!/^[\p{L}\p{N}_.:-]{1,100}$/u.test(fallback)) throw fail("fallback", "Fallback intent: 1 to 100 letters, digits, '_', '.', ':' or '-'");
  const property = stringSetting(config.property, "payload");
  if (!PROPERTY.test(property)) throw fail("property", "Text from: a message property such as payload");
  return { threshold, topK, fallback, property, examples: typeof config.examples === "string" ? config.examples : "", file: stringSetting(config.file, "") };
}

export interface IntentResult {
  label: string;
  confidence: number;
  fallback: boolean;
  alternatives: IntentScore[];
}

export default function register(RED: NodeAPI): void {
  const nodeText = nodeTexts(RED, "wa-intent");
  function WaIntent(this: Node, config: IntentDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const settings = readSettings(RED, node, status, () => intentSettingsFromConfig(config));
    if (!settings) return;
    let classified = 0;
    const gate = trainedModelGate(RED, node, status, { examples: settings.examples, file: settings.file, what: "intents" }, (model, msg, send, done) => {
      const start = clock.now();
      const raw = readMessageKey(RED, msg, settings.property);
      const text = typeof raw === "string" ? raw.slice(0, MAX_NLU_CHARS) : "";
      const scores = model.predict(text, settings.topK);
      const best = scores[0];
      const fallback = text.trim() === "" || best.confidence < settings.threshold;
      const result: IntentResult = { label: fallback ? settings.fallback : best.label, confidence: best.confidence, fallback, alternatives: scores };
      const wa = (msg as NodeMessage & { wa?: { nlu?: Record<string, unknown> } }).wa;
      if (wa && typeof wa === "object") wa.nlu = { ...(wa.nlu ?? {}), intent: result };
      else (msg as NodeMessage & { intent?: unknown }).intent = result;
      classified += 1;
      traceMessage(msg, node, start, clock.now());
      send(msg);
      status.set(() => ({ fill: "green", shape: "dot", text: nodeText("intent.ready", `${model.labels.length} intents · ${classified} classified · last ${result.label}`, { intents: model.labels.length, classified, label: result.label }) }));
      done();
    });
    if (!gate) return;

    node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => gate.submit(msg, send, done));

    node.on("close", (done: () => void) => {
      gate.close();
      status.close();
      done();
    });
  }

  RED.nodes.registerType("wa-intent", WaIntent);
}
