import { NUMBER_WORD_VALUES } from "./number-words";
import { FoundSpan } from "./text";

export type QuantityUnit =
  | "item"
  | "kg"
  | "g"
  | "l"
  | "ml"
  | "m"
  | "box"
  | "pack"
  | "pair"
  | "dozen"
  | "bag"
  | "bottle"
  | "roll"
  | "set"
  | "tray"
  | "can"
  | "sack"
  | "bunch";

export interface FoundQuantity extends FoundSpan {
  value: { amount: number; unit: QuantityUnit };
}

const UNIT_WORDS: [QuantityUnit, string][] = [
  ["kg", "kg|kgs|kilo|kilos|quilo|quilos|kilogramm|kilogramme?s?"],
  ["g", "g|gr|grams?|gramas?|gramos?|gramm|grammes?"],
  ["ml", "ml"],
  ["l", "l|lt|litros?|liters?|litres?|liter"],
  ["m", "m|metros?|meters?|metres?|meter|mètres?"],
  ["dozen", "dozens?|docenas?|dúzias?|duzias?|douzaines?|dutzend|darjan|dozen"],
  ["pair", "pairs?|pares|par|paar|paires?|jodi"],
  ["box", "box|boxes|caixas?|cajas?|kartons?|boîtes?|schachteln?|dabba|dabbe"],
  ["pack", "packs?|packets?|pacotes?|paquetes?|packungen|packung|päckchen|paquets?"],
  ["bag", "bags?|sacolas?|bolsas?|tüten?|sachets?"],
  ["bottle", "bottles?|garrafas?|botellas?|flaschen?|bouteilles?|botal"],
  ["roll", "rolls?|rolos?|rollos?|rollen?|rouleaux?"],
  ["set", "sets?|jogos?|juegos?"],
  ["tray", "trays?|bandejas?|tabletts?|plateaux?"],
  ["can", "cans?|latas?|dosen?|canettes?"],
  ["sack", "sacks?|sacos?|sacs?|säcke|sack"],
  ["bunch", "bunch|bunches|maços?|manojos?|bunde?|bottes?"],
  ["item", "pieces?|pcs|pc|units?|unidades?|unidad|stück|stk|pièces?|exemplar|exemplare|nos"],
];
const UNIT_PATTERN = UNIT_WORDS.map(([, words]) => words).join("|");

/** Kept out of quantities: once, doze and elf are English words too; onze and eins never were. */
const NOT_QUANTITY_WORDS = new Set(["once", "onze", "doze", "eins", "elf"]);
/** The small numbers a quantity is written with ("two boxes", "dos cajas"), halves, and Hinglish. */
const NUMBER_WORDS: Record<string, number> = {
  ...Object.fromEntries(Object.entries(NUMBER_WORD_VALUES).filter(([word, value]) => value <= 12 && !NOT_QUANTITY_WORDS.has(word))),
  twenty: 20,
  half: 0.5,
  medio: 0.5,
  media: 0.5,
  meio: 0.5,
  meia: 0.5,
  ein: 1,
  eine: 1,
  einen: 1,
  halbes: 0.5,
  halbe: 0.5,
  demi: 0.5,
  ek: 1,
  do: 2,
  teen: 3,
  char: 4,
  paanch: 5,
  das: 10,
  aadha: 0.5,
  adha: 0.5,
};
const WORD_NUMBER = Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .join("|");
/** Words that may only be read as numbers when a unit follows (they are everyday words otherwise). */
const NUMBER_WORDS_NEEDING_UNIT = new Set([
  "un",
  "una",
  "uno",
  "um",
  "uma",
  "ein",
  "eine",
  "einen",
  "une",
  "do",
  "das",
  "char",
  "ek",
  "meia",
  "media",
  "half",
  "sept",
  "dos",
  "demi",
]);

const WITH_UNIT = new RegExp(`(?<![\\p{L}\\d.,])(\\d{1,5}(?:[.,]\\d{1,3})?|${WORD_NUMBER})(\\s?)(${UNIT_PATTERN})(?![\\p{L}\\d])`, "giu");
const BARE = new RegExp(`(?<![\\p{L}\\d.,:/#$€£₹-])(\\d{1,4}|${WORD_NUMBER})(?![\\p{L}\\d:/%-]|[.,]\\d)`, "giu");
/** Verbs of ordering right before a bare count ("I'll take 2", "add one", "mandame 10"). */
const ORDER_VERB =
  /\b(?:take|add|reserve|order|want|need|get|buy|send|chuck|put|grab|quero|queria|quería|manda|mande|mandame|mándame|coloca|põe|agrega|agrégame|dame|quiero|llevo|pido|nehme|möchte|bestelle|je prends|prends|voudrais|bhej|bhejo|chahiye|lunga|lungi|lena)\s+(?:me\s+|mais\s+|more\s+|another\s+)?$/iu;
/** Hinglish puts the verb after the count ("2 bhej do", "10 chahiye"). */
const ORDER_VERB_AFTER = /^\s+(?:bhej|bhejo|bhejna|chahiye|chahiyen|de do|dedo|dena|le lo|lena|pack kar)/iu;
/** What a count after an ordering verb may be followed by (end, punctuation, "in the cart", a product word...). */
const NOT_A_COUNT_AFTER =
  /^\s*(?:%|x\b|of\b|de\s+(?:nós|nosotros)|more\b|thing|days?|dias?|días|weeks?|semanas?|hours?|horas?|min|minutes?|people|pessoas|personas|pax|star|stars|estrelas|anos|años|years|am\b|pm\b|h\b|uhr|baje|bje|o'clock)/iu;
/** Between two counts of one list: words, then a comma or "and" in the pack's languages, within a sentence. */
const LIST_GAP = /^[^.?!\n\d]{1,60}(?:,|\s(?:and|e|y|und|et|aur))\s+$/u;
const SIZE_LIST = /(?<![\p{L}\d])(\d{1,4})\s(XXS|XS|S|M|L|XL|XXL|XXXL|\d{2})(?=\s*(?:,|$|\s(?:and|e|y|aur)\b|\s\d))/gu;

const UNIT_MATCHERS = UNIT_WORDS.map(([unit, words]) => [unit, new RegExp(`^(?:${words})$`, "iu")] as const);

const WRITTEN_QUANTITY = new RegExp(`^(\\d{1,5}(?:[.,]\\d{1,3})?|${WORD_NUMBER})\\s?(\\S+)?`, "iu");
const ANY_UNIT = new RegExp(`^(?:${UNIT_PATTERN})$`, "iu");

/** Whether a word is a unit a quantity is counted in (kg, boxes, Stück, dúzias...). */
export function isUnitWord(word: string): boolean {
  return ANY_UNIT.test(word);
}

/** The value of a quantity as written ("2 boxes", "dos docenas", "meio kg", "3"), or undefined. */
export function quantityValueOf(written: string): { amount: number; unit: QuantityUnit } | undefined {
  const match = WRITTEN_QUANTITY.exec(written.trim());
  if (!match) return undefined;
  const amount = amountOf(match[1]);
  if (amount === undefined || amount <= 0) return undefined;
  return { amount, unit: match[2] ? unitOf(match[2]) : "item" };
}

function unitOf(word: string): QuantityUnit {
  return UNIT_MATCHERS.find(([, matcher]) => matcher.test(word))?.[0] ?? "item";
}

function amountOf(written: string): number | undefined {
  const lower = written.toLowerCase();
  if (lower in NUMBER_WORDS) return NUMBER_WORDS[lower];
  const amount = Number(written.replace(",", "."));
  return Number.isFinite(amount) ? amount : undefined;
}

/**
 * Quantities: a number (digits or words) with a unit word (`2 kg`, `dos docenas`, `meio kg`,
 * `5 Packungen`), a bare count right before a product (`10 chicken rice sets`), a count after an
 * ordering verb (`I'll take 2`, `mandame 10`), and size breakdowns (`12 S, 18 M`).
 * Numbers glued to a unit inside a product name (`mel 500g`) are left to the product.
 */
export function findQuantities(text: string, productStarts: readonly number[] = []): FoundQuantity[] {
  const found: FoundQuantity[] = [];
  const add = (start: number, end: number, amount: number | undefined, unit: QuantityUnit, confidence: number) => {
    if (amount === undefined || amount <= 0 || found.some((f) => start < f.end && end > f.start)) return;
    found.push({ start, end, confidence, value: { amount, unit } });
  };
  for (const m of text.matchAll(WITH_UNIT)) {
    const [whole, number, space, unitWord] = m;
    if (space === "" && /^\p{L}/u.test(number)) continue;
    const beforeText = text.slice(Math.max(0, m.index! - 30), m.index!);
    // "mel 500g", "Trailhead 40L": a size glued after a word belongs to the product.
    if (
      space === "" &&
      /\p{L}\s$/u.test(beforeText) &&
      !ORDER_VERB.test(beforeText) &&
      !/^\s+(?:de|of|di|von)\b/iu.test(text.slice(m.index! + whole.length))
    )
      continue;
    if (/^(?:m|l|g|nos|do)$/iu.test(unitWord) && space !== "" && !/^(?:m|l|g)$/u.test(unitWord)) continue;
    if (
      /^(?:m|l)$/iu.test(unitWord) &&
      /^\d/u.test(number) &&
      space !== "" &&
      !/\b(?:de|of)\s*$/iu.test(text.slice(m.index! + whole.length, m.index! + whole.length + 4))
    )
      continue;
    add(m.index!, m.index! + whole.length, amountOf(number), unitOf(unitWord), 0.85);
  }
  const sizes = [...text.matchAll(SIZE_LIST)];
  if (sizes.length >= 2) for (const m of sizes) add(m.index!, m.index! + m[1].length, amountOf(m[1]), "item", 0.7);
  for (const m of text.matchAll(BARE)) {
    const number = m[1];
    const start = m.index!;
    const end = start + number.length;
    if (NUMBER_WORDS_NEEDING_UNIT.has(number.toLowerCase())) continue;
    const after = text.slice(end, end + 20);
    if (NOT_A_COUNT_AFTER.test(after)) continue;
    const beforeProduct = productStarts.some(
      (p) =>
        p > end &&
        /^[\s]{1,2}(?:[\p{L}-]+\s){0,2}$/u.test(text.slice(end, p)) &&
        !/\b(?:of|de|the|los|las|o|a)\s$/iu.test(text.slice(end, p)),
    );
    const wordBefore = text.slice(Math.max(0, start - 30), start);
    // "iPhone 15", "Corre 3", "Pro 2": a number after a name is a model.
    if (/(?:\p{Lu}\p{L}+|iphone|galaxy|pixel|ipad|pro|max|plus|series|model|mark|gen)\s$/u.test(wordBefore) && !ORDER_VERB.test(wordBefore))
      continue;
    const afterVerb = ORDER_VERB.test(wordBefore) || ORDER_VERB_AFTER.test(after);
    // The next item of a list of counts ("10 rice sets, 5 nasi lemak and 3 bento"): its words follow, the previous count is in the same sentence.
    const previous = found.filter((f) => f.end <= start).sort((a, b) => b.end - a.end)[0];
    const inList = previous !== undefined && /^\s?\p{L}/u.test(after) && LIST_GAP.test(text.slice(previous.end, start));
    if (!beforeProduct && !afterVerb && !inList) continue;
    const amount = amountOf(number);
    if (amount === undefined || amount > 10000) continue;
    add(start, end, amount, "item", beforeProduct ? 0.75 : 0.6);
  }
  return found.sort((a, b) => a.start - b.start);
}
