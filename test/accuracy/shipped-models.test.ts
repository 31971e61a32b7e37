import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { IntentClassifier, IntentModelFile } from "../../src/core/nlu/intent-classifier";
import { readGoldPool } from "../../eval/gold-cv";
import {
  BUILT_IN_SENTIMENT_TRAINING,
  BUSINESS_INTENT_TRAINING,
  GOLD_FILES,
  SENTIMENT_FILES,
  builtInSentimentExamples,
  businessIntentExamples,
  entityTaggerExamples,
  sentimentBackground,
} from "../../eval/recipes";
import { EntityTagger } from "../../src/core/nlu/entity-tagger";
import { trainingDataDigest } from "../../scripts/training-data-digest";
import { requirePrerequisite } from "../support/prerequisite";

const root = join(__dirname, "..", "..");
const DATA = process.env.EVAL_DATA ?? join(root, "..", "shared", "data");
type ShippedFile = IntentModelFile & { trainedOn: { digest: string } };
const shipped = (name: string) => JSON.parse(readFileSync(join(root, "models", name), "utf8")) as ShippedFile;

describe("shipped models: what npm run train makes from the shared data", function () {
  this.timeout(300_000);

  it("the business-intent model is trained on today's gold pool, by today's recipe (byte for byte)", function () {
    requirePrerequisite(this, existsSync(join(DATA, "whatsapp-gold")), `no development data at ${DATA}`);
    const committed = shipped("business-intents.json");
    assert.equal(committed.trainedOn.digest, trainingDataDigest(DATA, GOLD_FILES), "the gold pool changed: npm run train");
    const fresh = IntentClassifier.train(businessIntentExamples(readGoldPool(DATA)), BUSINESS_INTENT_TRAINING).toJSON();
    assert.equal(fresh.weights, committed.weights, "the recipe or the engine changed since the model was trained: npm run train");
    assert.deepEqual(fresh.labels, committed.labels);
  });

  it("the sentiment model is trained on today's tweets, XLM-T and gold pool, by today's recipe (byte for byte)", function () {
    requirePrerequisite(this, existsSync(join(DATA, "sentiment")), `no development data at ${DATA}`);
    const committed = shipped("sentiment.json");
    assert.equal(
      committed.trainedOn.digest,
      trainingDataDigest(DATA, [...GOLD_FILES, ...SENTIMENT_FILES]),
      "the data changed: npm run train",
    );
    const fresh = IntentClassifier.train(
      builtInSentimentExamples(sentimentBackground(DATA), readGoldPool(DATA)),
      BUILT_IN_SENTIMENT_TRAINING,
    ).toJSON();
    assert.equal(fresh.weights, committed.weights, "the recipe or the engine changed since the model was trained: npm run train");
  });

  it("the entity tagger is trained on today's gold pool, by today's recipe (weight for weight)", function () {
    requirePrerequisite(this, existsSync(join(DATA, "whatsapp-gold")), `no development data at ${DATA}`);
    const committed = JSON.parse(readFileSync(join(root, "models", "entity-tagger.json"), "utf8")) as ReturnType<EntityTagger["toJSON"]> & {
      trainedOn: { digest: string };
    };
    assert.equal(committed.trainedOn.digest, trainingDataDigest(DATA, GOLD_FILES), "the gold pool changed: npm run train");
    const fresh = EntityTagger.train(entityTaggerExamples(readGoldPool(DATA))).toJSON();
    assert.deepEqual(fresh.tags, committed.tags);
    assert.deepEqual(fresh.weights, committed.weights, "the recipe or the engine changed since the tagger was trained: npm run train");
  });

  it("the package's model files stay small (under 15 MB together)", () => {
    const total = ["business-intents.json", "entity-tagger.json", "sentiment.json"].reduce(
      (sum, name) => sum + readFileSync(join(root, "models", name)).length,
      0,
    );
    assert.ok(total < 15e6, `${(total / 1e6).toFixed(1)} MB`);
  });
});
