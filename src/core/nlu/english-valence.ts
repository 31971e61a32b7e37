import { readFileSync } from "node:fs";
import path from "node:path";
import { parseValenceList } from "./sentiment";

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
