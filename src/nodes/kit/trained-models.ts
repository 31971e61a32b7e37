import { createHash } from "node:crypto";
import path from "node:path";
import { WaError, invalidSetting } from "../../core/errors";
import { DEFAULT_TRAINING, IntentClassifier, TrainingExample } from "../../core/nlu/intent-classifier";
import { ParsedExamples, TRAINING_LIMITS, parseExampleLines, parseExamplesFile } from "../../core/nlu/training-data";
import { readUserTextFile } from "../../core/store/user-files";
import { describeError, disableNode, failMessage, StatusReporter, toNodeError, translate, userDirOf } from "./node-kit";
import { DoneFunction, Node, NodeAPI, NodeMessage, SendFunction } from "./red";

/** The examples of the form and of the file, together, with what could not be read. */
export function gatherExamples(form: string, file: string, userDir: string): ParsedExamples {
  const fromForm = parseExampleLines(form);
  if (file === "") return fromForm;
  const { resolved, text: source } = readUserTextFile(userDir, file, TRAINING_LIMITS.maxBytes, "trainingFile", "file");
  const fromFile = parseExamplesFile(resolved, source);
  return {
    examples: [...fromForm.examples, ...fromFile.examples],
    problems: [
      ...fromForm.problems.map((p) => ({ ...p, reason: `form: ${p.reason}` })),
      ...fromFile.problems.map((p) => ({ ...p, reason: `${path.basename(resolved)}: ${p.reason}` })),
    ],
  };
}

// Models by the hash of their examples: a redeploy with the same examples, or two nodes sharing them, train once.
const trained = new Map<string, Promise<IntentClassifier>>();

/** What a node adds to each text before its model reads it (the same at training and at prediction). */
export interface TextAugment {
  /** Names the augment in the model cache: models of one set of examples differ with it. */
  name: string;
  apply(text: string): string;
}

export function modelFor(
  examples: TrainingExample[],
  onProgress: (share: number) => void,
  augment?: TextAugment,
): { hash: string; model: Promise<IntentClassifier> } {
  const hash = createHash("sha256")
    .update(JSON.stringify([DEFAULT_TRAINING, augment?.name ?? "", examples]))
    .digest("hex");
  let model = trained.get(hash);
  if (!model) {
    const read = augment ? examples.map((example) => ({ ...example, text: augment.apply(example.text) })) : examples;
    model = IntentClassifier.trainAsync(read, DEFAULT_TRAINING, 20, onProgress);
    trained.set(hash, model);
    model.catch(() => trained.delete(hash));
    // Keep a handful of models, not every version ever deployed.
    while (trained.size > 8) trained.delete(trained.keys().next().value as string);
  }
  return { hash, model };
}

/** Examples with a label the node cannot use (a file labelled `pos`/`neg`) are left out, and the user is told which. */
function keepKnownLabels(RED: NodeAPI, node: Node, parsed: ParsedExamples, labels: readonly string[]): ParsedExamples {
  const unknown = new Map<string, number>();
  const examples = parsed.examples.filter((example) => {
    if (labels.includes(example.label)) return true;
    unknown.set(example.label, (unknown.get(example.label) ?? 0) + 1);
    return false;
  });
  if (unknown.size > 0) {
    const found = [...unknown]
      .slice(0, 5)
      .map(([label, count]) => `${label} ×${count}`)
      .join(", ");
    const skipped = parsed.examples.length - examples.length;
    node.warn(
      translate(
        RED,
        "training.unknownLabels",
        `${skipped} examples were skipped: their label is not one of ${labels.join(", ")} (${found})`,
        {
          count: skipped,
          labels: labels.join(", "),
          found,
        },
      ),
    );
  }
  return { ...parsed, examples };
}

/** Messages that wait while a model trains; beyond it they are refused. */
const MAX_WAITING = 10_000;

export interface TrainedModelGate {
  /** Runs `use` with the model now, or once it is trained (the message waits meanwhile). */
  submit(msg: NodeMessage, send: SendFunction, done: DoneFunction): void;
  close(): void;
}

/**
 * A node's model trained from its examples (form and file) at deploy, in the background:
 * skipped lines are named in a warning, progress shows in the status, messages wait (bounded)
 * until it is ready, and a model that cannot be trained fails each message with the reason.
 * Undefined when the examples cannot even be read (the node is then out of action).
 */
export function trainedModelGate(
  RED: NodeAPI,
  node: Node,
  status: StatusReporter,
  source: { examples: string; file: string; what: string; augment?: TextAugment; labels?: readonly string[] },
  use: (model: IntentClassifier, msg: NodeMessage, send: SendFunction, done: DoneFunction) => void,
): TrainedModelGate | undefined {
  const userDir = userDirOf(RED);
  let parsed: ParsedExamples;
  try {
    parsed = gatherExamples(source.examples, source.file, userDir);
  } catch (error) {
    disableNode(RED, node, status, error);
    return undefined;
  }
  if (source.labels) parsed = keepKnownLabels(RED, node, parsed, source.labels);
  warnSkippedLines(RED, node, parsed.problems);
  const training = modelFor(parsed.examples, (share) => showTraining(RED, status, share), source.augment).model;
  return gateOnTraining(
    RED,
    node,
    status,
    {
      model: training,
      ready: (ready) =>
        translate(RED, "training.trained", `${ready.labels.length} labels from ${parsed.examples.length} examples`, {
          labels: ready.labels.length,
          examples: parsed.examples.length,
        }),
      notTrained: (reason) =>
        invalidSetting(
          "examples",
          source.what === "intents" ? "intentsNotTrained" : "labelsNotTrained",
          `The ${source.what} could not be trained: ${reason}`,
          { reason },
        ),
    },
    use,
  );
}

/** One warning naming the first lines of a training file that could not be read, and why. */
export function warnSkippedLines(RED: NodeAPI, node: Node, problems: { line: number; reason: string }[]): void {
  if (problems.length === 0) return;
  const shown = problems
    .slice(0, 5)
    .map((p) => `line ${p.line}: ${p.reason}`)
    .join("; ");
  node.warn(
    translate(RED, "training.problems", `${problems.length} training lines were skipped (${shown})`, { count: problems.length, shown }),
  );
}

/** The status while a model trains: the share done. */
export function showTraining(RED: NodeAPI, status: StatusReporter, share: number, sticky = false): void {
  const percent = Math.round(share * 100);
  status.set({ fill: "yellow", shape: "ring", text: translate(RED, "training.training", `training ${percent} %`, { percent }) }, sticky);
}

/**
 * Messages that arrive while a node's model trains at deploy wait for it (at most MAX_WAITING), then go
 * through `use`; a model that cannot be trained fails each message with the reason, and the node's status
 * and log say it. A throw while handling one message fails that message; it never loses it or the rest.
 */
export function gateOnTraining<T>(
  RED: NodeAPI,
  node: Node,
  status: StatusReporter,
  training: { model: Promise<T>; ready: (model: T) => string; notTrained: (reason: string) => WaError },
  use: (model: T, msg: NodeMessage, send: SendFunction, done: DoneFunction) => void,
): TrainedModelGate {
  let model: T | undefined;
  let failure: Error | undefined;
  const handle = (ready: T, msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
    try {
      use(ready, msg, send, done);
    } catch (error) {
      failMessage(RED, status, done, error);
    }
  };
  const waiting: { msg: NodeMessage; send: SendFunction; done: DoneFunction }[] = [];
  showTraining(RED, status, 0, true);
  training.model.then(
    (ready) => {
      model = ready;
      status.set({ fill: "green", shape: "dot", text: training.ready(ready) }, true);
      for (const item of waiting.splice(0)) handle(ready, item.msg, item.send, item.done);
    },
    (error: unknown) => {
      failure = training.notTrained(describeError(RED, error));
      node.error(describeError(RED, failure));
      status.set({ fill: "red", shape: "ring", text: describeError(RED, failure).slice(0, 60) }, true);
      for (const item of waiting.splice(0)) failMessage(RED, status, item.done, failure);
    },
  );
  return {
    submit(msg, send, done) {
      if (failure) failMessage(RED, status, done, failure);
      else if (model !== undefined) handle(model, msg, send, done);
      else if (waiting.length >= MAX_WAITING)
        failMessage(
          RED,
          status,
          done,
          new WaError("queue.full", `More than ${MAX_WAITING} messages arrived while the model was training`, {
            max: MAX_WAITING,
          }),
        );
      else waiting.push({ msg, send, done });
    },
    close() {
      const reason = "it stopped while its model was training";
      for (const item of waiting.splice(0))
        item.done(toNodeError(RED, new WaError("node.stopped", `The node stopped before it handled the message: ${reason}`, { reason })));
    },
  };
}
