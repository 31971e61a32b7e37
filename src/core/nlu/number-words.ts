/**
 * Amounts written in words, in the pack's languages: "thirty", "twenty-five", "two hundred and
 * fifty", "cincuenta", "trinta e cinco", "fünfzig", "quarante", "cent vingt". Units, teens and tens
 * add up; hundred and thousand multiply what came before them.
 */
const VALUES: Record<string, number> = {
  // English
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  // Spanish
  uno: 1,
  una: 1,
  dos: 2,
  tres: 3,
  cuatro: 4,
  cinco: 5,
  seis: 6,
  siete: 7,
  ocho: 8,
  nueve: 9,
  diez: 10,
  once: 11,
  doce: 12,
  trece: 13,
  catorce: 14,
  quince: 15,
  dieciséis: 16,
  dieciseis: 16,
  diecisiete: 17,
  dieciocho: 18,
  diecinueve: 19,
  veinte: 20,
  treinta: 30,
  cuarenta: 40,
  cincuenta: 50,
  sesenta: 60,
  setenta: 70,
  ochenta: 80,
  noventa: 90,
  veintiuno: 21,
  veintiún: 21,
  veintidós: 22,
  veintitrés: 23,
  veinticuatro: 24,
  veinticinco: 25,
  veintiséis: 26,
  veintisiete: 27,
  veintiocho: 28,
  veintinueve: 29,
  // Portuguese
  um: 1,
  uma: 1,
  dois: 2,
  duas: 2,
  três: 3,
  quatro: 4,
  sete: 7,
  oito: 8,
  nove: 9,
  dez: 10,
  onze: 11,
  doze: 12,
  treze: 13,
  catorze: 14,
  quatorze: 14,
  quinze: 15,
  dezesseis: 16,
  dezasseis: 16,
  dezessete: 17,
  dezassete: 17,
  dezoito: 18,
  dezenove: 19,
  dezanove: 19,
  vinte: 20,
  trinta: 30,
  quarenta: 40,
  cinquenta: 50,
  sessenta: 60,
  oitenta: 80,
  // German
  eins: 1,
  zwei: 2,
  drei: 3,
  vier: 4,
  fünf: 5,
  sechs: 6,
  sieben: 7,
  acht: 8,
  neun: 9,
  zehn: 10,
  elf: 11,
  zwölf: 12,
  dreizehn: 13,
  vierzehn: 14,
  fünfzehn: 15,
  sechzehn: 16,
  siebzehn: 17,
  achtzehn: 18,
  neunzehn: 19,
  zwanzig: 20,
  dreißig: 30,
  vierzig: 40,
  fünfzig: 50,
  sechzig: 60,
  siebzig: 70,
  achtzig: 80,
  neunzig: 90,
  // French (quatorze as in Portuguese)
  un: 1,
  une: 1,
  deux: 2,
  trois: 3,
  quatre: 4,
  cinq: 5,
  sept: 7,
  huit: 8,
  neuf: 9,
  dix: 10,
  douze: 12,
  treize: 13,
  seize: 16,
  vingt: 20,
  trente: 30,
  quarante: 40,
  cinquante: 50,
  soixante: 60,
};
/** German writes 21-99 as one word: fünfundzwanzig = 5 + 20. */
const GERMAN_UNITS: Record<string, number> = { ein: 1, zwei: 2, drei: 3, vier: 4, fünf: 5, sechs: 6, sieben: 7, acht: 8, neun: 9 };
const GERMAN_TENS: Record<string, number> = Object.fromEntries(
  ["zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig"].map((word) => [word, VALUES[word]]),
);
const GERMAN_COMPOUND = new RegExp(`^(${Object.keys(GERMAN_UNITS).join("|")})und(${Object.keys(GERMAN_TENS).join("|")})$`, "u");
const HUNDREDS: Record<string, number> = {
  hundred: 100,
  cien: 100,
  ciento: 100,
  cem: 100,
  cento: 100,
  hundert: 100,
  cent: 100,
  doscientos: 200,
  trescientos: 300,
  quinientos: 500,
  duzentos: 200,
  trezentos: 300,
  quinhentos: 500,
};
const THOUSANDS = new Set(["thousand", "mil", "tausend", "mille"]);
/** Between number words: "and", "y", "e", "und", "et", "a" ("a hundred"). */
const JOINERS = new Set(["and", "y", "e", "und", "et", "a"]);

/** Every single number word and its value (units, teens and tens of the pack's languages). */
export const NUMBER_WORD_VALUES: Readonly<Record<string, number>> = VALUES;

export const NUMBER_WORD_PATTERN = [
  `(?:${Object.keys(GERMAN_UNITS).join("|")})und(?:${Object.keys(GERMAN_TENS).join("|")})`,
  ...[...Object.keys(VALUES), ...Object.keys(HUNDREDS), ...THOUSANDS].sort((a, b) => b.length - a.length),
].join("|");

/** The number a run of number words says, or undefined when the words are not one number. */
export function numberFromWords(written: string): number | undefined {
  const words = written
    .toLowerCase()
    .split(/[\s-]+/u)
    .filter(Boolean);
  let total = 0;
  let current = 0;
  let seen = false;
  for (const [i, word] of words.entries()) {
    if (JOINERS.has(word)) {
      if (i === 0 && word !== "a") return undefined;
      continue;
    }
    const german = GERMAN_COMPOUND.exec(word);
    if (german) {
      current += GERMAN_UNITS[german[1]] + GERMAN_TENS[german[2]];
      seen = true;
    } else if (word in VALUES) {
      current += VALUES[word];
      seen = true;
    } else if (word in HUNDREDS) {
      current = (current || 1) * HUNDREDS[word];
      seen = true;
    } else if (THOUSANDS.has(word)) {
      total += (current || 1) * 1000;
      current = 0;
      seen = true;
    } else return undefined;
  }
  return seen ? total + current : undefined;
}
