import {
  CONTRASTS,
  EMOJI,
  EMOTICONS,
  ENGLISH_FUNCTION_WORDS,
  INTENSIFIERS,
  LEXICON,
  NEGATORS,
  OTHER_FUNCTION_WORDS,
} from "./sentiment-lexicon";
import { MAX_NLU_CHARS, foldAccents, normalizeText, tokenize } from "./text";

export type SentimentLabel = "negative" | "neutral" | "positive";

export interface SentimentResult {
  label: SentimentLabel;
  /** -1 (very negative) .. +1 (very positive). */
  score: number;
  /** How sure: 0 with no sentiment words, rising with their number and strength. */
  confidence: number;
  /** The words and emoji that counted, with their final weight. */
  cues: { token: string; weight: number }[];
}

export interface SentimentOptions {
  /** Scores at or beyond these are positive / negative. */
  positiveFrom: number;
  negativeFrom: number;
  /**
   * A broader English word list (VADER's, -4..+4) consulted for words the built-in lexicon lacks,
   * in messages that read as English. The built-in lexicon wins where both have a word.
   */
  englishWords?: ReadonlyMap<string, number>;
}

export const DEFAULT_SENTIMENT: SentimentOptions = { positiveFrom: 0.05, negativeFrom: -0.05 };

const NEGATION_REACH = 3;
/** VADER's -4..+4 onto the built-in -3..+3. */
const ENGLISH_SCALE = 0.75;
const NEGATION_FACTOR = -0.74;

/**
 * Lexicon sentiment with the rules that matter in chat: negation ("não gostei", "not good"),
 * intensifiers ("muy malo"), a contrast that shifts the weight to what follows ("good but
 * late"), emoji and text emoticons, and exclamation marks. Works with no training, in six languages;
 * English messages can also draw on a broader word list ({@link SentimentOptions.englishWords}).
 */
export function scoreSentiment(text: string, options: SentimentOptions = DEFAULT_SENTIMENT): SentimentResult {
  const cut = text.length > MAX_NLU_CHARS ? text.slice(0, MAX_NLU_CHARS) : text;
  const normalized = normalizeText(cut).replace(/’/g, "'");
  const tokens = tokenize(foldAccents(normalized));
  for (const mark of normalized.split(" ")) {
    const emoticon = mark.replace(/[.,!?]+$/, "");
    if (EMOTICONS.has(emoticon)) tokens.push(emoticon);
  }
  const englishWords = options.englishWords && looksEnglish(tokens) ? options.englishWords : undefined;
  const contrastAt = tokens.reduce((last, token, i) => (CONTRASTS.has(token) ? i : last), -1);
  const cues: { token: string; weight: number }[] = [];
  let sum = 0;
  tokens.forEach((token, i) => {
    const english = englishWords?.get(token);
    const word = LEXICON.get(token) ?? (english === undefined ? undefined : english * ENGLISH_SCALE);
    let weight = word ?? EMOJI.get(token) ?? EMOTICONS.get(token);
    if (weight === undefined || weight === 0) return;
    const boost = i > 0 ? INTENSIFIERS.get(tokens[i - 1]) : undefined;
    if (boost !== undefined) weight *= 1 + boost;
    // An emoji shows the writer's mood: "e nada 😕" is not a negated 😕.
    for (let back = 1; word !== undefined && back <= NEGATION_REACH && i - back >= 0; back += 1) {
      if (NEGATORS.has(tokens[i - back])) {
        weight *= NEGATION_FACTOR;
        break;
      }
    }
    if (contrastAt >= 0) weight *= i < contrastAt ? 0.5 : 1.5;
    cues.push({ token, weight: Math.round(weight * 100) / 100 });
    sum += weight;
  });
  const exclamations = Math.min(4, (cut.match(/!/g) ?? []).length);
  if (sum !== 0) sum += Math.sign(sum) * exclamations * 0.292;
  const score = sum / Math.sqrt(sum * sum + 15);
  const label: SentimentLabel = score >= options.positiveFrom ? "positive" : score <= options.negativeFrom ? "negative" : "neutral";
  const strength = cues.reduce((a, c) => a + Math.abs(c.weight), 0);
  return { label, score: Math.round(score * 1000) / 1000, confidence: Math.round((strength / (strength + 3)) * 1000) / 1000, cues };
}

/**
 * The lexicon's reading of a text as words a trained model can learn from (band of the score,
 * label, how many positive and negative cues): a model trained on a few hundred labelled messages
 * then adjusts the lexicon's judgement instead of starting from nothing (the gold set's five-fold
 * macro-F1 for a trained model: 0.52 words alone, 0.67 with these).
 */
function lexiconReadingWords(result: SentimentResult): string {
  const band = Math.round(result.score * 5);
  const positive = Math.min(3, result.cues.filter((c) => c.weight > 0).length);
  const negative = Math.min(3, result.cues.filter((c) => c.weight < 0).length);
  return `lexband${band < 0 ? "m" : "p"}${Math.abs(band)} lexlabel${result.label} lexpositive${positive} lexnegative${negative} lexcues${positive}x${negative}`;
}

/** The text followed by the lexicon's reading of it (what a trained sentiment model reads, at training and after), and that reading. */
export function readWithLexicon(text: string, options: SentimentOptions = DEFAULT_SENTIMENT): { input: string; lexicon: SentimentResult } {
  const lexicon = scoreSentiment(text, options);
  return { input: `${text} ${lexiconReadingWords(lexicon)}`, lexicon };
}

/** Whether a text's function words are more English than Spanish, Portuguese, German, French or Hinglish. */
export function looksEnglish(tokens: readonly string[]): boolean {
  let english = 0;
  let other = 0;
  for (const token of tokens) {
    if (ENGLISH_FUNCTION_WORDS.has(token)) english += 1;
    else if (OTHER_FUNCTION_WORDS.has(token)) other += 1;
  }
  return english > other;
}

/** VADER's lexicon file: one word per line, then a tab and its mean valence (-4..+4), then the raters' spread. */
export function parseValenceList(text: string): Map<string, number> {
  const words = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [word, value] = line.split("\t");
    const valence = Number(value);
    if (word && value !== undefined && Number.isFinite(valence) && valence !== 0) words.set(word.toLowerCase(), valence);
  }
  return words;
}
