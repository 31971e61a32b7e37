import { CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";
import { findAddresses } from "./address";
import { findMoney } from "./money";
import { extractDatetimes } from "./datetime";
import { LOOSE_NAME_CONFIDENCE, findPersons } from "./person";
import { CATALOGUE_CONFIDENCE, findProducts } from "./product";
import { findQuantities } from "./quantity";

export const ENTITY_TYPES = [
  "phone",
  "email",
  "url",
  "order_id",
  "tracking_number",
  "money",
  "datetime",
  "quantity",
  "product",
  "person",
  "address",
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface EntitySpan {
  type: EntityType;
  /** JavaScript string offsets (UTF-16 code units), end exclusive. */
  start: number;
  end: number;
  text: string;
  value: unknown;
  confidence: number;
  /**
   * rule: a pattern or parser; gazetteer: a word list (first names, goods nouns, the shop's catalogue); model: the
   * learned tagger; shared: a contact card or location the customer shared (exact).
   */
  source: "rule" | "gazetteer" | "model" | "shared";
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

const REGION_MEMO_LIMIT = 10_000;
/** Chat id → country. Parsing the number costs more than the rest of a short message's rules, and chats repeat. */
const regionMemo = new Map<string, CountryCode | undefined>();

/** The country of a WhatsApp chat id (`5511987654321@c.us` → BR), when the number says it. */
export function regionOfChat(chatId: string | undefined): CountryCode | undefined {
  const digits = /^(\d{6,15})@c\.us$/.exec(chatId ?? "")?.[1];
  if (!digits) return undefined;
  if (regionMemo.has(digits)) return regionMemo.get(digits);
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  // A fictional number (07700 900xxx) has no country of its own; its calling code's main country stands in.
  const region = parsed?.country ?? parsed?.getPossibleCountries()[0];
  // Past the limit the oldest half goes: a busy shop's current chats stay, a flood of new numbers cannot grow it.
  if (regionMemo.size >= REGION_MEMO_LIMIT) {
    let drop = REGION_MEMO_LIMIT / 2;
    for (const key of regionMemo.keys()) {
      regionMemo.delete(key);
      if (--drop === 0) break;
    }
  }
  regionMemo.set(digits, region);
  return region;
}

const EMAIL = /[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.){1,8}[A-Za-z]{2,24}\b/g;
const CLICK_TO_CHAT =
  /(?:https?:\/\/)?(?:wa\.me\/\+?\d{6,15}(?:\?[^\s]{0,500})?|api\.whatsapp\.com\/send\?phone=\+?\d{6,15}[^\s]{0,500})/gi;
const URL =
  /(?:https?:\/\/|www\.)[^\s<>"'“”]{2,2000}|\b[a-z0-9](?:[a-z0-9-]{0,62}\.){1,5}(?:com|net|org|io|app|shop|store|br|in|de|fr|es|mx|ar|co|uk|pt|it|info|biz|me|la|ly|gl|to|link|site|online|xyz|ai|sg|au|ca|nz|za|cl|pe|uy|ch|at|nl|be)(?:\/[^\s<>"'“”]{0,2000})?(?![\w@])/gi;
const PHONE = /(?:\(\+\d{1,3}\)\s?|\+|\b00)?(?:\(\s?\d{1,4}\s?\)|\d{1,4})(?:(?:\s?[/.-]\s?|\s)?(?:\(\s?\d{1,5}\s?\)|\d{1,5})){1,7}/g;
/** Words after which a run of digits is a phone number even when it is not valid in the chat's country. */
const PHONE_CUE =
  /\b(?:phone|tel|telephone|mobile|mob|cell|cel|celular|telefone|teléfono|telefono|móvil|whatsapp|wa|number|número|numero|nummer|numéro|contact|contato|contacto|call|ligar|llamar)\b[^\d\n]{0,20}$/i;
const TRACKING = [
  /\b[A-Z]{2}\s?\d{3}\s?\d{3}\s?\d{3}\s?[A-Z]{2}\b/g, // UPU S10 (post offices: QB123456789BR)
  /\b1Z[0-9A-Z]{16}\b/g, // UPS
];
const TRACKING_CUE =
  /\b(?:tracking|track|awb|rastreio|rastreamento|seguimiento|guía|guia|sendungsnummer|sendungsverfolgung|suivi|colis|dhl|ups|fedex|usps|correios|auspost|royal mail|dpd|gls|hermes|delhivery|bluedart|estafeta|servientrega|andreani|chronopost|colissimo)/gi;
/** A code in capitals and digits (spaces or hyphens between groups), with at least one digit. */
const TRACKING_CODE = /(?<![\w])[A-Z0-9](?:[A-Z0-9]|[ -](?=[A-Z0-9])){8,40}(?![\w])/;
const ORDER_CUE =
  /\b(?:order|pedido|encomenda|bestellung|bestellnummer|commande|orden|po(?:\s+number)?)\s*(?:n[º°o]\.?|no\.|number|nummer|número|numero|id|#|:)?(?:\s+(?:is|es|é|ist|est|was|era))?\s*[:#]?\s*([A-Z0-9](?:[A-Z0-9-]{2,23})[A-Z0-9])\b/gi;
/** Shop-style ids without a cue word: letters, digits and hyphens such as ES-3390-AX or LMP-55093. */
const CODED_ID = /\b[A-Z]{2,4}-\d{3,8}(?:-[A-Z0-9]{1,4})?\b/g;
const HASH_ID = /#\s?([A-Z0-9](?:[A-Z0-9-]{2,23})[A-Z0-9])\b/gi;

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
    for (const m of text.matchAll(pattern))
      add("tracking_number", m.index!, m.index! + m[0].length, m[0].replace(/[\s-]/g, "").toUpperCase(), 0.9);
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
    const parsed = parsePhoneNumberFromString(
      international ? `+${digits.replace(/^00/, "")}` : written,
      international ? undefined : context.region,
    );
    // A national number must look like one (a real number of the chat's country, or written with a trunk 0 or in
    // groups, as fictional ranges such as 07700 900xxx are); a long run of digits (UPI, invoice refs) is not a phone.
    const looksNational = parsed?.isValid() || /^\(?0/.test(written) || /[\s().-]/.test(written);
    if (parsed?.isPossible() && (international || looksNational)) {
      add("phone", m.index!, m.index! + written.length, parsed.number, parsed.isValid() ? 0.9 : 0.6);
      continue;
    }
    // After "phone", "cel", "número"... a number of another country written nationally: its digits are kept.
    if (PHONE_CUE.test(text.slice(Math.max(0, m.index! - 40), m.index!)))
      add("phone", m.index!, m.index! + written.length, international ? `+${digits.replace(/^00/, "")}` : digits, 0.5);
  }
  for (const a of findAddresses(text)) add("address", a.start, a.end, text.slice(a.start, a.end), a.confidence);
  for (const m of findMoney(text, context.region)) add("money", m.start, m.end, m.value, m.confidence);
  if (context.sentAt !== undefined && Number.isFinite(context.sentAt)) {
    for (const d of extractDatetimes(text, context.sentAt, context.region)) add("datetime", d.start, d.end, d.value, 0.75);
  }
  const products = findProducts(text, context.productCatalogue);
  // The shop's own product names are exact: "Green tea" is a product before "Green" is a name.
  for (const p of products)
    if (p.confidence >= CATALOGUE_CONFIDENCE) add("product", p.start, p.end, text.slice(p.start, p.end), p.confidence, "gazetteer");
  const persons = findPersons(text);
  // A first name after the goods noun that starts a product's name is its brand: "zapatillas Nike talla 42".
  const brandedGoods = products.filter((p) =>
    persons.some((n) => n.start > p.start && n.end <= p.end && n.confidence <= LOOSE_NAME_CONFIDENCE),
  );
  for (const p of brandedGoods) add("product", p.start, p.end, text.slice(p.start, p.end), p.confidence, "gazetteer");
  for (const p of persons) add("person", p.start, p.end, text.slice(p.start, p.end), p.confidence, "gazetteer");
  for (const q of findQuantities(
    text,
    products.map((p) => p.start),
  ))
    add("quantity", q.start, q.end, q.value, q.confidence);
  for (const p of products) add("product", p.start, p.end, text.slice(p.start, p.end), p.confidence, "gazetteer");
  return spans.sort((a, b) => a.start - b.start);
}
