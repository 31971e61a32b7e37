import { FIRST_NAMES_LIST } from "./first-names";
import { FoundSpan } from "./text";

let firstNames: Set<string> | undefined;
/** First names from the generated list (lower case), built on first use. */
function knownFirstNames(): Set<string> {
  firstNames ??= new Set(FIRST_NAMES_LIST.toLowerCase().split("|"));
  return firstNames;
}

/** Whether a word is on the first-name list (any case). */
export function isFirstName(word: string): boolean {
  return knownFirstNames().has(word.toLowerCase());
}

/** Capitalised words that the name list holds but that chats mostly use as words. */
/** A known first name with no cue around it: the weakest reading, which a goods phrase around it outranks. */
export const LOOSE_NAME_CONFIDENCE = 0.6;
const COMMON_WORDS = new Set(
  "will may june april august mark bill rose grace joy hope sunny amor paz luz dia sol mar bom bem boa hola ola ok okay thanks merci danke gracias obrigado obrigada valeu team guys all everyone bhai bhaiya didi ji sir madam maam señor senhor senhora dona seu friday monday sunday saturday tuesday wednesday thursday god deus dios gott dieu store shop loja tienda support customer cliente hi hello hey dear querida querido mein mon ma mi my the so and or but per pro max mini plus star hindi english german iphone galaxy amazon google apple samsung whatsapp pix paypal visa master delhi pune india brasil brazil mexico paris lyon porto lisboa berlin zürich madrid dale vale listo bueno claro perfeito perfecto parfait genial super pronto beleza tranquilo gut prima alles".split(
    " ",
  ),
);

const NAME_WORD = "\\p{Lu}\\p{Ll}+(?:['’](?!s\\b)\\p{L}\\p{Ll}+)?(?:-\\p{Lu}?\\p{Ll}+)?";
/** A cue after which the next capitalised word(s) are the sender's or someone's full name. */
const NAMING_CUE =
  /(?:\b(?:my name is|name is|name's|this is|it's|it is|i am|i'm|me llamo|mi nombre es|a nombre de|nombre de|a nome de|em nome de|meu nome é|me chamo|sou o|sou a|je m'appelle|je suis|c'est|ich heiße|ich heisse|mein name ist|ich bin|naam|mera naam|mai|main)\s*[:,-]?\s+)$/iu;
/** Titles, honorifics and kinship words that come right before a name (outside the span). */
const TITLE_BEFORE =
  /(?:\b(?:seu|dona|sr|sra|srta|señor|señora|sr\.|mr|mrs|ms|miss|dr|frau|herr|mme|mlle|monsieur|madame|don|doña|tía|tia|tío|tio|uncle|aunty|auntie|sister|brother|sis|bro|wife|husband|son|daughter|mom|mum|dad|hija|hijo|hermana|hermano|esposa|esposo|mamá|papá|filha|filho|irmã|irmão|esposa|marido|mãe|pai|tochter|sohn|schwester|bruder|frau|mann|fille|fils|sœur|soeur|frère|femme|mari|beta|beti|didi|bhaiya|bhai|behen)\.?\s+)$/iu;
const THANKS_BEFORE =
  /(?:\b(?:thanks|thank you|thx|ty|cheers|obrigad[oa]|brigad[oa]|valeu|gracias|muchas gracias|mil gracias|merci|merci beaucoup|danke|danke schön|vielen dank|shukriya|dhanyavaad|grazie|bye|tchau|ciao|hi|hello|hey|hola|oi|olá|bonjour|salut|hallo|namaste|dear|querida|querido|prezad[ao]|estimad[ao]|chère|cher|liebe|lieber)\s*,?\s+)$/iu;
const WITH_BEFORE = /\b(?:avec|with|com|con|mit|and|e|y|et|und)\s+$/iu;
const ARTICLE_BEFORE = /\b(?:the|a|an|o|a|os|as|el|la|los|las|le|les|un|une|der|die|das|ein|eine|this|that|my|our|your)\s+$/iu;
const FOLLOWED_BY_HERE = /^\s+(?:here|aqui|aquí|hier|ici|this side|idhar)(?![\p{L}\d])/iu;

function isCommonWord(word: string): boolean {
  return COMMON_WORDS.has(word.toLowerCase());
}

function isKnownName(word: string): boolean {
  return knownFirstNames().has(word.toLowerCase()) && !isCommonWord(word);
}

/**
 * Person names: capitalised words after a cue (a naming phrase, a title or kinship word, thanks or a
 * greeting, "with"), after `@`, a known first name said to someone at the start ("Jorge, ...") or
 * followed by "here"/"aqui", or a known first name anywhere but the start of a sentence.
 * Surnames are kept after naming cues and known first names.
 */
export function findPersons(text: string): FoundSpan[] {
  const found: FoundSpan[] = [];
  const word = new RegExp(`(?<![\\p{L}\\d_@'’])(${NAME_WORD})(?![\\p{L}\\d_])`, "gu");
  const surname = new RegExp(`^\\s+(${NAME_WORD})(?![\\p{L}\\d_])`, "u");
  let skipUntil = 0;
  for (const m of text.matchAll(word)) {
    const start = m.index!;
    if (start < skipUntil) continue;
    const first = m[1];
    const second = surname.exec(text.slice(start + first.length))?.[1];
    const before = text.slice(Math.max(0, start - 40), start);
    const known = isKnownName(first);
    const sentenceStart = /(?:^|[.!?\n]\s*)$/u.test(before);
    const atStart = /^\s*$/u.test(before) || /\n\s*$/u.test(before);
    let confidence = 0;
    let withSurname = false;
    if (NAMING_CUE.test(before) && !isCommonWord(first)) {
      confidence = 0.85;
      withSurname = true;
    } else if (TITLE_BEFORE.test(before) && !isCommonWord(first)) confidence = 0.85;
    else if (
      THANKS_BEFORE.test(before) &&
      (known ||
        (!isCommonWord(first) && /^(?:\s*[!.,?]|\s*$|\s*\p{Extended_Pictographic})/u.test(text.slice(start + first.length)) && !second))
    )
      confidence = known ? 0.85 : 0.6;
    else if (WITH_BEFORE.test(before) && known) confidence = 0.7;
    else if (ARTICLE_BEFORE.test(before)) continue;
    else if (known && atStart && /^(?:\s*,|\s+(?:apto|apt|do|da|de|from|aqui|here)\b)/u.test(text.slice(start + first.length)))
      confidence = 0.75;
    else if (
      atStart &&
      !isCommonWord(first) &&
      /^\s+(?:(?:do|da|from|von|de)\s+\S+\s+)?(?:here|aqui|aquí|hier|ici)(?![\p{L}\d])/iu.test(text.slice(start + first.length))
    )
      confidence = 0.7;
    else if (known && FOLLOWED_BY_HERE.test(text.slice(start + first.length))) confidence = 0.8;
    else if (known && /['’]s\b/u.test(text.slice(start + first.length, start + first.length + 3))) confidence = 0.7;
    else if (known && !sentenceStart) confidence = LOOSE_NAME_CONFIDENCE;
    if (confidence === 0) continue;
    const keepSurname = second && !isCommonWord(second) && (withSurname || (known && !isKnownName(second) && !/^\p{Lu}{2,}/u.test(second)));
    const end = start + first.length + (keepSurname ? text.slice(start + first.length).indexOf(second) + second.length : 0);
    found.push({ start, end, confidence });
    skipUntil = end;
  }
  for (const m of text.matchAll(/(?<![\w@])@(\p{L}[\p{L}'’-]{1,30})/gu)) {
    found.push({ start: m.index! + 1, end: m.index! + 1 + m[1].length, confidence: 0.8 });
  }
  return found.sort((a, b) => a.start - b.start);
}
