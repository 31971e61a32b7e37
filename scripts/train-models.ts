/**
 * Trains the models the pack ships from the development data in ../shared/data (never shipped
 * itself) and writes them to models/: `npm run train`. The recipes are the ones `npm run eval`
 * cross-validates (eval/recipes.ts); each file records the data it was trained on, so a test
 * can tell when it is stale. EVAL_DATA points at another data folder.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IntentClassifier } from "../src/core/nlu/intent-classifier";
import { readGoldPool } from "../eval/gold-cv";
import {
  BUILT_IN_SENTIMENT_TRAINING,
  BUSINESS_INTENT_TRAINING,
  GOLD_FILES,
  SENTIMENT_FILES,
  builtInSentimentExamples,
  businessIntentExamples,
  entityTaggerExamples,
  sentimentBackground,
} from "../eval/recipes";
import { EntityTagger } from "../src/core/nlu/entity-tagger";
import { trainingDataDigest } from "./training-data-digest";

const root = join(__dirname, "..");
const DATA = process.env.EVAL_DATA ?? join(root, "..", "shared", "data");

function main(): void {
  if (!existsSync(join(DATA, "whatsapp-gold"))) {
    console.error(`No development data at ${DATA}: put the project's shared/data beside the repository or set EVAL_DATA`);
    process.exit(1);
  }
  const pool = readGoldPool(DATA);
  mkdirSync(join(root, "models"), { recursive: true });
  const write = (name: string, model: IntentClassifier | EntityTagger, trainedOn: Record<string, unknown>, started: number) => {
    const file = join(root, "models", name);
    writeFileSync(file, `${JSON.stringify({ ...model.toJSON(), trainedOn })}\n`);
    const bytes = readFileSync(file);
    const classes = model instanceof IntentClassifier ? `${model.labels.length} labels` : `${model.tags.length} tags`;
    console.log(
      `${name}: ${classes}, ${model.featureCount} features, trained in ${((Date.now() - started) / 1000).toFixed(1)} s; ${(bytes.length / 1e6).toFixed(2)} MB, sha256 ${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`,
    );
  };

  let started = Date.now();
  write(
    "business-intents.json",
    IntentClassifier.train(businessIntentExamples(pool), BUSINESS_INTENT_TRAINING),
    {
      data: "whatsapp-gold train.jsonl + dev.jsonl (CC0 1.0), ../shared/data",
      messages: pool.length,
      digest: trainingDataDigest(DATA, GOLD_FILES),
      recipe: "eval/recipes.ts businessIntentExamples, BUSINESS_INTENT_TRAINING",
    },
    started,
  );

  started = Date.now();
  write(
    "entity-tagger.json",
    EntityTagger.train(entityTaggerExamples(pool)),
    {
      data: "whatsapp-gold train.jsonl + dev.jsonl (CC0 1.0), ../shared/data",
      messages: pool.length,
      digest: trainingDataDigest(DATA, GOLD_FILES),
      recipe: "eval/recipes.ts entityTaggerExamples, DEFAULT_PERCEPTRON",
    },
    started,
  );

  started = Date.now();
  const examples = builtInSentimentExamples(sentimentBackground(DATA), pool);
  write(
    "sentiment.json",
    IntentClassifier.train(examples, BUILT_IN_SENTIMENT_TRAINING),
    {
      data: "SemEval 2013-2016 English tweets (TweetEval val taken out), XLM-T train of 7 languages, whatsapp-gold pool ×5, ../shared/data",
      examples: examples.length,
      digest: trainingDataDigest(DATA, [...GOLD_FILES, ...SENTIMENT_FILES]),
      recipe: "eval/recipes.ts builtInSentimentExamples, BUILT_IN_SENTIMENT_TRAINING",
    },
    started,
  );
}

main();
