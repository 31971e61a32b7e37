/** Where an extractor found something in a text (JavaScript string offsets, end exclusive). */
export interface FoundSpan {
  start: number;
  end: number;
  confidence: number;
}

/** Longest text the NLU engines look at; the rest of a 1 MB message is not read. */
export const MAX_NLU_CHARS = 4096;

/**
 * Text as the NLU engines see it: lone surrogates removed (invalid UTF-16 from a broken
 * client), compatibility forms folded (full-width letters, ligatures), lower case, runs of
 * white space collapsed, cut at {@link MAX_NLU_CHARS}.
 */
export function normalizeText(text: string): string {
  const cut = text.length > MAX_NLU_CHARS ? text.slice(0, MAX_NLU_CHARS) : text;
  return cut
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** Accents removed (café → cafe), for matching across spellings people type on phones. */
export function foldAccents(text: string): string {
  return text.normalize("NFD").replace(/\p{M}+/gu, "");
}

// One pass, no nested quantifiers: linear in the text's length whatever it holds.
const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?|\p{Extended_Pictographic}/gu;

/** Words, numbers and emoji, in order. */
export function tokenize(normalized: string): string[] {
  return normalized.match(TOKEN) ?? [];
}
