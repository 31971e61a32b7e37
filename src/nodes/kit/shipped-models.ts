import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IntentClassifier, IntentModelFile } from "../../core/nlu/intent-classifier";
import { EntityTagger } from "../../core/nlu/entity-tagger";
import { PerceptronModel } from "../../core/nlu/perceptron";

// dist/nodes/kit (installed) and src/nodes/kit (tests) are both three folders below the package root.
const MODELS = join(__dirname, "..", "..", "..", "models");

const loaded = new Map<string, IntentClassifier>();

function shipped(name: string): IntentClassifier {
  let model = loaded.get(name);
  if (!model) {
    model = IntentClassifier.fromJSON(JSON.parse(readFileSync(join(MODELS, name), "utf8")) as IntentModelFile);
    loaded.set(name, model);
  }
  return model;
}

/** The built-in model of 15 business intents (models/business-intents.json, made by npm run train), read once. */
export function businessIntentModel(): IntentClassifier {
  return shipped("business-intents.json");
}

/** The built-in sentiment model, trained on English tweets, XLM-T's seven languages and the gold chats (models/sentiment.json). */
export function builtInSentimentModel(): IntentClassifier {
  return shipped("sentiment.json");
}

let entityTagger: EntityTagger | undefined;

/** The built-in tagger of products, people, addresses and quantities, trained on the gold chats (models/entity-tagger.json). */
export function builtInEntityTagger(): EntityTagger {
  entityTagger ??= EntityTagger.fromJSON(JSON.parse(readFileSync(join(MODELS, "entity-tagger.json"), "utf8")) as PerceptronModel);
  return entityTagger;
}
