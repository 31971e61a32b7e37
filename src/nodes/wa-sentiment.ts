import { writeEnvelopePart } from "../core/envelope";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { sentimentSchema } from "./schemas/wa-sentiment";
import { IntentClassifier } from "../core/nlu/intent-classifier";
import { SentimentOptions, SentimentResult, readWithLexicon, scoreSentiment } from "../core/nlu/sentiment";
import { MAX_NLU_CHARS } from "../core/nlu/text";
import { builtInSentimentReading, englishValenceWords } from "../core/nlu/english-valence";
import { builtInSentimentModel } from "./kit/shipped-models";
import { disableNode, failMessage, onClose, onInput, readMessageKey, startNode, traceMessage } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";
import { TextAugment, trainedModelGate } from "./kit/trained-models";

const SENTIMENT_LABELS: readonly SentimentResult["label"][] = ["negative", "neutral", "positive"];

type SentimentDef = NodeDef & FlowConfigOf<typeof sentimentSchema>;

export function sentimentSettingsFromConfig(config: SentimentDef) {
  // A flow saved before English words and the lexicon's reading existed gets both: they are the better default.
  const { mode, positiveFrom, negativeFrom, englishWords, lexiconReading, property, examples, file } = readSettingsBySchema(
    sentimentSchema,
    config,
  );
  return { mode, positiveFrom, negativeFrom, englishWords, lexiconReading, property, examples, file };
}

/**
 * A trained model's answer in the lexicon's shape: score = P(positive) - P(negative). With the
 * lexicon's reading, the cues are the lexicon's words that the model read.
 */
function fromModel(model: IntentClassifier, text: string, lexicon: SentimentOptions | undefined): SentimentResult {
  const read = lexicon ? readWithLexicon(text, lexicon) : undefined;
  const scores = model.predict(read ? read.input : text, model.labels.length);
  const p = (label: string) => scores.find((s) => s.label === label)?.confidence ?? 0;
  return {
    label: scores[0].label as SentimentResult["label"],
    score: Math.round((p("positive") - p("negative")) * 1000) / 1000,
    confidence: Math.round(scores[0].confidence * 1000) / 1000,
    cues: read?.lexicon.cues ?? [],
  };
}

export default function register(RED: NodeAPI): void {
  function WaSentiment(this: Node, config: SentimentDef) {
    const started = startNode(RED, this, config, () => sentimentSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const counts = { negative: 0, neutral: 0, positive: 0 } as Record<string, number>;

    const annotate = (
      result: SentimentResult & { source: string },
      msg: NodeMessage,
      send: SendFunction,
      done: DoneFunction,
      start: number,
    ) => {
      writeEnvelopePart(msg, "nlu", "sentiment", result);
      counts[result.label] = (counts[result.label] ?? 0) + 1;
      traceMessage(msg, node, start, clock.now());
      send(msg);
      status.set(() => ({
        fill: result.label === "negative" ? "red" : result.label === "positive" ? "green" : "grey",
        shape: "dot",
        text: nodeText(
          "sentiment.counts",
          `${counts.positive ?? 0} positive · ${counts.neutral ?? 0} neutral · ${counts.negative ?? 0} negative`,
          { positive: counts.positive ?? 0, neutral: counts.neutral ?? 0, negative: counts.negative ?? 0 },
        ),
      }));
      done();
    };
    const textOf = (msg: NodeMessage): string => {
      const raw = readMessageKey(RED, msg, settings.property);
      return typeof raw === "string" ? raw.slice(0, MAX_NLU_CHARS) : "";
    };

    if (settings.mode === "builtin") {
      // The shipped model reads each text with the lexicon's reading it was trained with, whatever the form's bands.
      let model: IntentClassifier;
      let reading: SentimentOptions;
      try {
        model = builtInSentimentModel();
        reading = builtInSentimentReading();
      } catch (error) {
        disableNode(RED, node, status, error);
        return;
      }
      status.set({ fill: "grey", shape: "dot", text: nodeText("sentiment.builtIn", "built-in model", {}) }, true);
      onInput(RED, node, status, (msg, send, done) => {
        const start = clock.now();
        try {
          annotate({ ...fromModel(model, textOf(msg), reading), source: "builtin" }, msg, send, done, start);
        } catch (error) {
          failMessage(RED, status, done, error);
        }
      });
      onClose(RED, node, () => status.close());
      return;
    }

    // The English list is read once per process, and only when the lexicon runs.
    const lexiconRuns = settings.mode === "lexicon" || settings.lexiconReading;
    const options: SentimentOptions = {
      positiveFrom: settings.positiveFrom,
      negativeFrom: settings.negativeFrom,
      englishWords: settings.englishWords && lexiconRuns ? englishValenceWords() : undefined,
    };
    if (settings.mode === "trained") {
      const augment: TextAugment | undefined = settings.lexiconReading
        ? {
            name: `lexicon-reading:${options.positiveFrom}:${options.negativeFrom}:${settings.englishWords}`,
            apply: (text) => readWithLexicon(text, options).input,
          }
        : undefined;
      const gate = trainedModelGate(
        RED,
        node,
        status,
        { examples: settings.examples, file: settings.file, what: "sentiment labels", augment, labels: SENTIMENT_LABELS },
        (model, msg, send, done) =>
          annotate({ ...fromModel(model, textOf(msg), augment && options), source: "trained" }, msg, send, done, clock.now()),
      );
      if (!gate) return;
      onInput(RED, node, status, (msg, send, done) => gate.submit(msg, send, done));
      onClose(RED, node, () => {
        gate.close();
        status.close();
      });
      return;
    }

    status.set({ fill: "grey", shape: "dot", text: nodeText("sentiment.lexicon", "lexicon", {}) }, true);
    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      annotate({ ...scoreSentiment(textOf(msg), options), source: "lexicon" }, msg, send, done, start);
    });
    onClose(RED, node, () => {
      status.close();
    });
  }

  RED.nodes.registerType("wa-sentiment", WaSentiment);
}
