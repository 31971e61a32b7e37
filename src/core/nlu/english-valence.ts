import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_SENTIMENT, SentimentOptions, parseValenceList } from "./sentiment";

let vaderWords: ReadonlyMap<string, number> | undefined;

/**
 * VADER's English word list (7,500 words, slang and emoticons rated by people; Apache-2.0, from the
 * vader-sentiment package), read once per process.
 */
export function englishValenceWords(): ReadonlyMap<string, number> {
  vaderWords ??= parseValenceList(
    readFileSync(path.join(path.dirname(require.resolve("vader-sentiment/package.json")), "vader_lexicon.txt"), "utf8"),
  );
  return vaderWords;
}

/** The lexicon's reading the built-in sentiment model was trained with: the default bands and the English list. */
export function builtInSentimentReading(): SentimentOptions {
  return { ...DEFAULT_SENTIMENT, englishWords: englishValenceWords() };
}
