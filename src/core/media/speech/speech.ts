import { invalidSetting } from "../../errors";

export interface TranscriptWord {
  text: string;
  /** Seconds from the start of the voice note. */
  start: number;
  end: number;
  /** 0-1. */
  confidence: number;
}

export interface Transcript {
  text: string;
  /** 0-1; undefined where the engine gives none. */
  confidence?: number;
  words: TranscriptWord[];
  /** The language the engine listened for or detected (BCP 47 where known). */
  language: string;
}

/** What every engine is given: the voice note as it arrived, with what its headers said. */
export interface SpeechJob {
  audio: Uint8Array;
  container: string;
  language: string;
}

/** Which sentences the offline engine listens for: it recognises a grammar, not open speech. */
export type GrammarMode = "digits" | "phrases" | "words";

export const DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"] as const;

export const SPEECH_LIMITS = { phrases: 2_000, phraseChars: 200, vocabulary: 5_000 } as const;

/** Lower-case words of a phrase as a pronouncing dictionary spells them (letters, accents kept, and apostrophes). */
export function dictionaryWords(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .normalize("NFC")
    .replace(/[^\p{L}' ]+/gu, " ")
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ""))
    .filter(Boolean);
}

/** The phrase list a form or file gives: one per line, blank lines and # comments skipped, bounded. */
export function parsePhraseList(text: string): string[] {
  const phrases: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const phrase = dictionaryWords(line.replace(/#.*$/, "").slice(0, SPEECH_LIMITS.phraseChars)).join(" ");
    if (phrase && !phrases.includes(phrase)) phrases.push(phrase);
    if (phrases.length >= SPEECH_LIMITS.phrases) break;
  }
  return phrases;
}

/**
 * A JSGF grammar: digits (any string of spoken digits), phrases (exactly one of the listed phrases,
 * like an IVR menu), or words (any sequence of the words the phrases use).
 */
export function buildGrammar(mode: GrammarMode, phrases: string[]): string {
  const header = "#JSGF V1.0;\ngrammar wapipe;\n";
  if (mode === "digits") return `${header}public <utterance> = ( ${DIGIT_WORDS.join(" | ")} )+ ;\n`;
  if (phrases.length === 0)
    throw invalidSetting("phrases", "grammarPhrases", "Phrases: list at least one phrase (one per line) for this grammar");
  if (mode === "phrases") return `${header}public <utterance> = ( ${phrases.join(" | ")} ) ;\n`;
  const vocabulary = [...new Set(phrases.flatMap((p) => p.split(" ")))].slice(0, SPEECH_LIMITS.vocabulary);
  return `${header}public <utterance> = ( ${vocabulary.join(" | ")} )+ ;\n`;
}

/** Every word a grammar needs the dictionary to know. */
export function grammarWords(mode: GrammarMode, phrases: string[]): string[] {
  if (mode === "digits") return [...DIGIT_WORDS];
  return [...new Set(phrases.flatMap((p) => p.split(" ")))];
}

/** The digits a digit-grammar transcript spells ("four two seven" -> "427"). */
export function spokenDigits(text: string): string {
  return text
    .split(/\s+/)
    .map((word) => DIGIT_WORDS.indexOf(word as (typeof DIGIT_WORDS)[number]))
    .filter((digit) => digit >= 0)
    .join("");
}

/** A segment of the decoder's alignment: word text, begin and duration in seconds, posterior. */
export interface AlignedSegment {
  t: string;
  b: number;
  d: number;
  p: number;
}

const NOT_WORDS = /^(<s>|<\/s>|<sil>|\(NULL\)|\[[A-Z_]+\]|\+\+.*\+\+)$/;

/** Words of a decoder alignment (silence and noise left out); confidence is their mean posterior. */
export function transcriptFromAlignment(segments: AlignedSegment[], language: string): Transcript {
  const words = segments
    .filter((s) => !NOT_WORDS.test(s.t))
    .map((s) => ({ text: s.t.replace(/\(\d+\)$/, ""), start: round(s.b), end: round(s.b + s.d), confidence: round(s.p) }));
  const confidence = words.length > 0 ? round(words.reduce((sum, w) => sum + w.confidence, 0) / words.length) : 0;
  return { text: words.map((w) => w.text).join(" "), confidence, words, language };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const NUMBER_WORDS: Record<string, string> = Object.fromEntries(DIGIT_WORDS.map((word, digit) => [String(digit), word]));

/** Lower case, no punctuation, single digits as words: the form both sides of a WER comparison take. */
export function normalizeForScoring(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/\d/g, (d) => ` ${NUMBER_WORDS[d]} `)
    .replace(/[^\p{L}\p{N}' ]+/gu, " ")
    .split(/\s+/)
    .filter(Boolean);
}

/** Substitutions, insertions and deletions that turn one sequence into the other (words for WER, characters for CER). */
export function editDistance<T>(reference: ArrayLike<T>, hypothesis: ArrayLike<T>): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const current = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[hypothesis.length];
}

/** Word-level edit distance and the reference length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = normalizeForScoring(reference);
  return { errors: editDistance(ref, normalizeForScoring(hypothesis)), words: ref.length };
}
