import { createHash } from "node:crypto";
import { WaContactCard } from "../envelope";
import { WaError } from "../errors";

/**
 * The message kinds beyond text and files that wa out sends: reply buttons, lists, Cloud API templates,
 * locations, contact cards and polls. Each is read from its own msg property (msg.buttons, msg.list, ...),
 * checked against WhatsApp's limits here, once, and handed to a transport that speaks it or refuses it
 * with transport.unsupportedKind.
 */
export interface ReplyButton {
  id: string;
  title: string;
}

export interface ListRow {
  id: string;
  title: string;
  description?: string;
}

export interface ListSection {
  title?: string;
  rows: ListRow[];
}

export type ContactCard = WaContactCard;

export interface TemplateContent {
  kind: "template";
  name: string;
  /** The template's language code as approved, e.g. en_US, pt_BR. */
  language: string;
  /** Values of the body's {{1}}, {{2}}, ... in order. */
  bodyParameters: string[];
  /** Values of a text header's {{1}}. */
  headerParameters: string[];
  /** Payloads of quick-reply buttons, by button position. */
  buttonPayloads: string[];
  /** Graph's own components array, for parameters of other kinds (currency, media headers): sent as given. */
  components?: unknown[];
}

export type OutgoingContent =
  | { kind: "buttons"; body: string; buttons: ReplyButton[]; header?: string; footer?: string }
  | { kind: "list"; body: string; buttonText: string; sections: ListSection[]; header?: string; footer?: string }
  | TemplateContent
  | { kind: "location"; latitude: number; longitude: number; name?: string; address?: string }
  | { kind: "contacts"; contacts: ContactCard[] }
  | { kind: "poll"; question: string; options: string[]; multiple: boolean };

export type OutgoingContentKind = OutgoingContent["kind"];

/** The msg property that carries each kind. */
export const CONTENT_PROPERTIES: Record<OutgoingContentKind, string> = {
  buttons: "buttons",
  list: "list",
  template: "template",
  location: "location",
  contacts: "contacts",
  poll: "poll",
};

/** WhatsApp's limits (Cloud API reference for interactive messages; WhatsApp Web's for polls). */
export const CONTENT_LIMITS = {
  interactiveBody: 1024,
  headerText: 60,
  footerText: 60,
  buttons: 3,
  buttonTitle: 20,
  replyId: 256,
  listButtonText: 20,
  listSections: 10,
  listRows: 10,
  rowTitle: 24,
  rowDescription: 72,
  sectionTitle: 24,
  templateName: 512,
  templateParameter: 1024,
  templateParameters: 20,
  templateComponentsBytes: 16_384,
  contacts: 20,
  contactField: 256,
  contactPhones: 10,
  pollQuestion: 255,
  pollOptions: 12,
  pollOption: 100,
  placeText: 256,
} as const;

function invalid(property: string, reason: string): WaError {
  return new WaError("transport.badContent", `msg.${property}: ${reason}`, { property, reason });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown, property: string, max: number, required: boolean): string | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) throw invalid(property, "is missing");
    return undefined;
  }
  if (typeof value !== "string" && typeof value !== "number") throw invalid(property, "must be a text");
  const result = String(value);
  if (required && result.trim() === "") throw invalid(property, "is empty");
  if ([...result].length > max) throw invalid(property, `is longer than WhatsApp's ${max} characters`);
  return result;
}

function list(value: unknown, property: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalid(property, "must be a list");
  if (value.length < min) throw invalid(property, `needs at least ${min}`);
  if (value.length > max) throw invalid(property, `has ${value.length}; WhatsApp takes at most ${max}`);
  return value;
}

function unique(values: string[], property: string, what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw invalid(property, `two ${what} are both "${value.slice(0, 40)}"; each must be different`);
    seen.add(value);
  }
}

/** Buttons given as plain titles get their title as id, so an answer names what was picked either way. */
function reply(value: unknown, property: string, titleMax: number): ReplyButton {
  if (typeof value === "string" || typeof value === "number") {
    const title = text(value, property, titleMax, true)!;
    return { id: title.slice(0, CONTENT_LIMITS.replyId), title };
  }
  if (!isRecord(value)) throw invalid(property, "must be a title or {id, title}");
  const title = text(value.title, `${property}.title`, titleMax, true)!;
  const id = text(value.id ?? title, `${property}.id`, CONTENT_LIMITS.replyId, true)!;
  return { id, title };
}

function interactiveBody(payload: unknown, property: string): string {
  return text(payload, `payload (the text above the ${property})`, CONTENT_LIMITS.interactiveBody, true)!;
}

function readButtons(value: unknown, payload: unknown): OutgoingContent {
  const spec = Array.isArray(value) ? { buttons: value } : value;
  if (!isRecord(spec)) throw invalid("buttons", "must be a list of buttons or {buttons, header, footer}");
  const buttons = list(spec.buttons, "buttons", 1, CONTENT_LIMITS.buttons).map((b, i) =>
    reply(b, `buttons[${i}]`, CONTENT_LIMITS.buttonTitle),
  );
  unique(
    buttons.map((b) => b.id),
    "buttons",
    "button ids",
  );
  unique(
    buttons.map((b) => b.title),
    "buttons",
    "button titles",
  );
  const header = text(spec.header, "buttons.header", CONTENT_LIMITS.headerText, false);
  const footer = text(spec.footer, "buttons.footer", CONTENT_LIMITS.footerText, false);
  return { kind: "buttons", body: interactiveBody(spec.body ?? payload, "buttons"), buttons, ...opt({ header, footer }) };
}

function readList(value: unknown, payload: unknown): OutgoingContent {
  if (!isRecord(value)) throw invalid("list", "must be {button, sections} or {button, rows}");
  const rawSections = value.sections ?? (value.rows !== undefined ? [{ rows: value.rows }] : undefined);
  const sections = list(rawSections, "list.sections", 1, CONTENT_LIMITS.listSections).map((section, s): ListSection => {
    if (!isRecord(section)) throw invalid(`list.sections[${s}]`, "must be {title, rows}");
    const rows = list(section.rows, `list.sections[${s}].rows`, 1, CONTENT_LIMITS.listRows).map((row, r): ListRow => {
      const at = `list.sections[${s}].rows[${r}]`;
      const base = reply(row, at, CONTENT_LIMITS.rowTitle);
      const description = isRecord(row) ? text(row.description, `${at}.description`, CONTENT_LIMITS.rowDescription, false) : undefined;
      return { ...base, ...opt({ description }) };
    });
    const title = text(section.title, `list.sections[${s}].title`, CONTENT_LIMITS.sectionTitle, false);
    return { ...opt({ title }), rows };
  });
  if (sections.length > 1 && sections.some((s) => !s.title))
    throw invalid("list.sections", "each section needs a title when there are several");
  const rows = sections.flatMap((s) => s.rows);
  if (rows.length > CONTENT_LIMITS.listRows)
    throw invalid("list", `has ${rows.length} rows; WhatsApp takes at most ${CONTENT_LIMITS.listRows} in all`);
  unique(
    rows.map((r) => r.id),
    "list",
    "row ids",
  );
  const buttonText = text(value.button ?? value.buttonText, "list.button", CONTENT_LIMITS.listButtonText, true)!;
  const header = text(value.header, "list.header", CONTENT_LIMITS.headerText, false);
  const footer = text(value.footer, "list.footer", CONTENT_LIMITS.footerText, false);
  return { kind: "list", body: interactiveBody(value.body ?? payload, "list"), buttonText, sections, ...opt({ header, footer }) };
}

function parameters(value: unknown, property: string): string[] {
  if (value === undefined) return [];
  return list(value, property, 0, CONTENT_LIMITS.templateParameters).map((p, i) =>
    text(p, `${property}[${i}]`, CONTENT_LIMITS.templateParameter, true)!,
  );
}

function readTemplate(value: unknown): OutgoingContent {
  if (!isRecord(value)) throw invalid("template", "must be {name, language, parameters}");
  const name = text(value.name, "template.name", CONTENT_LIMITS.templateName, true)!;
  if (!/^[a-z0-9_]+$/.test(name)) throw invalid("template.name", "is a template's name as approved: lower-case letters, digits and _");
  const language = text(value.language, "template.language", 10, true)!;
  if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(language)) throw invalid("template.language", "is a language code such as en, en_US or pt_BR");
  let components: unknown[] | undefined;
  if (value.components !== undefined) {
    components = list(value.components, "template.components", 0, 10);
    if (JSON.stringify(components).length > CONTENT_LIMITS.templateComponentsBytes)
      throw invalid("template.components", `is larger than ${CONTENT_LIMITS.templateComponentsBytes} bytes`);
  }
  return {
    kind: "template",
    name,
    language,
    bodyParameters: parameters(value.parameters ?? value.bodyParameters, "template.parameters"),
    headerParameters: parameters(value.headerParameters, "template.headerParameters"),
    buttonPayloads: parameters(value.buttonPayloads, "template.buttonPayloads"),
    ...(components ? { components } : {}),
  };
}

function coordinate(value: unknown, property: string, limit: number): number {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isFinite(number) || Math.abs(number) > limit)
    throw invalid(property, `must be a number from -${limit} to ${limit}`);
  return number;
}

function readLocation(value: unknown): OutgoingContent {
  if (!isRecord(value)) throw invalid("location", "must be {latitude, longitude, name, address}");
  const name = text(value.name, "location.name", CONTENT_LIMITS.placeText, false);
  const address = text(value.address, "location.address", CONTENT_LIMITS.placeText, false);
  return {
    kind: "location",
    latitude: coordinate(value.latitude ?? value.lat, "location.latitude", 90),
    longitude: coordinate(value.longitude ?? value.lng ?? value.lon, "location.longitude", 180),
    ...opt({ name, address }),
  };
}

function strings(value: unknown, property: string, max: number): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return list(values, property, 0, max).map((v, i) => text(v, `${property}[${i}]`, CONTENT_LIMITS.contactField, true)!);
}

function readContacts(value: unknown): OutgoingContent {
  const values = Array.isArray(value) ? value : [value];
  const contacts = list(values, "contacts", 1, CONTENT_LIMITS.contacts).map((contact, i): ContactCard => {
    if (!isRecord(contact)) throw invalid(`contacts[${i}]`, "must be {name, phones}");
    const phones = strings(contact.phones ?? contact.phone, `contacts[${i}].phones`, CONTENT_LIMITS.contactPhones);
    for (const phone of phones) {
      if (!/^\+?[\d ()./-]{5,32}$/.test(phone)) throw invalid(`contacts[${i}].phones`, `"${phone.slice(0, 40)}" is not a phone number`);
    }
    if (phones.length === 0) throw invalid(`contacts[${i}].phones`, "needs at least one phone number");
    const emails = strings(contact.emails ?? contact.email, `contacts[${i}].emails`, CONTENT_LIMITS.contactPhones);
    const organization = text(contact.organization, `contacts[${i}].organization`, CONTENT_LIMITS.contactField, false);
    return {
      name: text(contact.name, `contacts[${i}].name`, CONTENT_LIMITS.contactField, true)!,
      phones,
      ...(emails.length > 0 ? { emails } : {}),
      ...opt({ organization }),
    };
  });
  return { kind: "contacts", contacts };
}

function readPoll(value: unknown, payload: unknown): OutgoingContent {
  const spec = Array.isArray(value) ? { options: value } : value;
  if (!isRecord(spec)) throw invalid("poll", "must be {question, options, multiple}");
  const options = list(spec.options, "poll.options", 2, CONTENT_LIMITS.pollOptions).map((o, i) =>
    text(o, `poll.options[${i}]`, CONTENT_LIMITS.pollOption, true)!,
  );
  unique(options, "poll.options", "options");
  const question = text(spec.question ?? payload, "poll.question", CONTENT_LIMITS.pollQuestion, true)!;
  if (spec.multiple !== undefined && typeof spec.multiple !== "boolean") throw invalid("poll.multiple", "must be true or false");
  return { kind: "poll", question, options, multiple: spec.multiple === true };
}

const READERS: Record<OutgoingContentKind, (value: unknown, payload: unknown) => OutgoingContent> = {
  buttons: readButtons,
  list: readList,
  template: readTemplate,
  location: readLocation,
  contacts: readContacts,
  poll: readPoll,
};

/**
 * The one message kind a msg asks wa out to send (none: a text or a file), checked against WhatsApp's
 * limits; transport.badContent names the property and what is wrong with it.
 */
export function readOutgoingContent(msg: Record<string, unknown>): OutgoingContent | undefined {
  const present = (Object.keys(READERS) as OutgoingContentKind[]).filter((kind) => msg[CONTENT_PROPERTIES[kind]] !== undefined);
  if (present.length === 0) return undefined;
  if (present.length > 1 || msg.media !== undefined)
    throw invalid(
      present[0],
      `one message carries one kind: msg.${[...present, ...(msg.media !== undefined ? ["media"] : [])].join(", msg.")} are all set`,
    );
  const kind = present[0];
  return READERS[kind](msg[CONTENT_PROPERTIES[kind]], msg.payload);
}

/** A line of text that says what was sent, for the outbox, logs and the chat's history. */
export function contentSummary(content: OutgoingContent): string {
  switch (content.kind) {
    case "buttons":
      return `${content.body}\n${content.buttons.map((b) => `[${b.title}]`).join(" ")}`;
    case "list":
      return `${content.body}\n[${content.buttonText}]: ${content.sections.flatMap((s) => s.rows.map((r) => r.title)).join(", ")}`;
    case "template":
      return `template ${content.name} (${content.language})${content.bodyParameters.length ? `: ${content.bodyParameters.join(", ")}` : ""}`;
    case "location":
      return [content.name, content.address, `${content.latitude},${content.longitude}`].filter(Boolean).join(" · ");
    case "contacts":
      return content.contacts.map((c) => `${c.name} ${c.phones.join(", ")}`).join("; ");
    case "poll":
      return `${content.question}\n${content.options.map((o) => `○ ${o}`).join("\n")}`;
  }
}

/** The transport cannot send this kind: say which connections can. */
export function unsupportedKind(kind: OutgoingContentKind, transport: string, instead: string): WaError {
  return new WaError("transport.unsupportedKind", `A ${transport} connection cannot send ${kind}: ${instead}`, {
    kind,
    transport,
    instead,
  });
}

/** Why a linked device (WhatsApp Web, Baileys) cannot send buttons, lists or templates, and what to send instead. */
export function linkedDeviceRefusal(kind: OutgoingContentKind, transport: string): WaError {
  return unsupportedKind(
    kind,
    transport,
    kind === "template"
      ? "templates are a Cloud API feature; a linked device sends plain text at any time"
      : "WhatsApp shows no buttons or lists sent from a linked device; send a poll, or a numbered text, or use the Cloud API",
  );
}

function vcardEscape(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/([,;])/g, "\\$1");
}

/** A vCard 3.0 of a contact card, as WhatsApp's phones write them (waid= lets the card open a chat). */
export function toVCard(contact: ContactCard): string {
  const lines = ["BEGIN:VCARD", "VERSION:3.0", `FN:${vcardEscape(contact.name)}`];
  const parts = contact.name.trim().split(/\s+/);
  const family = parts.length > 1 ? parts[parts.length - 1] : "";
  const given = parts.length > 1 ? parts.slice(0, -1).join(" ") : parts[0];
  lines.push(`N:${vcardEscape(family)};${vcardEscape(given)};;;`);
  if (contact.organization) lines.push(`ORG:${vcardEscape(contact.organization)}`);
  for (const phone of contact.phones) {
    const digits = phone.replace(/\D/g, "");
    lines.push(`TEL;type=CELL;type=VOICE;waid=${digits}:${phone}`);
  }
  for (const email of contact.emails ?? []) lines.push(`EMAIL;type=INTERNET:${vcardEscape(email)}`);
  lines.push("END:VCARD");
  return lines.join("\n");
}

function vcardUnescape(value: string): string {
  return value.replace(/\\([\\,;nN])/g, (_m, c: string) => (c === "n" || c === "N" ? "\n" : c));
}

/** The contact cards in vCard text (one or several cards), as far as a card says name, phones, e-mails and organisation. */
export function parseVCards(source: string): ContactCard[] {
  const cards: ContactCard[] = [];
  // Folded lines (RFC 6350 3.2) continue with a space or tab.
  const unfolded = source.slice(0, 65_536).replace(/\r?\n[ \t]/g, "");
  for (const block of unfolded.split(/BEGIN:VCARD/i).slice(1)) {
    const card: ContactCard = { name: "", phones: [] };
    const emails: string[] = [];
    let structured = "";
    for (const line of block.split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const property = line.slice(0, colon).toUpperCase();
      const value = vcardUnescape(line.slice(colon + 1).trim());
      const name = property.split(";")[0].replace(/^ITEM\d+\./, "");
      if (name === "FN") card.name = value;
      else if (name === "N") structured = value;
      else if (name === "TEL" && card.phones.length < CONTENT_LIMITS.contactPhones) {
        const waid = /waid=(\d+)/i.exec(property)?.[1];
        card.phones.push(value || (waid ? `+${waid}` : ""));
      } else if (name === "EMAIL" && emails.length < CONTENT_LIMITS.contactPhones) emails.push(value);
      else if (name === "ORG") card.organization = value.split(";")[0];
    }
    if (!card.name && structured) {
      const [family = "", given = ""] = structured.split(";");
      card.name = `${given} ${family}`.trim();
    }
    if (emails.length > 0) card.emails = emails;
    if (!card.organization) delete card.organization;
    card.phones = card.phones.filter(Boolean);
    if (card.name || card.phones.length > 0) cards.push(card);
    if (cards.length >= CONTENT_LIMITS.contacts) break;
  }
  return cards;
}

/** WhatsApp's poll votes name the options picked by the SHA-256 of their text. */
export function pollOptionHash(option: string): string {
  return createHash("sha256").update(option, "utf8").digest("hex");
}

/** The options a vote picked, from the hashes it carries and the poll's options; unknown hashes are left out. */
export function optionsFromHashes(options: readonly string[], hashes: readonly (Uint8Array | string)[]): string[] {
  const byHash = new Map(options.map((option) => [pollOptionHash(option), option]));
  return hashes
    .map((hash) => (typeof hash === "string" ? hash.toLowerCase() : Buffer.from(hash).toString("hex")))
    .map((hex) => byHash.get(hex))
    .filter((option): option is string => option !== undefined);
}

function opt<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
