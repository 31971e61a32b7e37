import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { WaError } from "../core/errors";
import { DEFAULT_TRAINING, IntentClassifier, IntentScore, TrainingExample } from "../core/nlu/intent-classifier";
import { MAX_NLU_CHARS } from "../core/nlu/text";
import { ParsedExamples, TRAINING_LIMITS, parseExampleLines, parseExamplesFile } from "../core/nlu/training-data";
import { StatusReporter, describeError, disableNode, failMessage, readSettings, traceMessage, translate } from "./lib/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, numberSetting, stringSetting } from "./lib/red";
import { runtimeWorld } from "./lib/world";

interface IntentDef extends NodeDef {
  examples: string;
  file: string;
  threshold: string | number;
  fallback: string;
  topK: string | number;
  property: string;
}

const PROPERTY = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/;
/** Messages that wait while the model trains; beyond it they are refused. */
const MAX_WAITING = 10_000;

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

/** The examples of the form and of the file, together, with what could not be read. */
export function gatherExamples(form: string, file: string, userDir: string): ParsedExamples {
  const fromForm = parseExampleLines(form);
  if (file === "") return fromForm;
  const resolved = path.resolve(userDir, file);
  let source: string;
  try {
    const size = statSync(resolved).size;
    if (size > TRAINING_LIMITS.maxBytes) throw new Error(`${size} bytes, more than the ${TRAINING_LIMITS.maxBytes} allowed`);
    source = readFileSync(resolved, "utf8");
  } catch (error) {
    throw new WaError("config.invalid", `Training file ${file}: ${(error as Error).message}`, { field: "file" });
  }
  const fromFile = parseExamplesFile(resolved, source);
  return {
    examples: [...fromForm.examples, ...fromFile.examples],
    problems: [...fromForm.problems.map((p) => ({ ...p, reason: `form: ${p.reason}` })), ...fromFile.problems.map((p) => ({ ...p, reason: `${path.basename(resolved)}: ${p.reason}` }))],
  };
}

// Models by the hash of their examples: a redeploy with the same examples, or two nodes sharing them, train once.
const trained = new Map<string, Promise<IntentClassifier>>();

function modelFor(examples: TrainingExample[], onProgress: (share: number) => void): { hash: string; model: Promise<IntentClassifier> } {
  const hash = createHash("sha256").update(JSON.stringify([DEFAULT_TRAINING, examples])).digest("hex");
  let model = trained.get(hash);
  if (!model) {
    model = IntentClassifier.trainAsync(examples, DEFAULT_TRAINING, 20, onProgress);
    trained.set(hash, model);
    model.catch(() => trained.delete(hash));
    // Keep a handful of models, not every version ever deployed.
    while (trained.size > 8) trained.delete(trained.keys().next().value as string);
  }
  return { hash, model };
}

export interface IntentResult {
  label: string;
  confidence: number;
  fallback: boolean;
  alternatives: IntentScore[];
}

export default function register(RED: NodeAPI): void {
  function WaIntent(this: Node, config: IntentDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const settings = readSettings(RED, node, status, () => intentSettingsFromConfig(config));
    if (!settings) return;
    const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
    let parsed: ParsedExamples;
    try {
      parsed = gatherExamples(settings.examples, settings.file, userDir);
    } catch (error) {
      disableNode(RED, node, status, error);
      return;
    }
    if (parsed.problems.length > 0) {
      const shown = parsed.problems.slice(0, 5).map((p) => `line ${p.line}: ${p.reason}`).join("; ");
      node.warn(translate(RED, "intent.problems", `${parsed.problems.length} training lines were skipped (${shown})`, { count: parsed.problems.length, shown }));
    }
    let model: IntentClassifier | undefined;
    let failure: Error | undefined;
    let classified = 0;
    const waiting: { msg: NodeMessage; send: SendFunction; done: DoneFunction }[] = [];

    const classify = (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const start = clock.now();
      const raw = RED.util.getMessageProperty(msg, settings.property) as unknown;
      const text = typeof raw === "string" ? raw.slice(0, MAX_NLU_CHARS) : "";
      const scores = model!.predict(text, settings.topK);
      const best = scores[0];
      const fallback = text.trim() === "" || best.confidence < settings.threshold;
      const result: IntentResult = { label: fallback ? settings.fallback : best.label, confidence: best.confidence, fallback, alternatives: scores };
      const wa = (msg as NodeMessage & { wa?: { nlu?: Record<string, unknown> } }).wa;
      if (wa && typeof wa === "object") wa.nlu = { ...(wa.nlu ?? {}), intent: result };
      else (msg as NodeMessage & { intent?: unknown }).intent = result;
      classified += 1;
      traceMessage(msg, node, start, clock.now());
      send(msg);
      status.set(() => ({ fill: "green", shape: "dot", text: translate(RED, "intent.ready", `${model!.labels.length} intents · ${classified} classified · last ${result.label}`, { intents: model!.labels.length, classified, label: result.label }) }));
      done();
    };

    const { model: training } = modelFor(parsed.examples, (share) => status.set({ fill: "yellow", shape: "ring", text: translate(RED, "intent.training", `training ${Math.round(share * 100)} %`, { percent: Math.round(share * 100) }) }));
    status.set({ fill: "yellow", shape: "ring", text: translate(RED, "intent.training", "training 0 %", { percent: 0 }) }, true);
    training.then(
      (ready) => {
        model = ready;
        status.set({ fill: "green", shape: "dot", text: translate(RED, "intent.trained", `${ready.labels.length} intents from ${parsed.examples.length} examples`, { intents: ready.labels.length, examples: parsed.examples.length }) }, true);
        for (const item of waiting.splice(0)) classify(item.msg, item.send, item.done);
      },
      (error: unknown) => {
        failure = new WaError("config.invalid", `The intents could not be trained: ${describeError(RED, error)}`, { field: "examples" });
        node.error(describeError(RED, failure));
        status.set({ fill: "red", shape: "ring", text: describeError(RED, failure).slice(0, 60) }, true);
        for (const item of waiting.splice(0)) failMessage(RED, status, item.done, failure);
      },
    );

    node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      if (failure) {
        failMessage(RED, status, done, failure);
        return;
      }
      if (!model) {
        if (waiting.length >= MAX_WAITING) {
          failMessage(RED, status, done, new WaError("queue.full", `More than ${MAX_WAITING} messages arrived while the intents were training`, { max: MAX_WAITING }));
          return;
        }
        waiting.push({ msg, send, done });
        return;
      }
      classify(msg, send, done);
    });

    node.on("close", (done: () => void) => {
      for (const item of waiting.splice(0)) item.done(new Error("The intent node stopped while its intents were training"));
      status.close();
      done();
    });
  }

  RED.nodes.registerType("wa-intent", WaIntent);
}
