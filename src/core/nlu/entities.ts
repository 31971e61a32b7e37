import { CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";
import { findAddresses } from "./address";
import { extractDatetimes } from "./datetime";
import { findPersons } from "./person";
import { findProducts } from "./product";
import { findQuantities } from "./quantity";

export type EntityType = "phone" | "email" | "url" | "order_id" | "tracking_number" | "money" | "datetime" | "address" | "person" | "product" | "quantity";

export interface EntitySpan {
  type: EntityType;
  /** JavaScript string offsets (UTF-16 code units), end exclusive. */
  start: number;
  end: number;
  text: string;
  value: unknown;
  confidence: number;
  /** rule: a pattern or parser; gazetteer: a word list (first names, goods nouns, the shop's catalogue). */
  source: "rule" | "gazetteer";
}

export interface EntityContext {
  /** The chat's country (ISO 3166 alpha-2), for numbers written without a country code. */
  region?: CountryCode;
  /** Extra patterns for order ids (regular expressions; the first group, or the match, is the id). */
  orderPatterns?: RegExp[];
  /** When the message was sent (ms): dates and times are resolved against its day (UTC). */
  sentAt?: number;
  /** The shop's product names, matched before the general list of goods nouns. */
  productCatalogue?: readonly string[];
}

/** The country of a WhatsApp chat id (`5511987654321@c.us` → BR), when the number says it. */
export function regionOfChat(chatId: string | undefined): CountryCode | undefined {
  const digits = /^(\d{6,15})@c\.us$/.exec(chatId ?? "")?.[1];
  if (!digits) return undefined;
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  // A fictional number (07700 900xxx) has no country of its own; its calling code's main country stands in.
  return parsed?.country ?? parsed?.getPossibleCountries()[0];
}

const EMAIL = /[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.){1,8}[A-Za-z]{2,24}\b/g;
const CLICK_TO_CHAT = /(?:https?:\/\/)?(?:wa\.me\/\+?\d{6,15}(?:\?[^\s]{0,500})?|api\.whatsapp\.com\/send\?phone=\+?\d{6,15}[^\s]{0,500})/gi;
const URL = /(?:https?:\/\/|www\.)[^\s<>"'“”]{2,2000}|\b[a-z0-9](?:[a-z0-9-]{0,62}\.){1,5}(?:com|net|org|io|app|shop|store|br|in|de|fr|es|mx|ar|co|uk|pt|it|info|biz|me|la|ly|gl|to|link|site|online|xyz|ai|sg|au|ca|nz|za|cl|pe|uy|ch|at|nl|be)(?:\/[^\s<>"'“”]{0,2000})?(?![\w@])/gi;
const PHONE = /(?:\(\+\d{1,3}\)\s?|\+|\b00)?(?:\(\s?\d{1,4}\s?\)|\d{1,4})(?:(?:\s?[/.-]\s?|\s)?(?:\(\s?\d{1,5}\s?\)|\d{1,5})){1,7}/g;
/** Words after which a run of digits is a phone number even when it is not valid in the chat's country. */
const PHONE_CUE = /\b(?:phone|tel|telephone|mobile|mob|cell|cel|celular|telefone|teléfono|telefono|móvil|whatsapp|wa|number|número|numero|nummer|numéro|contact|contato|contacto|call|ligar|llamar)\b[^\d\n]{0,20}$/i;
const TRACKING = [
  /\b[A-Z]{2}\s?\d{3}\s?\d{3}\s?\d{3}\s?[A-Z]{2}\b/g, // UPU S10 (post offices: QB123456789BR)
  /\b1Z[0-9A-Z]{16}\b/g, // UPS
];
const TRACKING_CUE = /\b(?:tracking|track|awb|rastreio|rastreamento|seguimiento|guía|guia|sendungsnummer|sendungsverfolgung|suivi|colis|dhl|ups|fedex|usps|correios|auspost|royal mail|dpd|gls|hermes|delhivery|bluedart|estafeta|servientrega|andreani|chronopost|colissimo)/gi;
/** A code in capitals and digits (spaces or hyphens between groups), with at least one digit. */
const TRACKING_CODE = /(?<![\w])[A-Z0-9](?:[A-Z0-9]|[ -](?=[A-Z0-9])){8,40}(?![\w])/;
const ORDER_CUE = /\b(?:order|pedido|encomenda|bestellung|bestellnummer|commande|orden|po(?:\s+number)?)\s*(?:n[º°o]\.?|no\.|number|nummer|número|numero|id|#|:)?(?:\s+(?:is|es|é|ist|est|was|era))?\s*[:#]?\s*([A-Z0-9](?:[A-Z0-9-]{2,23})[A-Z0-9])\b/gi;
/** Shop-style ids without a cue word: letters, digits and hyphens such as ES-3390-AX or LMP-55093. */
const CODED_ID = /\b[A-Z]{2,4}-\d{3,8}(?:-[A-Z0-9]{1,4})?\b/g;
const HASH_ID = /#\s?([A-Z0-9](?:[A-Z0-9-]{2,23})[A-Z0-9])\b/gi;

/** A bare `$` is the chat country's dollar or peso. */
const DOLLAR_OF_COUNTRY: Record<string, string> = { MX: "MXN", AR: "ARS", CO: "COP", CL: "CLP", CA: "CAD", AU: "AUD", SG: "SGD" };

const CURRENCY_BEFORE: [RegExp, string | ((region?: CountryCode) => string)][] = [
  [/^R\$$/i, "BRL"],
  [/^US\$$/i, "USD"],
  [/^\$$/, (region) => DOLLAR_OF_COUNTRY[region ?? ""] ?? "USD"],
  [/^€$/, "EUR"],
  [/^£$/, "GBP"],
  [/^(?:₹|rs\.?|inr)$/i, "INR"],
  [/^chf$/i, "CHF"],
  [/^s\/$/i, "PEN"],
  [/^(?:aed|dhs)$/i, "AED"],
  [/^(?:usd|eur|gbp|brl|mxn|ars|cop|clp|zar)$/i, ""],
  [/^R$/, (region) => (region === "ZA" ? "ZAR" : "")],
];
const CURRENCY_AFTER: Record<string, string> = {
  "€": "EUR",
  eur: "EUR",
  euro: "EUR",
  euros: "EUR",
  reais: "BRL",
  real: "BRL",
  conto: "BRL",
  contos: "BRL",
  pila: "BRL",
  pilas: "BRL",
  bucks: "USD",
  dollars: "USD",
  dollar: "USD",
  usd: "USD",
  quid: "GBP",
  pounds: "GBP",
  rupees: "INR",
  rupaye: "INR",
  rupay: "INR",
  rs: "INR",
  chf: "CHF",
  franken: "CHF",
  pesos: "",
  lucas: "ARS",
  dhs: "AED",
};
const MONEY = /(R\$|US\$|\$|€|£|₹|Rs\.?|INR|CHF|S\/|AED|Dhs|USD|EUR|GBP|BRL|MXN|ARS|COP|CLP|ZAR|\bR(?=\s?\d))?\s?(\d{1,3}(?:[.,' ]\d{3}){1,4}(?:[.,]\d{1,2})?|\d{1,9}(?:[.,]\d{1,2})?)(\s?k\b|\s?mil\b)?(?:\s?(€|eur\b|euros?\b|reais\b|real\b|contos?\b|pilas?\b|bucks\b|dollars?\b|usd\b|quid\b|pounds\b|rupees\b|rupaye\b|rupay\b|rs\b|chf\b|franken\b|pesos\b|lucas\b|dhs\b))?/gi;

/** Words that make a bare number an amount of money. */
const PRICE_CUE = /\b(?:price|prices|cost|costs|total|pay|paid|pagar|pago|pagué|paguei|preço|preco|precio|valor|cuánto|cuanto|quanto|kitna|kitne|daam|paisa|pix|kostet|preis|prix|coûte|budget|orçamento|zyada|mehenga|mehnga|sasta|discount|desconto|descuento|rabatt|barato|caro|cheap|expensive|cher)\b/i;
/** An amount with its currency marker somewhere in the message: the message is about money. */
const MARKED_AMOUNT = /(?:R\$|US\$|\$|€|£|₹|\bRs\.?)\s?\d|\d\s?(?:€|\b(?:euros?|reais|bucks|dollars|quid|rupees|pesos)\b)/i;
/** A number followed by one of these is not money. */
const NOT_MONEY_AFTER = /^\s?(?:%|x\b|kg|g\b|gb|mb|ml|l\b|km|m\b|cm|mm|min|h\b|hrs?|days?|dias?|días|din|tage|jours|pax|personas|pessoas|people|units?|pcs|unidades|st(?:ü|u)ck|am\b|pm\b|uhr|horas?|:)/i;
/** A number right after these is a card ending, a code or a reference, not an amount. */
const NOT_MONEY_BEFORE = /(?:ending(?: in)?|ends? in|terminad[ao] (?:en|em)|final(?:izado)? (?:em|en)|endet auf|finissant par|otp|pin|code|c[oó]digo|ref(?:erence)?|utr|no\.?|n[º°]|#|order|pedido|size|talla|tamanho|nota|top)\s*[:#]?\s*$/i;

/** Words that may follow a bare amount in a message about money ("550 mein de do", "600 final", "1.500 no pix"). */
const AMOUNT_FOLLOWERS = /^\s?(?:[?!.,;)]|$|mein|me|ka|ki|ke|kar|final|tak|no\b|na\b|de\b|pe\b|por\b|pra\b|para\b|only|each|total|max|ok)/i;

/**
 * In a message about a price, a number written without a currency is an amount when it stands
 * alone (not glued to letters, not a year or a postcode, not a count of things) and is not tiny.
 */
function isBareAmount(text: string, start: number, amountText: string): boolean {
  const end = start + amountText.length;
  if (/[\p{L}\d#/:-]/u.test(text[start - 1] ?? "") || /[\p{L}\d%]/u.test(text[end] ?? "")) return false;
  const digits = amountText.replace(/\D/g, "");
  const value = Number(digits);
  if (value < 20) return false;
  if (/^\d{4}$/.test(amountText) && value >= 1900 && value <= 2100) return false;
  if (/^\d{5,}$/.test(amountText)) return false;
  if (NOT_MONEY_BEFORE.test(text.slice(Math.max(0, start - 24), start))) return false;
  const following = text.slice(end, end + 12);
  return !NOT_MONEY_AFTER.test(following) && AMOUNT_FOLLOWERS.test(following);
}

/** The money of a chat's country, for amounts written without a currency. */
const CURRENCY_OF_COUNTRY: Record<string, string> = { IN: "INR", BR: "BRL", MX: "MXN", AR: "ARS", CO: "COP", CL: "CLP", PE: "PEN", ES: "EUR", PT: "EUR", DE: "EUR", FR: "EUR", IT: "EUR", AT: "EUR", NL: "EUR", BE: "EUR", GB: "GBP", US: "USD", CA: "CAD", AU: "AUD", SG: "SGD", ZA: "ZAR", CH: "CHF", AE: "AED" };

const COMMA_DECIMAL = new Set<string>(["BR", "PT", "ES", "AR", "CO", "CL", "PE", "DE", "AT", "FR", "BE", "IT", "NL"]);

/** An amount as written, read with the writer's separators: `1.234,56`, `1,234.56`, `2'890`, `12€50`. */
export function readAmount(written: string, region?: CountryCode): number | undefined {
  const text = written.replace(/\s/g, "");
  const lastDot = text.lastIndexOf(".");
  const lastComma = text.lastIndexOf(",");
  let normalized: string;
  if (text.includes("'")) normalized = text.replace(/'/g, "").replace(",", ".");
  else if (lastDot >= 0 && lastComma >= 0) normalized = lastComma > lastDot ? text.replace(/\./g, "").replace(",", ".") : text.replace(/,/g, "");
  else if (lastComma >= 0) {
    const decimals = text.length - lastComma - 1;
    const commaIsDecimal = decimals !== 3 || (COMMA_DECIMAL.has(region ?? "") && (text.match(/,/g) ?? []).length === 1 && decimals !== 3);
    normalized = commaIsDecimal ? text.replace(",", ".") : text.replace(/,/g, "");
  } else if (lastDot >= 0) {
    const decimals = text.length - lastDot - 1;
    const dotIsThousands = decimals === 3 && (COMMA_DECIMAL.has(region ?? "") || (text.match(/\./g) ?? []).length > 1);
    normalized = dotIsThousands ? text.replace(/\./g, "") : text;
  } else normalized = text;
  const amount = Number(normalized);
  return Number.isFinite(amount) ? amount : undefined;
}

function overlaps(spans: EntitySpan[], start: number, end: number): boolean {
  return spans.some((s) => start < s.end && end > s.start);
}

function trimUrl(text: string): string {
  return text.replace(/[.,;:!?)\]}'"»”]+$/u, "");
}

/**
 * The rule-based entities: phone numbers to E.164 (the chat's country for national numbers),
 * e-mail, URLs, order ids after a cue word or `#`, carrier tracking numbers, and money with
 * its currency read with the writer's separators. Spans never overlap: the earlier rule in
 * this order wins (a click-to-chat link is a phone, not a URL).
 */
export function extractRuleEntities(text: string, context: EntityContext = {}): EntitySpan[] {
  const spans: EntitySpan[] = [];
  const add = (type: EntityType, start: number, end: number, value: unknown, confidence: number, source: EntitySpan["source"] = "rule") => {
    if (end <= start || overlaps(spans, start, end)) return;
    spans.push({ type, start, end, text: text.slice(start, end), value, confidence, source });
  };
  for (const m of text.matchAll(CLICK_TO_CHAT)) {
    const digits = /(\d{6,15})/.exec(m[0])![1];
    const parsed = parsePhoneNumberFromString(`+${digits}`);
    if (parsed) add("phone", m.index!, m.index! + m[0].length, parsed.number, 0.95);
  }
  for (const m of text.matchAll(EMAIL)) add("email", m.index!, m.index! + m[0].length, m[0].toLowerCase(), 0.98);
  for (const m of text.matchAll(URL)) {
    const written = trimUrl(m[0]);
    if (/@/.test(written)) continue;
    add("url", m.index!, m.index! + written.length, /^https?:\/\//i.test(written) ? written : `https://${written}`, 0.95);
  }
  for (const pattern of TRACKING) {
    for (const m of text.matchAll(pattern)) add("tracking_number", m.index!, m.index! + m[0].length, m[0].replace(/[\s-]/g, "").toUpperCase(), 0.9);
  }
  for (const m of text.matchAll(TRACKING_CUE)) {
    // The code follows the cue within a few words: "tracking number 1550 1234 5678 90", "auspost says 33XLM1234567".
    const after = m.index! + m[0].length;
    const window = text.slice(after, after + 80);
    const found = TRACKING_CODE.exec(window);
    if (!found || found.index > 25 || /\d/.test(window.slice(0, found.index))) continue;
    const code = found[0];
    const compact = code.replace(/[\s-]/g, "");
    if (!/\d{6}/.test(compact) || compact.length < 10) continue;
    const start = after + found.index;
    add("tracking_number", start, start + code.length, compact.toUpperCase(), 0.8);
  }
  for (const pattern of [...(context.orderPatterns ?? []), ORDER_CUE, HASH_ID, CODED_ID]) {
    const global = pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
    for (const m of text.matchAll(global)) {
      const id = m[1] ?? m[0];
      if (!/\d/.test(id)) continue;
      const start = m.index! + m[0].lastIndexOf(id);
      add("order_id", start, start + id.length, id.replace(/\s/g, "").toUpperCase(), 0.85);
    }
  }
  for (const m of text.matchAll(PHONE)) {
    const written = m[0].replace(/[\s.(/-]+$/, "");
    const digits = written.replace(/\D/g, "");
    if (digits.length < 8 || digits.length > 15) continue;
    const international = /^(?:\+|00|\(\+)/.test(written);
    const parsed = parsePhoneNumberFromString(international ? `+${digits.replace(/^00/, "")}` : written, international ? undefined : context.region);
    // A national number must look like one (a real number of the chat's country, or written with a trunk 0 or in
    // groups, as fictional ranges such as 07700 900xxx are); a long run of digits (UPI, invoice refs) is not a phone.
    const looksNational = parsed?.isValid() || /^\(?0/.test(written) || /[\s().-]/.test(written);
    if (parsed?.isPossible() && (international || looksNational)) {
      add("phone", m.index!, m.index! + written.length, parsed.number, parsed.isValid() ? 0.9 : 0.6);
      continue;
    }
    // After "phone", "cel", "número"... a number of another country written nationally: its digits are kept.
    if (PHONE_CUE.test(text.slice(Math.max(0, m.index! - 40), m.index!))) add("phone", m.index!, m.index! + written.length, international ? `+${digits.replace(/^00/, "")}` : digits, 0.5);
  }
  for (const a of findAddresses(text)) add("address", a.start, a.end, text.slice(a.start, a.end), a.confidence);
  const aboutMoney = PRICE_CUE.test(text) || MARKED_AMOUNT.test(text);
  for (const m of text.matchAll(MONEY)) {
    const [whole, before, amountText, multiplier, after] = m;
    if (!before && !after && !multiplier && !aboutMoney) continue;
    if (!before && !after && !multiplier && !isBareAmount(text, m.index! + (whole.length - whole.trimStart().length), amountText)) continue;
    let currency = "";
    if (before) {
      const rule = CURRENCY_BEFORE.find(([pattern]) => pattern.test(before.trim()));
      const resolved = rule ? (typeof rule[1] === "function" ? rule[1](context.region) : rule[1]) : "";
      currency = resolved || before.trim().toUpperCase();
      if (before.trim() === "R" && !resolved) continue;
    } else if (after) currency = CURRENCY_AFTER[after.trim().toLowerCase()] ?? "";
    if (!currency && after && /pesos/i.test(after)) currency = ({ MX: "MXN", AR: "ARS", CO: "COP", CL: "CLP" } as Record<string, string>)[context.region ?? ""] ?? "MXN";
    // No marker: the chat country's money, when the amount is one (a thousands word or a message about a price).
    if (!currency && !before && !after) currency = CURRENCY_OF_COUNTRY[context.region ?? ""] ?? "";
    let amount = readAmount(amountText, context.region);
    if (amount === undefined || !currency) continue;
    if (multiplier) amount *= 1000;
    if (after && /lucas/i.test(after)) amount *= 1000;
    const start = m.index! + (whole.length - whole.trimStart().length);
    const end = m.index! + whole.trimEnd().length;
    add("money", start, end, { amount: Math.round(amount * 100) / 100, currency }, 0.85);
  }
  if (context.sentAt !== undefined && Number.isFinite(context.sentAt)) {
    for (const d of extractDatetimes(text, context.sentAt, context.region)) add("datetime", d.start, d.end, d.value, 0.75);
  }
  for (const p of findPersons(text)) add("person", p.start, p.end, text.slice(p.start, p.end), p.confidence, "gazetteer");
  const products = findProducts(text, context.productCatalogue);
  for (const q of findQuantities(text, products.map((p) => p.start))) add("quantity", q.start, q.end, q.value, q.confidence);
  for (const p of products) add("product", p.start, p.end, text.slice(p.start, p.end), p.confidence, "gazetteer");
  return spans.sort((a, b) => a.start - b.start);
}
