import { createHmac, timingSafeEqual } from "node:crypto";
import { Clock } from "../clock";
import { MAX_CHAT_ID_LENGTH, SentReceipt, WaContactCard, WaMessage, WaMessageType } from "../envelope";
import { WaError } from "../errors";
import { OutgoingContent, TemplateContent, unsupportedKind } from "./outgoing-content";
import { outsideWindow } from "./service-window";
import type { OutgoingMedia } from "./transport";

/**
 * The WhatsApp Cloud API (Meta Graph API): the webhook that brings messages in and the
 * /messages endpoint that sends them. Pure functions plus a small client with the HTTP
 * function and clock injected, so it runs against a loopback stand-in in tests.
 */

export const CLOUD_LIMITS = {
  /** A webhook delivery is a few kB; anything this large is not Meta's. */
  maxWebhookBytes: 1_048_576,
  /** The Cloud API's cap on a text message body. */
  maxTextLength: 4_096,
  /** Messages in one webhook delivery we look at; the rest are refused as malformed. */
  maxMessagesPerDelivery: 1_000,
} as const;

/** Answer to the GET handshake Meta sends when the webhook URL is registered. */
export function answerVerification(query: Record<string, unknown>, verifyToken: string): { status: number; body: string } {
  const mode = query["hub.mode"];
  const token = query["hub.verify_token"];
  const challenge = query["hub.challenge"];
  if (mode !== "subscribe" || typeof challenge !== "string" || challenge.length === 0 || challenge.length > 256) {
    return { status: 400, body: "Not a webhook verification request" };
  }
  if (verifyToken === "" || typeof token !== "string" || !equalSecrets(token, verifyToken))
    return { status: 403, body: "Verify token does not match" };
  return { status: 200, body: challenge };
}

/** Checks `X-Hub-Signature-256: sha256=<hex>` over the raw body with the app secret. */
export function signatureIsValid(rawBody: Buffer, header: unknown, appSecret: string): boolean {
  if (appSecret === "" || typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const given = header.slice("sha256=".length);
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  const expected = createHmac("sha256", appSecret).update(rawBody).digest("hex");
  return timingSafeEqual(Buffer.from(given.toLowerCase(), "hex"), Buffer.from(expected, "hex"));
}

export function signBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}

function equalSecrets(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A delivery/read receipt of a message this number sent. */
export interface CloudStatus {
  messageId: string;
  chatId: string;
  status: string;
  timestamp: number;
  error?: { code: number; title: string };
}

export interface ParsedWebhook {
  messages: WaMessage[];
  statuses: CloudStatus[];
  /** Parts of the delivery that could not be read, with why; the rest is still used. */
  skipped: string[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

const MEDIA_TYPES: Record<string, WaMessageType> = { image: "image", video: "video", document: "document", sticker: "sticker" };

/** Maps a webhook body (`entry[].changes[].value`) to envelopes' messages and to statuses. */
export function parseWebhook(body: unknown, receivedAt: number): ParsedWebhook {
  const parsed: ParsedWebhook = { messages: [], statuses: [], skipped: [] };
  if (!isObject(body) || body.object !== "whatsapp_business_account") {
    parsed.skipped.push("not a WhatsApp Business Account webhook (object must be whatsapp_business_account)");
    return parsed;
  }
  for (const entry of asArray(body.entry)) {
    for (const change of asArray(isObject(entry) ? entry.changes : undefined)) {
      if (!isObject(change) || change.field !== "messages" || !isObject(change.value)) continue;
      const value = change.value;
      const names = new Map<string, string>();
      for (const contact of asArray(value.contacts)) {
        if (
          isObject(contact) &&
          typeof contact.wa_id === "string" &&
          isObject(contact.profile) &&
          typeof contact.profile.name === "string"
        ) {
          names.set(contact.wa_id, contact.profile.name.slice(0, 256));
        }
      }
      for (const raw of asArray(value.messages)) {
        if (parsed.messages.length >= CLOUD_LIMITS.maxMessagesPerDelivery) {
          parsed.skipped.push(`more than ${CLOUD_LIMITS.maxMessagesPerDelivery} messages in one delivery`);
          break;
        }
        const message = toMessage(raw, names, receivedAt);
        if (typeof message === "string") parsed.skipped.push(message);
        else parsed.messages.push(message);
      }
      for (const raw of asArray(value.statuses)) {
        if (!isObject(raw) || typeof raw.id !== "string" || typeof raw.recipient_id !== "string" || typeof raw.status !== "string") {
          parsed.skipped.push("a status without id, recipient_id or status");
          continue;
        }
        const firstError = asArray(raw.errors)[0];
        parsed.statuses.push({
          messageId: raw.id,
          chatId: raw.recipient_id,
          status: raw.status,
          timestamp: Number(raw.timestamp) * 1000 || receivedAt,
          ...(isObject(firstError)
            ? { error: { code: Number(firstError.code) || 0, title: String(firstError.title ?? firstError.message ?? "") } }
            : {}),
        });
      }
    }
  }
  return parsed;
}

function toMessage(raw: unknown, names: Map<string, string>, receivedAt: number): WaMessage | string {
  if (!isObject(raw)) return "a message that is not an object";
  const id = asString(raw.id);
  const from = asString(raw.from);
  const type = asString(raw.type) ?? "unknown";
  if (!id || id.length > 256) return "a message without a usable id";
  if (!from || !/^\d{5,20}$/.test(from) || from.length > MAX_CHAT_ID_LENGTH) return `message ${id}: the sender (from) is not a WhatsApp id`;
  const base = {
    id,
    chatId: from,
    from,
    timestamp: Number(raw.timestamp) * 1000 || receivedAt,
    receivedAt,
    isGroup: false,
    fromMe: false,
    transport: "cloud-api",
    ...(names.has(from) ? { senderName: names.get(from) } : {}),
    ...(isObject(raw.context) && typeof raw.context.id === "string" ? { quotedId: raw.context.id } : {}),
  };
  const part = isObject(raw[type]) ? (raw[type] as Json) : {};
  const text = (value: unknown) => (typeof value === "string" ? value : "").slice(0, CLOUD_LIMITS.maxTextLength * 16);
  switch (type) {
    case "text":
      return { ...base, type: "chat", body: text(part.body) };
    case "button": {
      // A template's quick-reply button: its payload is what the template's sender set.
      const title = text(part.text ?? part.payload).slice(0, 256);
      const id = text(part.payload ?? part.text).slice(0, 256);
      return { ...base, type: "chat", body: title, reply: { kind: "template", id, title, ...answered(raw) } };
    }
    case "interactive": {
      const isList = isObject(part.list_reply);
      const picked = isObject(part.button_reply) ? part.button_reply : isList ? (part.list_reply as Json) : {};
      const title = text(picked.title ?? picked.id).slice(0, 256);
      const id = text(picked.id ?? picked.title).slice(0, 256);
      if (!id && !title) return { ...base, type: "unknown", body: "" };
      const description = typeof picked.description === "string" ? { description: picked.description.slice(0, 256) } : {};
      return {
        ...base,
        type: "chat",
        body: title,
        reply: { kind: isList ? "list" : "button", id, title, ...description, ...answered(raw) },
      };
    }
    case "image":
    case "video":
    case "document":
    case "sticker":
    case "audio": {
      const mediaId = asString(part.id);
      if (!mediaId) return `message ${id}: ${type} without a media id`;
      const messageType: WaMessageType = type === "audio" ? (part.voice === true ? "ptt" : "audio") : MEDIA_TYPES[type];
      return {
        ...base,
        type: messageType,
        body: text(part.caption),
        media: {
          mimetype: asString(part.mime_type) ?? "application/octet-stream",
          ref: `cloud-media:${mediaId}`,
          ...(asString(part.filename) ? { filename: asString(part.filename)!.slice(0, 256) } : {}),
        },
      };
    }
    case "location": {
      const latitude = Number(part.latitude);
      const longitude = Number(part.longitude);
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180)
        return `message ${id}: a location without usable latitude and longitude`;
      const place = {
        ...(typeof part.name === "string" && part.name ? { name: part.name.slice(0, 256) } : {}),
        ...(typeof part.address === "string" && part.address ? { address: part.address.slice(0, 256) } : {}),
      };
      return {
        ...base,
        type: "location",
        body: [place.name, place.address, `${latitude},${longitude}`].filter(Boolean).join(" · "),
        location: { latitude, longitude, ...place },
      };
    }
    case "contacts": {
      const contacts = asArray(raw.contacts)
        .slice(0, 20)
        .map(cloudContact)
        .filter((c) => c.name || c.phones.length > 0);
      return { ...base, type: "vcard", body: contacts.map((c) => [c.name, ...c.phones].join(" ")).join("\n"), contacts };
    }
    case "reaction":
      return {
        ...base,
        type: "reaction",
        body: text(part.emoji),
        ...(typeof part.message_id === "string" ? { quotedId: part.message_id } : {}),
      };
    default:
      // Unsupported, system, order and future types still reach the flow, marked unknown.
      return { ...base, type: "unknown", body: "" };
  }
}

/** The message a reply answers (Graph's context.id), as the reply's toMessageId. */
function answered(raw: Json): { toMessageId?: string } {
  return isObject(raw.context) && typeof raw.context.id === "string" ? { toMessageId: raw.context.id.slice(0, 256) } : {};
}

/** A contact card in Graph's shape ({name: {formatted_name}, phones: [{phone, wa_id}], emails, org}) as the envelope's. */
function cloudContact(raw: unknown): WaContactCard {
  const card = isObject(raw) ? raw : {};
  const name = isObject(card.name) ? card.name : {};
  const short = (value: unknown) => (typeof value === "string" ? value.slice(0, 256) : "");
  const formatted = short(name.formatted_name) || [short(name.first_name), short(name.last_name)].filter(Boolean).join(" ");
  const phones = asArray(card.phones)
    .slice(0, 10)
    .map((p) => (isObject(p) ? short(p.phone) || (typeof p.wa_id === "string" ? `+${short(p.wa_id)}` : "") : ""))
    .filter(Boolean);
  const emails = asArray(card.emails)
    .slice(0, 10)
    .map((e) => (isObject(e) ? short(e.email) : ""))
    .filter(Boolean);
  const company = isObject(card.org) ? short(card.org.company) : "";
  return { name: formatted, phones, ...(emails.length > 0 ? { emails } : {}), ...(company ? { organization: company } : {}) };
}

/** The Cloud API sends to a number's digits (wa_id), not to a whatsapp-web.js chat id. */
function checkCloudTarget(chatId: string): void {
  if (!/^\d{5,20}$/.test(chatId)) {
    throw new WaError("transport.invalidTarget", `Cannot send to chat id ${chatId}: the Cloud API needs the number's digits (wa_id)`, {
      chatId,
    });
  }
}

export class RecentIds {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is offered. */
  firstTime(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}

export interface CloudApiOptions {
  apiBase: string;
  apiVersion: string;
  phoneNumberId: string;
  accessToken: string;
  /** Attempts for one send, counting the first, on 429 and 5xx. */
  maxAttempts: number;
  /** First backoff; doubled per attempt with jitter, unless Retry-After says otherwise. */
  backoffMs: number;
  maxBackoffMs: number;
  requestTimeoutMs: number;
}

export type HttpFunction = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | FormData; signal?: AbortSignal },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface CloudSendRequest {
  chatId: string;
  text: string;
  quotedId?: string;
}

/** The Cloud API's message type for a file. */
export function cloudMediaKind(mimetype: string): "image" | "audio" | "video" | "sticker" | "document" {
  if (mimetype === "image/webp") return "sticker";
  if (mimetype === "image/jpeg" || mimetype === "image/png") return "image";
  if (mimetype.startsWith("audio/")) return "audio";
  if (mimetype === "video/mp4" || mimetype === "video/3gpp") return "video";
  return "document";
}

/** Graph's "re-engagement message": a free-form send outside the 24-hour customer-service window. */
const RE_ENGAGEMENT_CODE = 131047;

/** Graph's template object: the body's, header's and buttons' parameters as components, then any given as they are. */
function templatePart(content: TemplateContent): Record<string, unknown> {
  const texts = (values: string[]) => values.map((value) => ({ type: "text", text: value }));
  const components: unknown[] = [
    ...(content.headerParameters.length > 0 ? [{ type: "header", parameters: texts(content.headerParameters) }] : []),
    ...(content.bodyParameters.length > 0 ? [{ type: "body", parameters: texts(content.bodyParameters) }] : []),
    ...content.buttonPayloads.map((payload, index) => ({
      type: "button",
      sub_type: "quick_reply",
      index: String(index),
      parameters: [{ type: "payload", payload }],
    })),
    ...(content.components ?? []),
  ];
  return { name: content.name, language: { code: content.language }, ...(components.length > 0 ? { components } : {}) };
}

function graphContact(contact: WaContactCard): Record<string, unknown> {
  const parts = contact.name.trim().split(/\s+/);
  return {
    name: {
      formatted_name: contact.name,
      first_name: parts.length > 1 ? parts.slice(0, -1).join(" ") : parts[0],
      ...(parts.length > 1 ? { last_name: parts[parts.length - 1] } : {}),
    },
    phones: contact.phones.map((phone) => ({ phone, type: "CELL" })),
    ...(contact.emails ? { emails: contact.emails.map((email) => ({ email, type: "WORK" })) } : {}),
    ...(contact.organization ? { org: { company: contact.organization } } : {}),
  };
}

/** Error codes of the Graph API that mean "slow down" even when the HTTP status is 400. */
const RATE_LIMIT_CODES = new Set([4, 80007, 130429, 131048, 131056]);
const AUTH_CODES = new Set([190, 10, 200]);

export class CloudApiClient {
  constructor(
    private readonly options: CloudApiOptions,
    private readonly clock: Clock,
    private readonly http: HttpFunction,
    private readonly random: () => number = Math.random,
  ) {
    if (!/^https?:\/\/[^\s]+$/.test(options.apiBase))
      throw new WaError("config.invalid", "API base URL must start with http:// or https://", { field: "apiBase" });
    if (!/^v\d+\.\d+$/.test(options.apiVersion))
      throw new WaError("config.invalid", "Graph API version looks like v21.0", { field: "apiVersion" });
    if (!/^\d{5,30}$/.test(options.phoneNumberId))
      throw new WaError("config.invalid", "Phone number id: the digits from the WhatsApp Manager (not the phone number)", {
        field: "phoneNumberId",
      });
  }

  async sendText(request: CloudSendRequest): Promise<SentReceipt> {
    checkCloudTarget(request.chatId);
    if (request.text.trim() === "") throw new WaError("transport.emptyText", "The text to send (msg.payload) is empty");
    if (request.text.length > CLOUD_LIMITS.maxTextLength) {
      throw new WaError(
        "transport.textTooLong",
        `The text is ${request.text.length} characters; the Cloud API takes at most ${CLOUD_LIMITS.maxTextLength}`,
        { length: request.text.length, max: CLOUD_LIMITS.maxTextLength },
      );
    }
    return this.sendMessage(request, "text", { body: request.text, preview_url: false });
  }

  /** Uploads a file and sends it (image, audio, video, sticker or document), with an optional caption. */
  async sendMedia(request: OutgoingMedia): Promise<SentReceipt> {
    checkCloudTarget(request.chatId);
    const form = new FormData();
    form.append("messaging_product", "whatsapp");
    form.append("type", request.mimetype);
    form.append("file", new Blob([new Uint8Array(request.data)], { type: request.mimetype }), request.filename ?? "file");
    const uploaded = await this.post(`${this.phoneUrl()}/media`, form);
    const mediaId = isObject(uploaded) ? asString(uploaded.id) : undefined;
    if (!mediaId) throw new WaError("cloud.badAnswer", "The Cloud API took the upload but returned no media id", { reason: "no id" });
    const kind = cloudMediaKind(request.mimetype);
    const part: Record<string, unknown> = { id: mediaId };
    if (request.caption && kind !== "audio" && kind !== "sticker") part.caption = request.caption.slice(0, 1024);
    if (kind === "document" && request.filename) part.filename = request.filename;
    return this.sendMessage(request, kind, part);
  }

  /** Buttons, a list, a template, a location or contact cards, in Graph's shapes; a poll has no Cloud API form. */
  async sendContent(chatId: string, content: OutgoingContent, quotedId?: string): Promise<SentReceipt> {
    checkCloudTarget(chatId);
    const request = { chatId, ...(quotedId ? { quotedId } : {}) };
    const textPart = (value: string | undefined) => (value ? { text: value } : undefined);
    switch (content.kind) {
      case "buttons":
        return this.sendMessage(request, "interactive", {
          type: "button",
          ...(content.header ? { header: { type: "text", text: content.header } } : {}),
          body: { text: content.body },
          ...(content.footer ? { footer: textPart(content.footer) } : {}),
          action: { buttons: content.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })) },
        });
      case "list":
        return this.sendMessage(request, "interactive", {
          type: "list",
          ...(content.header ? { header: { type: "text", text: content.header } } : {}),
          body: { text: content.body },
          ...(content.footer ? { footer: textPart(content.footer) } : {}),
          action: {
            button: content.buttonText,
            sections: content.sections.map((section) => ({
              ...(section.title ? { title: section.title } : {}),
              rows: section.rows.map((row) => ({
                id: row.id,
                title: row.title,
                ...(row.description ? { description: row.description } : {}),
              })),
            })),
          },
        });
      case "template":
        return this.sendMessage(request, "template", templatePart(content));
      case "location":
        return this.sendMessage(request, "location", {
          latitude: content.latitude,
          longitude: content.longitude,
          ...(content.name ? { name: content.name } : {}),
          ...(content.address ? { address: content.address } : {}),
        });
      case "contacts":
        return this.sendMessage(request, "contacts", content.contacts.map(graphContact));
      case "poll":
        throw unsupportedKind("poll", "Cloud API", "the Cloud API has no polls; send reply buttons (up to 3) or a list (up to 10 rows)");
    }
  }

  /** Posts one message of a type with its part ({type: part}), quoting when asked, and reads the sent id. */
  private async sendMessage(
    request: { chatId: string; quotedId?: string },
    type: string,
    part: Record<string, unknown> | unknown[],
  ): Promise<SentReceipt> {
    const body = JSON.stringify({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: request.chatId,
      type,
      [type]: part,
      ...(request.quotedId ? { context: { message_id: request.quotedId } } : {}),
    });
    let answer: unknown;
    try {
      answer = await this.post(this.messagesUrl(), body);
    } catch (error) {
      if (error instanceof WaError && error.code === "cloud.rejected" && error.params.code === RE_ENGAGEMENT_CODE)
        throw outsideWindow(request.chatId, "more than 24 h ago, says Meta");
      throw error;
    }
    const sent = asArray(isObject(answer) ? answer.messages : undefined)[0];
    const id = isObject(sent) ? asString(sent.id) : undefined;
    if (!id)
      throw new WaError("cloud.badAnswer", "The Cloud API accepted the message but returned no message id", {
        reason: "no messages[0].id",
      });
    return {
      id,
      chatId: request.chatId,
      sentAt: this.clock.now(),
      transport: "cloud-api",
      ...(request.quotedId ? { quotedId: request.quotedId } : {}),
    };
  }

  async react(chatId: string, messageId: string, emoji: string): Promise<void> {
    const body = JSON.stringify({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: chatId,
      type: "reaction",
      reaction: { message_id: messageId, emoji },
    });
    await this.post(this.messagesUrl(), body);
  }

  /** Fetches a received media file: its URL from Graph first, then the bytes (both need the token). */
  async downloadMedia(mediaId: string, maxBytes: number): Promise<{ mimetype: string; data: Buffer }> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(mediaId))
      throw new WaError("media.unavailable", `The media of ${mediaId.slice(0, 80)} is not available any more`, {
        ref: mediaId.slice(0, 80),
      });
    const headers = { Authorization: `Bearer ${this.options.accessToken}` };
    const signal = () => AbortSignal.timeout(this.options.requestTimeoutMs);
    const described = await this.http(`${this.options.apiBase.replace(/\/+$/, "")}/${this.options.apiVersion}/${mediaId}`, {
      method: "GET",
      headers,
      signal: signal(),
    });
    const text = await described.text();
    if (described.status !== 200) {
      const graph = graphError(text);
      throw new WaError(
        "media.unavailable",
        `The media of ${mediaId} is not available any more (${graph ? `${graph.message} (code ${graph.code})` : `HTTP ${described.status}`})`,
        { ref: mediaId },
      );
    }
    const info = parseJson(text) as { url?: unknown; mime_type?: unknown; file_size?: unknown };
    if (typeof info.url !== "string" || !/^https?:\/\//.test(info.url))
      throw new WaError("cloud.badAnswer", "The Cloud API described the media without a URL", { reason: "no url" });
    const declared = Number(info.file_size);
    if (Number.isFinite(declared) && declared > maxBytes)
      throw new WaError("media.tooLarge", `The media is ${declared} bytes; the limit is ${maxBytes}`, { size: declared, max: maxBytes });
    const file = await this.http(info.url, { method: "GET", headers, signal: signal() });
    if (file.status !== 200)
      throw new WaError("media.unavailable", `The media of ${mediaId} could not be fetched (HTTP ${file.status})`, { ref: mediaId });
    const length = Number(file.headers.get("content-length"));
    if (Number.isFinite(length) && length > maxBytes)
      throw new WaError("media.tooLarge", `The media is ${length} bytes; the limit is ${maxBytes}`, { size: length, max: maxBytes });
    const data = Buffer.from(await file.arrayBuffer());
    if (data.length > maxBytes)
      throw new WaError("media.tooLarge", `The media is ${data.length} bytes; the limit is ${maxBytes}`, {
        size: data.length,
        max: maxBytes,
      });
    return { mimetype: typeof info.mime_type === "string" ? info.mime_type : "application/octet-stream", data };
  }

  /**
   * Asks Graph about the number: its status must be CONNECTED and, where Graph says, a webhook URL must be set
   * for it (a number whose webhook subscription was removed stays "connected" and hears nothing).
   */
  async probe(timeoutMs: number): Promise<void> {
    const failed = (reason: string) => new WaError("transport.probeFailed", `The Cloud API probe failed: ${reason}`, { reason });
    let status: number;
    let text: string;
    try {
      const response = await this.http(`${this.phoneUrl()}?fields=status,webhook_configuration`, {
        method: "GET",
        headers: { Authorization: `Bearer ${this.options.accessToken}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw failed(`no answer (${(error instanceof Error ? error.message : String(error)).slice(0, 120)})`);
    }
    if (status !== 200) {
      const graph = graphError(text);
      throw failed(graph ? `${graph.message} (code ${graph.code})` : `HTTP ${status}`);
    }
    const about = parseJson(text);
    const numberStatus = isObject(about) ? asString(about.status) : undefined;
    if (numberStatus && numberStatus !== "CONNECTED") throw failed(`the number's status is ${numberStatus.slice(0, 40)}`);
    const webhook = isObject(about) ? about.webhook_configuration : undefined;
    if (
      isObject(webhook) &&
      !asString(webhook.application) &&
      !asString(webhook.phone_number) &&
      !asString(webhook.whatsapp_business_account)
    )
      throw failed("no webhook URL is set for the number or its app");
  }

  /** Marks the customer's message read and shows "typing..." until the reply (or about 25 s). */
  async markReadWithTyping(messageId: string): Promise<void> {
    const body = JSON.stringify({
      messaging_product: "whatsapp",
      status: "read",
      message_id: messageId,
      typing_indicator: { type: "text" },
    });
    await this.post(this.messagesUrl(), body);
  }

  private phoneUrl(): string {
    return `${this.options.apiBase.replace(/\/+$/, "")}/${this.options.apiVersion}/${this.options.phoneNumberId}`;
  }

  private messagesUrl(): string {
    return `${this.phoneUrl()}/messages`;
  }

  private async post(url: string, body: string | FormData): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      let status: number;
      let text: string;
      let retryAfter: string | null = null;
      try {
        const response = await this.http(url, {
          method: "POST",
          // A FormData body sets its own multipart Content-Type (with the boundary).
          headers:
            typeof body === "string"
              ? { Authorization: `Bearer ${this.options.accessToken}`, "Content-Type": "application/json" }
              : { Authorization: `Bearer ${this.options.accessToken}` },
          body,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        status = response.status;
        retryAfter = response.headers.get("retry-after");
        text = await response.text();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (attempt >= this.options.maxAttempts)
          throw new WaError(
            "cloud.unreachable",
            `The Cloud API could not be reached after ${attempt} attempts (${reason})`,
            { attempts: attempt, reason },
            { cause: error },
          );
        await this.pause(this.backoff(attempt, null));
        continue;
      }
      if (status >= 200 && status < 300) return parseJson(text);
      const graph = graphError(text);
      const rateLimited = status === 429 || (graph !== undefined && RATE_LIMIT_CODES.has(graph.code));
      const retriable = rateLimited || status >= 500;
      if (retriable && attempt < this.options.maxAttempts) {
        await this.pause(this.backoff(attempt, retryAfter));
        continue;
      }
      const detail = graph ? `${graph.message} (code ${graph.code})` : `HTTP ${status}`;
      if (graph && AUTH_CODES.has(graph.code))
        throw new WaError("cloud.auth", `The Cloud API refused the access token: ${detail}; renew it in the connection's credentials`, {
          reason: detail,
        });
      if (rateLimited)
        throw new WaError("cloud.rateLimited", `The Cloud API kept answering "too many requests" after ${attempt} attempts: ${detail}`, {
          attempts: attempt,
          reason: detail,
        });
      throw new WaError("cloud.rejected", `The Cloud API refused the message: ${detail}`, {
        status,
        code: graph?.code ?? 0,
        reason: detail,
      });
    }
  }

  private backoff(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter === null ? NaN : Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(this.options.maxBackoffMs, seconds * 1000);
    const base = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (attempt - 1));
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new WaError("cloud.badAnswer", "The Cloud API answered with something that is not JSON", { reason: text.slice(0, 80) });
  }
}

function graphError(text: string): { code: number; message: string } | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (isObject(parsed) && isObject(parsed.error))
      return { code: Number(parsed.error.code) || 0, message: String(parsed.error.message ?? "").slice(0, 300) };
  } catch {
    // not Graph's error shape
  }
  return undefined;
}
