/**
 * How the shipped models are trained from the gold pool: one recipe, used by `npm run train`
 * (on the whole pool) and by `npm run eval` (on the other folds, scoring the held-out one).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EntityContext, extractRuleEntities, regionOfChat } from "../src/core/nlu/entities";
import { TaggerExample } from "../src/core/nlu/entity-tagger";
import { readWithLexicon } from "../src/core/nlu/sentiment";
import { builtInSentimentReading } from "../src/core/nlu/english-valence";
import { DEFAULT_TRAINING, TrainingExample, TrainingOptions } from "../src/core/nlu/intent-classifier";
import { withIntentContext } from "../src/core/nlu/intent-context";
import { GoldMessage, isGroup } from "./gold-cv";

/** Epochs and L2 chosen by the 5-fold cross-validation by conversation (0.627 at 40 / 1e-4 against 0.619 at 20 / 1e-5, text only). */
export const BUSINESS_INTENT_TRAINING: TrainingOptions = { ...DEFAULT_TRAINING, epochs: 40, l2: 1e-4 };

/** What wa-entities knows of a message besides its text: the writer's country and the day it was sent. */
export function entityContextOf(m: GoldMessage): EntityContext {
  return { region: regionOfChat(isGroup(m) ? m.from : m.chat), sentAt: m.timestamp * 1000 };
}

/** The entity types the rules find in a message, as wa-entities puts them before wa-intent in the pipeline. */
export function entityTypesOf(m: GoldMessage): string[] {
  return extractRuleEntities(m.text, entityContextOf(m)).map((e) => e.type);
}

/** The built-in entity tagger's examples: each message with its marked entities and its context. */
export function entityTaggerExamples(messages: GoldMessage[]): TaggerExample[] {
  return messages.map((m) => ({ text: m.text, entities: m.entities, context: entityContextOf(m) }));
}

/** Each message of a conversation with the intent of the one before it (gold when training). */
export function previousIntents(messages: GoldMessage[], intentOf: (m: GoldMessage) => string): Map<string, string | undefined> {
  const last = new Map<string, string>();
  const previous = new Map<string, string | undefined>();
  for (const m of messages) {
    previous.set(m.id, last.get(m.conversation));
    last.set(m.conversation, intentOf(m));
  }
  return previous;
}

export function businessIntentExamples(messages: GoldMessage[]): TrainingExample[] {
  const previous = previousIntents(messages, (m) => m.intent);
  return messages.map((m) => ({
    text: withIntentContext(m.text, { entityTypes: entityTypesOf(m), previousIntent: previous.get(m.id) }),
    label: m.intent,
  }));
}

export const GOLD_FILES = ["whatsapp-gold/train.jsonl", "whatsapp-gold/dev.jsonl"] as const;

const TWEETS = "sentiment/tweets-en-train/train.jsonl";
const TWEETEVAL_VAL = "sentiment/tweeteval/val.jsonl";
export const XLMT_TRAIN_LANGUAGES = ["spanish", "portuguese", "german", "french", "hindi", "italian", "arabic"] as const;
/** What the built-in sentiment model is trained on, besides the gold pool (XLM-T's English is left out: it is in TweetEval val). */
export const SENTIMENT_FILES = [TWEETS, TWEETEVAL_VAL, ...XLMT_TRAIN_LANGUAGES.map((l) => `sentiment/xlmt/${l}/train.jsonl`)] as const;

/**
 * Three epochs over 60,000 texts: more did not help on TweetEval val (0.684 at 6 against 0.688 at 3). Features in
 * fewer than 6 texts are dropped, which halves the file (4 MB against 7.5 MB at 3) at the same TweetEval val figure.
 */
export const BUILT_IN_SENTIMENT_TRAINING: TrainingOptions = {
  ...DEFAULT_TRAINING,
  epochs: 3,
  features: { ...DEFAULT_TRAINING.features, minDocs: 6 },
};
/** The gold chats count five times: they are the kind of message the node reads (gold CV 0.762 against 0.745 at once). */
const GOLD_WEIGHT = 5;

interface Labelled {
  text: string;
  label: string;
}

function readJsonl(data: string, file: string): Labelled[] {
  return readFileSync(join(data, file), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Labelled);
}

/** The key the tweet folder's README gives for finding TweetEval's val tweets among its own. */
function tweetKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, "")
    .replace(/@\w+/g, "@user")
    .replace(/"/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** The tweets and XLM-T texts the built-in sentiment model learns from, TweetEval's val tweets taken out. */
export function sentimentBackground(data: string): Labelled[] {
  const val = new Set(readJsonl(data, TWEETEVAL_VAL).map((t) => tweetKey(t.text)));
  const tweets = readJsonl(data, TWEETS).filter((t) => !val.has(tweetKey(t.text)));
  const xlmt = XLMT_TRAIN_LANGUAGES.flatMap((lang) => readJsonl(data, `sentiment/xlmt/${lang}/train.jsonl`));
  return [...tweets, ...xlmt];
}

export const sentimentReading = (text: string): string => readWithLexicon(text, builtInSentimentReading()).input;

export function builtInSentimentExamples(background: Labelled[], gold: GoldMessage[]): TrainingExample[] {
  const chats = gold.map((m) => ({ text: m.text, label: m.sentiment }));
  return [...background, ...Array.from({ length: GOLD_WEIGHT }, () => chats).flat()].map((e) => ({
    text: sentimentReading(e.text),
    label: e.label,
  }));
}
