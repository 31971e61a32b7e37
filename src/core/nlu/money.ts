import { CountryCode } from "libphonenumber-js";
import { NUMBER_WORD_PATTERN, numberFromWords } from "./number-words";
import { FoundSpan } from "./text";

export interface FoundMoney extends FoundSpan {
  value: { amount: number; currency: string };
}

type CurrencyOf = string | ((region?: CountryCode) => string);

/** A bare `$` is the chat country's dollar or peso. */
const DOLLAR_OF_COUNTRY: Record<string, string> = {
  MX: "MXN",
  AR: "ARS",
  CO: "COP",
  CL: "CLP",
  CA: "CAD",
  AU: "AUD",
  SG: "SGD",
  NZ: "NZD",
  HK: "HKD",
};
const CFA_FRANC: Record<string, string> = {
  SN: "XOF",
  CI: "XOF",
  ML: "XOF",
  BF: "XOF",
  BJ: "XOF",
  TG: "XOF",
  NE: "XOF",
  CM: "XAF",
  GA: "XAF",
  CG: "XAF",
  TD: "XAF",
  CF: "XAF",
  CH: "CHF",
};
// Codes that are also everyday words ("pen", "php") are left out: their symbols still count (S/, ₱).
const PESO_OF_COUNTRY: Record<string, string> = { MX: "MXN", AR: "ARS", CO: "COP", CL: "CLP" };
const ISO_CODES = "usd|eur|gbp|brl|mxn|ars|cop|clp|zar|cad|aud|nzd|sgd|hkd|jpy|cny|rmb|idr|myr|ngn|kes|inr|aed|chf";
/** Millions of a currency in business shorthand: "30 MUSD", "MEUR 120" (upper case only: "Maud" is a name). */
const MILLION_CODES = "musd|meur|mgbp|maud|mcad|mchf|msek|mnok|mdkk";
const MILLION_CODE = /^M(USD|EUR|GBP|AUD|CAD|CHF|SEK|NOK|DKK)$/;

/** Currency signs of one money, written before or after the amount ("₫ 50.000", "100 ₡"). */
const SIGNS: [string, string][] = [
  ["₫", "VND"],
  ["₲", "PYG"],
  ["₡", "CRC"],
  ["₵", "GHS"],
  ["৳", "BDT"],
  ["₴", "UAH"],
  ["₾", "GEL"],
  ["₭", "LAK"],
  ["₸", "KZT"],
  ["₮", "MNT"],
  ["₿", "BTC"],
];

/** Written before the amount: symbol or code, and what it means. Longest symbols first. */
const CURRENCY_BEFORE: [string, CurrencyOf][] = [
  ...SIGNS,
  ["R\\$", "BRL"],
  ["U\\.?S\\.?\\s?\\$|USD\\$|U\\$[DS]", "USD"],
  ["C\\s?\\$", "CAD"],
  ["AU?\\$", "AUD"],
  ["S\\$", "SGD"],
  ["HK\\s?\\$", "HKD"],
  ["mex\\$", "MXN"],
  ["(?:cad|aud|nzd|mxn|sgd|hkd|nz|mx)\\$", ""],
  ["\\$", (region) => DOLLAR_OF_COUNTRY[region ?? ""] ?? "USD"],
  ["€", "EUR"],
  ["£", "GBP"],
  ["₹|Rs\\.?|INR", "INR"],
  ["¥", (region) => (region === "CN" ? "CNY" : "JPY")],
  ["₦", "NGN"],
  ["₱", "PHP"],
  ["₩", "KRW"],
  ["฿", "THB"],
  ["₺", "TRY"],
  ["Rp\\.?", "IDR"],
  ["RM", "MYR"],
  ["Ksh\\.?|KES", "KES"],
  ["S\\/", "PEN"],
  ["AED|Dhs", "AED"],
  ["CHF", "CHF"],
  [MILLION_CODES, ""],
  [ISO_CODES, ""],
  ["\\bR(?=\\s?\\d)", (region) => (region === "ZA" ? "ZAR" : "")],
];

/** Written after the amount: the word (lower case) and what it means. */
const CURRENCY_AFTER: [string, CurrencyOf][] = [
  ...SIGNS,
  // "10 $" (Quebec, and French-style writing elsewhere).
  ["\\$(?!\\s?\\d)", (region) => DOLLAR_OF_COUNTRY[region ?? ""] ?? "USD"],
  ["(?:us|american) dollars?", "USD"],
  ["new zealand dollars?|nz dollars?", "NZD"],
  ["chinese yuan|renminbi", "CNY"],
  ["japanese yen", "JPY"],
  ["indian rupees?", "INR"],
  ["brazilian reais|brazilian real", "BRL"],
  ["south african rand", "ZAR"],
  ["mexican pesos?", "MXN"],
  ["argentine pesos?|pesos argentinos", "ARS"],
  ["colombian pesos?|pesos colombianos", "COP"],
  ["chilean pesos?|pesos chilenos", "CLP"],
  ["philippine pesos?", "PHP"],
  ["bitcoins?|btc", "BTC"],
  ["(?:australian|aussie) dollars?|d[oó]lares australianos", "AUD"],
  ["canadian dollars?", "CAD"],
  ["singapore dollars?", "SGD"],
  ["hong kong dollars?", "HKD"],
  ["swiss francs?|francos suizos|francos sui[çc]os|francs suisses|schweizer franken", "CHF"],
  ["(?:turkish )?liras?", "TRY"],
  ["€|eur|euros?", "EUR"],
  ["reais|real|contos?|pilas?", "BRL"],
  ["bucks|dollars?|d[oó]lares", "USD"],
  ["quid|pounds|libras", "GBP"],
  ["rupees|rupaye|rupay|rupias|rs", "INR"],
  ["chf|franken", "CHF"],
  // Outside the CFA countries the franc still in use is the Swiss one.
  ["francs?|francos?", (region) => CFA_FRANC[region ?? ""] ?? "CHF"],
  ["yen(?:es)?|ienes", "JPY"],
  ["yuan(?:es|s)?|rmb|元", "CNY"],
  ["naira", "NGN"],
  ["rand", "ZAR"],
  ["ringgit", "MYR"],
  ["rupiah", "IDR"],
  ["dirhams?|dhs", "AED"],
  ["pesos", (region) => PESO_OF_COUNTRY[region ?? ""] ?? "MXN"],
  ["lucas", "ARS"],
  [MILLION_CODES, ""],
  [ISO_CODES, ""],
];

/** Words that multiply the amount before them ("$75 million", "2 lakh", "R$ 1,5 mil", "5k"). */
const SCALES: [string, number][] = [
  ["mil mill[oó]n(?:es)?|mil milh(?:ão|ao|ões|oes)", 1e9],
  ["k|mil|thousand|tausend|mille", 1e3],
  ["lakhs?|lacs?", 1e5],
  ["crores?|cr", 1e7],
  ["millions?|mn|mio|mln|mill[oó]n(?:es)?|milh(?:ão|ao|ões|oes)|millionen", 1e6],
  ["billions?|bn|mrd|milliarden?|milliards?|bilh(?:ão|ao|ões|oes)", 1e9],
];
/** "5k" and "2 mil" are money in a chat on their own; "5 million" may be people or views. */
const CHAT_THOUSANDS = /^(?:k|mil)$/i;

const group = (alternatives: string[]) => alternatives.map((a) => `(?:${a})`).join("|");
/** Symbols that start with a letter must start a word: "farm 20" holds no "RM 20". */
const wordStart = (alternatives: string[]) =>
  alternatives.map((a) =>
    a
      .split("|")
      .map((s) => (/^[A-Za-z]/.test(s) ? `\\b${s}` : s))
      .join("|"),
  );
// The amount: thousands grouped the Indian way (1,50,000), in threes (1.234,56 / 1,234.50 / 2'890), or plain.
const AMOUNT = "\\d{1,2}(?:,\\d{2})+,\\d{3}(?:\\.\\d{1,2})?|\\d{1,3}(?:[.,' ]\\d{3}){1,4}(?:[.,]\\d{1,2})?|\\d{1,9}(?:[.,]\\d{1,2})?";
const WORD_END = "(?![A-Za-zÀ-ÿ\\d])";
/** Hundredths of the chat country's money: "50 cents", "14,27 centavos". */
const SUBUNIT = "cents?|centavos?|c[ée]ntimos?|pence|peniques|penies";
const BEFORE = group(wordStart(CURRENCY_BEFORE.map(([symbols]) => symbols)));
const AFTER = group([...CURRENCY_AFTER.map(([words]) => words), SUBUNIT]);
/** Millions and billions, which may also follow the currency: "75 USD million". */
const LARGE_SCALES = group(SCALES.filter(([, factor]) => factor >= 1e6).map(([words]) => words));
const MONEY = new RegExp(
  `(${BEFORE})?\\s?(${AMOUNT})(\\s?(?:${group(SCALES.map(([words]) => words))})${WORD_END}(?:\\s(?:de|of)(?=\\s(?:${AFTER})${WORD_END}))?)?(?:\\s?(${AFTER})${WORD_END})?(?:\\s(${LARGE_SCALES})${WORD_END})?`,
  "gi",
);

/** An amount in words with its currency after it: "thirty euros", "cinquenta reais", "a hundred bucks". */
const MONEY_IN_WORDS = new RegExp(
  `(?<![\\p{L}\\d])((?:a\\s+)?(?:${NUMBER_WORD_PATTERN})(?:[\\s-]+(?:(?:and|y|e|und|et)\\s+)?(?:${NUMBER_WORD_PATTERN})){0,5})(?:\\s+(${group(SCALES.map(([words]) => words))})(?:\\s+(?:de|of))?)?\\s+(${AFTER})(?![\\p{L}\\d])`,
  "giu",
);

/** A fraction of a million or a billion: "half a million dollars", "a quarter million usd", "meio milhão de reais". */
const FRACTIONS: [RegExp, number][] = [
  [/^(?:a\s+)?half$|^mei[oa]$|^medi[oa]$|^halbe?$|^demi$/i, 0.5],
  [/^(?:a\s+)?quarter$/i, 0.25],
  [/^three[\s-]quarters?$/i, 0.75],
];
const MONEY_AS_FRACTION = new RegExp(
  `(?<![\\p{L}\\d])((?:a\\s+)?half|(?:a\\s+)?quarter|three[\\s-]quarters?|mei[oa]|medi[oa]|halbe?|demi)(?:\\s+(?:a|an|of\\s+a))?[\\s-]+(${LARGE_SCALES})(?:\\s+(?:de|of))?\\s+(${AFTER})(?![\\p{L}\\d])`,
  "giu",
);

/** Words that make a bare number an amount of money. */
const PRICE_CUE =
  /\b(?:price|prices|cost|costs|total|pay|paid|pagar|pago|pagué|paguei|preço|preco|precio|valor|cuánto|cuanto|quanto|kitna|kitne|daam|paisa|pix|kostet|preis|prix|coûte|budget|orçamento|zyada|mehenga|mehnga|sasta|discount|desconto|descuento|rabatt|barato|caro|cheap|expensive|cher)(?![\p{L}\d])/iu;
/** An amount with its currency marker somewhere in the message: the message is about money. */
const MARKED_AMOUNT = /(?:R\$|US\$|\$|€|£|₹|\bRs\.?)\s?\d|\d\s?(?:€|\b(?:euros?|reais|bucks|dollars|quid|rupees|pesos)\b)/i;
/** A number followed by one of these is not money. */
const NOT_MONEY_AFTER =
  /^\s?(?:%|x\b|kg|g\b|gb|mb|ml|l\b|km|m\b|cm|mm|min|h\b|hrs?|days?|dias?|días|din|tage|jours|pax|personas|pessoas|people|units?|pcs|unidades|st(?:ü|u)ck|am\b|pm\b|uhr|horas?|:)/i;
/** A number right after these is a card ending, a code or a reference, not an amount. */
const NOT_MONEY_BEFORE =
  /(?:ending(?: in)?|ends? in|terminad[ao] (?:en|em)|final(?:izado)? (?:em|en)|endet auf|finissant par|otp|pin|code|c[oó]digo|ref(?:erence)?|utr|no\.?|n[º°]|#|order|pedido|size|talla|tamanho|nota|top)\s*[:#]?\s*$/i;
/** A day after its month ("sept. 30", "Oct 25") is a date. */
const AFTER_MONTH =
  /\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\s?\.?\s*$/i;

/** Words that may follow a bare amount in a message about money ("550 mein de do", "600 final", "1.500 no pix"). */
const AMOUNT_FOLLOWERS = /^\s?(?:[?!.,;)]|$|mein|me|ka|ki|ke|kar|final|tak|no\b|na\b|de\b|pe\b|por\b|pra\b|para\b|only|each|total|max|ok)/i;
/** The money of a chat's country, for amounts written without a currency. */
const CURRENCY_OF_COUNTRY: Record<string, string> = {
  IN: "INR",
  BR: "BRL",
  MX: "MXN",
  AR: "ARS",
  CO: "COP",
  CL: "CLP",
  PE: "PEN",
  ES: "EUR",
  PT: "EUR",
  DE: "EUR",
  FR: "EUR",
  IT: "EUR",
  AT: "EUR",
  NL: "EUR",
  BE: "EUR",
  GB: "GBP",
  US: "USD",
  CA: "CAD",
  AU: "AUD",
  SG: "SGD",
  ZA: "ZAR",
  CH: "CHF",
  AE: "AED",
  ID: "IDR",
  MY: "MYR",
  NG: "NGN",
  KE: "KES",
  PH: "PHP",
};
const COMMA_DECIMAL = new Set<string>([
  "BR",
  "PT",
  "ES",
  "AR",
  "CO",
  "CL",
  "PE",
  "UY",
  "PY",
  "BO",
  "VE",
  "DE",
  "AT",
  "FR",
  "BE",
  "IT",
  "NL",
  "ID",
  "VN",
  "TR",
]);

/** A written amount as a number, with the writer's separators (1.234,56 in Brazil, 1,234.56 in the US, 1,50,000 in India). */
export function readAmount(written: string, region?: CountryCode): number | undefined {
  const text = written.replace(/\s/g, "");
  const lastDot = text.lastIndexOf(".");
  const lastComma = text.lastIndexOf(",");
  let normalized: string;
  if (text.includes("'")) normalized = text.replace(/'/g, "").replace(",", ".");
  else if (lastDot >= 0 && lastComma >= 0)
    normalized = lastComma > lastDot ? text.replace(/\./g, "").replace(",", ".") : text.replace(/,/g, "");
  else if (lastComma >= 0) {
    const decimals = text.length - lastComma - 1;
    normalized = decimals !== 3 ? text.replace(",", ".") : text.replace(/,/g, "");
  } else if (lastDot >= 0) {
    const decimals = text.length - lastDot - 1;
    const dotIsThousands = decimals === 3 && (COMMA_DECIMAL.has(region ?? "") || (text.match(/\./g) ?? []).length > 1);
    normalized = dotIsThousands ? text.replace(/\./g, "") : text;
  } else normalized = text;
  const amount = Number(normalized);
  return Number.isFinite(amount) ? amount : undefined;
}

/**
 * In a message about a price, a number written without a currency is an amount when it stands
 * alone (not glued to letters, not a year or a postcode, not a count of things) and is not tiny.
 */
function isBareAmount(text: string, start: number, amountText: string): boolean {
  const end = start + amountText.length;
  if (/[\p{L}\d#/:-]/u.test(text[start - 1] ?? "") || /[\p{L}\d%]/u.test(text[end] ?? "")) return false;
  const value = Number(amountText.replace(/\D/g, ""));
  if (value < 20) return false;
  if (/^\d{4}$/.test(amountText) && value >= 1900 && value <= 2100) return false;
  if (/^\d{5,}$/.test(amountText)) return false;
  const before = text.slice(Math.max(0, start - 24), start);
  if (NOT_MONEY_BEFORE.test(before) || AFTER_MONTH.test(before)) return false;
  const following = text.slice(end, end + 12);
  return !NOT_MONEY_AFTER.test(following) && AMOUNT_FOLLOWERS.test(following);
}

/** A currency as read, or a million of it for business shorthand written in upper case ("30 MUSD"); undefined for a lower-case "maud" (a name). */
function inMillions(currency: string, written: string): { currency: string; factor: number } | undefined {
  const millions = MILLION_CODE.exec(currency);
  if (!millions) return { currency, factor: 1 };
  return MILLION_CODE.test(written.trim()) ? { currency: millions[1], factor: 1e6 } : undefined;
}

const whole = (table: [string, CurrencyOf][]): [RegExp, CurrencyOf][] =>
  table.map(([pattern, currency]) => [new RegExp(`^(?:${pattern})$`, "i"), currency]);
const BEFORE_MATCHERS = whole(CURRENCY_BEFORE);
const AFTER_MATCHERS = whole(CURRENCY_AFTER);
const SCALE_MATCHERS = SCALES.map(([words, factor]) => [new RegExp(`^(?:${words})$`, "i"), factor] as const);
const scaleOf = (written: string) => SCALE_MATCHERS.find(([words]) => words.test(written))?.[1] ?? 1;
const SUBUNIT_WORD = new RegExp(`^(?:${SUBUNIT})$`, "i");

function currencyOf(table: [RegExp, CurrencyOf][], written: string, region?: CountryCode): string | undefined {
  const entry = table.find(([pattern]) => pattern.test(written));
  if (!entry) return undefined;
  const code = typeof entry[1] === "function" ? entry[1](region) : entry[1];
  // A bare code ("usd", "nzd$"): the code itself.
  return (
    code ||
    (code === "" && typeof entry[1] === "string"
      ? written
          .toUpperCase()
          .replace(/[^A-Z]/g, "")
          .replace(/^RMB$/, "CNY")
          .replace(/^NZ$/, "NZD")
          .replace(/^MX$/, "MXN")
      : "")
  );
}

/**
 * Money with its currency: a symbol or code before ("R$ 1.234,56", "Rp 50.000", "C$ 16.4 million"),
 * a word after ("3,49 €", "528 million francs", "2 lakh rupees"), a scale word ("5k", "R$ 1,5 mil",
 * "$75 million", "2 crore"), or, in a message about a price, a bare amount in the chat country's money.
 */
export function findMoney(text: string, region?: CountryCode): FoundMoney[] {
  const found: FoundMoney[] = [];
  const inHundredths = new Set<FoundMoney>();
  const aboutMoney = PRICE_CUE.test(text) || MARKED_AMOUNT.test(text);
  for (const m of text.matchAll(MONEY)) {
    const [matched, before, amountText, scaleText, after, scaleAfterCurrency] = m;
    // A scale after the currency counts only after a code ("75 USD million"), where none came before it.
    const scaleAfterCode = scaleAfterCurrency !== undefined && !scaleText && after !== undefined && /^[a-z]{3}$/i.test(after.trim());
    const whole = scaleAfterCurrency && !scaleAfterCode ? matched.slice(0, matched.length - scaleAfterCurrency.length).trimEnd() : matched;
    const scale = (scaleText ?? (whole === matched ? scaleAfterCurrency : undefined))?.trim().replace(/\s+(?:de|of)$/i, "");
    const chatThousands = scale !== undefined && CHAT_THOUSANDS.test(scale);
    const start = m.index! + (whole.length - whole.trimStart().length);
    if (!before && !after && !chatThousands && !(aboutMoney && isBareAmount(text, start, amountText))) continue;
    let currency = "";
    if (before) {
      currency = currencyOf(BEFORE_MATCHERS, before.trim(), region) ?? "";
      if (!currency) continue; // a South African "R" outside South Africa
    } else if (after) currency = currencyOf(AFTER_MATCHERS, after.trim(), region) ?? "";
    else currency = CURRENCY_OF_COUNTRY[region ?? ""] ?? "";
    let amount = readAmount(amountText, region);
    const hundredths = after !== undefined && SUBUNIT_WORD.test(after.trim());
    if (hundredths && amount !== undefined) {
      currency = CURRENCY_OF_COUNTRY[region ?? ""] ?? "USD";
      amount /= 100;
    }
    if (amount === undefined || !currency) continue;
    const money = inMillions(currency, before ?? after ?? "");
    if (!money) continue;
    currency = money.currency;
    amount *= money.factor;
    if (scale) amount *= scaleOf(scale);
    if (after && /lucas/i.test(after)) amount *= 1000;
    const end = m.index! + whole.trimEnd().length;
    found.push({ start, end, confidence: 0.85, value: { amount: Math.round(amount * 100) / 100, currency } });
    if (hundredths) inHundredths.add(found[found.length - 1]);
  }
  for (const m of text.matchAll(MONEY_IN_WORDS)) {
    const [whole, amountText, scale, after] = m;
    const counted = numberFromWords(amountText);
    const amount = counted === undefined || !scale ? counted : counted * scaleOf(scale);
    const hundredths = SUBUNIT_WORD.test(after);
    const read = hundredths ? (CURRENCY_OF_COUNTRY[region ?? ""] ?? "USD") : currencyOf(AFTER_MATCHERS, after, region);
    const money = read ? inMillions(read, after) : undefined;
    if (amount === undefined || !money || found.some((f) => m.index! < f.end && m.index! + whole.length > f.start)) continue;
    found.push({
      start: m.index!,
      end: m.index! + whole.length,
      confidence: 0.8,
      value: { amount: (hundredths ? amount / 100 : amount) * money.factor, currency: money.currency },
    });
    if (hundredths) inHundredths.add(found[found.length - 1]);
  }
  for (const m of text.matchAll(MONEY_AS_FRACTION)) {
    const [whole, fraction, scale, after] = m;
    const share = FRACTIONS.find(([words]) => words.test(fraction.replace(/\s+/g, " ")))?.[1];
    const currency = currencyOf(AFTER_MATCHERS, after, region);
    if (
      share === undefined ||
      !currency ||
      MILLION_CODE.test(currency) ||
      found.some((f) => m.index! < f.end && m.index! + whole.length > f.start)
    )
      continue;
    found.push({ start: m.index!, end: m.index! + whole.length, confidence: 0.8, value: { amount: share * scaleOf(scale), currency } });
  }
  return joinSubunits(
    text,
    found.sort((a, b) => a.start - b.start),
    inHundredths,
  );
}

/** What may stand between whole units and their hundredths: "3 dollars and 50 cents", "10 reais e 50 centavos". */
const UNITS_THEN_SUBUNITS = /^\s*(?:,|and|e|y|con|com|et|und)?\s*$/i;
/** Hundredths said without their name after units with a currency word: "15 dollars 50", "thirteen dollars forty five". */
const BARE_HUNDREDTHS = new RegExp(
  `^\\s+(?:(?:and|e|y|con|com|et|und)\\s+)?(\\d{2}|(?:${NUMBER_WORD_PATTERN})(?:[\\s-]+(?:${NUMBER_WORD_PATTERN}))?)(?![\\p{L}\\d]|[.,]\\d)`,
  "iu",
);

/** What may follow such hundredths: the sentence's end, or a word about the price ("a month", "each", "no pix"); not "two bottles". */
const AFTER_BARE_HUNDREDTHS = /^(?:\s*(?:[.,;:!?)]|$)|\s+(?:a|an|per|each|only|por|cada|pro|al|no|na|pe|ka|par)\b)/i;

/**
 * Whole units followed by their hundredths are one amount, in the units' money: "5 euros con 20
 * céntimos" is 5.20 EUR, and so is "5 euros 20" (not "5 euros 20 minutes ago" or "5 euros and two bottles").
 */
function joinSubunits(text: string, found: FoundMoney[], inHundredths: Set<FoundMoney>): FoundMoney[] {
  const joined: FoundMoney[] = [];
  const add = (units: FoundMoney, end: number, hundredths: number) => ({
    ...units,
    end,
    value: { ...units.value, amount: Math.round((units.value.amount + hundredths) * 100) / 100 },
  });
  for (const money of found) {
    const units = joined[joined.length - 1];
    const fits =
      units && inHundredths.has(money) && !inHundredths.has(units) && Number.isInteger(units.value.amount) && money.value.amount < 1;
    if (fits && UNITS_THEN_SUBUNITS.test(text.slice(units.end, money.start)))
      joined[joined.length - 1] = add(units, money.end, money.value.amount);
    else joined.push(money);
  }
  const result: FoundMoney[] = [];
  for (let i = 0; i < joined.length; i++) {
    const units = joined[i];
    result.push(units);
    if (inHundredths.has(units) || !Number.isInteger(units.value.amount) || !/\p{L}$/u.test(text.slice(units.start, units.end))) continue;
    const bare = BARE_HUNDREDTHS.exec(text.slice(units.end, units.end + 60));
    if (!bare) continue;
    const end = units.end + bare[0].length;
    const hundredths = /^\d/.test(bare[1]) ? Number(bare[1]) : numberFromWords(bare[1]);
    if (hundredths === undefined || hundredths <= 0 || hundredths >= 100 || !AFTER_BARE_HUNDREDTHS.test(text.slice(end, end + 12)))
      continue;
    // The number may have been read as a bare amount of its own: it is these hundredths instead.
    const next = joined[i + 1];
    if (next && next.start < end) {
      if (next.start < end - bare[1].length || next.end > end) continue;
      i += 1;
    }
    result[result.length - 1] = add(units, end, hundredths / 100);
  }
  return result;
}
