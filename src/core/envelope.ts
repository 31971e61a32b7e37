import { WaError } from "./errors";

/**
 * The one message envelope. `msg.payload` stays the user's; the pipeline reads and writes
 * `msg.wa`. Each node owns one key of it (or one key of a stage's part: msg.wa.nlu.intent,
 * msg.wa.resilience.dedupe, msg.wa.sheets.write) and never changes another node's key.
 */
export const MESSAGE_TYPES = [
  "chat",
  "image",
  "video",
  "audio",
  "ptt",
  "document",
  "sticker",
  "location",
  "vcard",
  "reaction",
  "poll",
  "vote",
  "unknown",
] as const;
export type WaMessageType = (typeof MESSAGE_TYPES)[number];

/** WhatsApp's own cap on a text message. */
export const MAX_TEXT_LENGTH = 65_536;
export const MAX_CHAT_ID_LENGTH = 128;

export interface WaMediaDescriptor {
  mimetype: string;
  filename?: string;
  sizeBytes?: number;
  /** Where the bytes can be fetched from when they are not inline (file path, URL, store key). */
  ref?: string;
  /** Inline base64 data, only for small media. */
  dataBase64?: string;
  /** The bytes, when wa in downloaded them (its "download media" option). */
  data?: Buffer;
  /** Why the bytes could not be downloaded; the message still flows. */
  error?: string;
}

/** A reply button or list row the customer picked: `id` is what the sender set, `title` what the customer saw. */
export interface WaReply {
  kind: "button" | "list" | "template";
  id: string;
  title: string;
  description?: string;
  /** The message whose button or list it answers. */
  toMessageId?: string;
}

export interface WaLocation {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

/** A contact card (vCard) as the pack reads it. */
export interface WaContactCard {
  name: string;
  phones: string[];
  emails?: string[];
  organization?: string;
}

export interface WaPoll {
  question: string;
  options: string[];
  multiple: boolean;
}

/** A vote on a poll: what the voter picks now (an empty list takes the vote back). */
export interface WaVote {
  pollId: string;
  selected: string[];
  /** The poll's question, where the transport knows it. */
  question?: string;
}

/** Written by the transport (wa-in): the message as received. */
export interface WaMessage {
  id: string;
  chatId: string;
  /** Sender id; equal to chatId in a one-to-one chat. */
  from: string;
  /** Participant who wrote it, in a group chat. */
  author?: string;
  senderName?: string;
  body: string;
  type: WaMessageType;
  /** Sending time, Unix milliseconds. */
  timestamp: number;
  /** When this pipeline received it, Unix milliseconds. */
  receivedAt: number;
  isGroup: boolean;
  fromMe: boolean;
  quotedId?: string;
  media?: WaMediaDescriptor;
  /** The button or list row picked (type chat; the body is its title, so text nodes read it as the customer saw it). */
  reply?: WaReply;
  /** A shared location (type location). */
  location?: WaLocation;
  /** Shared contact cards (type vcard). */
  contacts?: WaContactCard[];
  /** A poll someone created (type poll). */
  poll?: WaPoll;
  /** A vote on a poll (type vote; the body lists the options picked). */
  vote?: WaVote;
  /** Which transport produced it: simulator, whatsapp-web, baileys, cloud-api. */
  transport: string;
  /** The connection it came through (written by wa-in): replies go back through it. */
  connection?: WaConnectionRef;
}

/** Written by wa-session-lock. */
export interface LockGrantInfo {
  lockName: string;
  chatId: string;
  owner: string;
  token: number;
  acquiredAt: number;
  expiresAt: number;
}

/** Written by wa-message-queue. */
export interface QueueDeliveryInfo {
  queueName: string;
  /** The wa-store config node holding the queue, or "memory". */
  store: string;
  deliveryId: string;
  chatId: string;
  enqueuedAt: number;
  deliveredAt: number;
  deliveryCount: number;
}

/** Which WhatsApp connection (wa-client config node) a message came in or went out through. */
export interface WaConnectionRef {
  id: string;
  name: string;
}

/** Written by wa-out. */
export interface SentReceipt {
  id: string;
  chatId: string;
  sentAt: number;
  transport: string;
  quotedId?: string;
  /** The connection it went out through (written by wa out and paced send). */
  connection?: WaConnectionRef;
}

export interface TraceSpan {
  nodeId: string;
  nodeType: string;
  nodeName?: string;
  start: number;
  end: number;
}

export interface WaSession {
  lock?: LockGrantInfo;
  queue?: QueueDeliveryInfo;
  [key: string]: unknown;
}

/** Written by the conversation-intelligence nodes, each under its own key. */
export interface WaNlu {
  intent?: unknown;
  entities?: unknown;
  sentiment?: unknown;
  thread?: unknown;
  flow?: unknown;
  [key: string]: unknown;
}

/** Written by wa-dedupe. */
export type DedupeInfo = { key: string; forgotten: boolean } | { key: string; first: boolean; firstSeenAt: number };

/** Written by wa-ordering. */
export interface OrderingInfo {
  late: boolean;
  waitedMs: number;
  /** In sequence mode: how many numbers were skipped before this message. */
  gapBefore?: number;
}

/** Written by the resilience nodes, each under its own key (`mode` is wa-degrade's). */
export interface WaResilience {
  dedupe?: DedupeInfo;
  ordering?: OrderingInfo;
  mode?: string;
  /** Set by wa-batch-send on a message its outbox kept across a restart (see restoredAfterRestart). */
  restoredAfterRestart?: true;
  [key: string]: unknown;
}

/** Written by wa-sheets-read (`read`) and wa-sheets-write (`write`). */
export interface WaSheets {
  read?: { range: string; source: string; ageMs: number; rows?: number; key?: string; found?: number };
  write?: { range: string; key: string; written: true; mode?: "upsert"; foundAfterLostAnswer?: true };
}

/** Written by the pipeline's nodes while their stage is switched off: what passed the message by untouched. */
export interface WaPipelineMarks {
  skipped?: { stage: string; nodeId: string; nodeType: string }[];
}

export interface WaEnvelope {
  message: WaMessage;
  session?: WaSession;
  nlu?: WaNlu;
  media?: Record<string, unknown>;
  resilience?: WaResilience;
  sheets?: WaSheets;
  sent?: SentReceipt;
  pipeline?: WaPipelineMarks;
  trace: TraceSpan[];
}

/** The parts of the envelope a stage's nodes add to, and what each key of a part holds. */
export interface EnvelopeParts {
  nlu: WaNlu;
  resilience: WaResilience;
  sheets: WaSheets;
  pipeline: WaPipelineMarks;
}

/**
 * Adds one node's result under its key of a stage's part of `msg.wa`, beside the other nodes' keys (the
 * part is copied, not changed in place, so a message cloned earlier keeps its own). A message without
 * an envelope gets one holding just that part: everything the pack writes lives under `msg.wa`.
 */
export function writeEnvelopePart<S extends keyof EnvelopeParts, K extends keyof EnvelopeParts[S] & string>(
  msg: object,
  stage: S,
  key: K,
  value: EnvelopeParts[S][K],
): void {
  const holder = msg as { wa?: unknown };
  if (!isRecord(holder.wa)) holder.wa = { trace: [] };
  const wa = holder.wa as Record<string, unknown>;
  const part = wa[stage];
  wa[stage] = { ...(isRecord(part) ? part : {}), [key]: value };
}

/** The envelope a message carries, typed for reading; undefined when msg.wa is not an object. Not checked: see readEnvelope. */
export function envelopeOf(msg: object): Partial<WaEnvelope> | undefined {
  const wa = (msg as { wa?: unknown }).wa;
  return isRecord(wa) ? (wa as Partial<WaEnvelope>) : undefined;
}

/**
 * Which delivery of its message this is: the queue's count (2 and more after an ack timeout or a restart), 1
 * for a first delivery or a message that came through no queue. A dead-letter replay is a later delivery too.
 * `restored`: the message was kept by an outbox across a restart, so what comes after the outbox may already
 * have been done for it before the restart.
 */
export function deliveryOf(msg: object): { count: number; replay: boolean; restored: boolean } {
  const count = Number(envelopeOf(msg)?.session?.queue?.deliveryCount ?? 1);
  return {
    count: Number.isFinite(count) && count >= 1 ? count : 1,
    replay: (msg as { deadLetter?: unknown }).deadLetter !== undefined,
    restored: restoredAfterRestart(msg),
  };
}

/**
 * Whether the message was kept by wa-batch-send's outbox across a restart. Its queue delivery and lock are
 * those of the run before the restart: a durable queue delivers the message again, and that delivery is the
 * one to acknowledge and release (acknowledging the old one could free the chat while the new one is in flight).
 */
export function restoredAfterRestart(msg: object): boolean {
  return envelopeOf(msg)?.resilience?.restoredAfterRestart === true;
}

const CONTROL_CHARS = /\p{Cc}/u;

export function validateChatId(chatId: unknown): string {
  if (chatId === undefined || chatId === null || chatId === "") {
    throw new WaError("envelope.missingChatId", "The message has no chat id (msg.wa.message.chatId)");
  }
  if (typeof chatId !== "string" || chatId.length > MAX_CHAT_ID_LENGTH || CONTROL_CHARS.test(chatId)) {
    const shown = typeof chatId === "string" ? chatId.slice(0, 40) : typeof chatId;
    throw new WaError("envelope.invalidChatId", `Invalid chat id: ${shown}`, { chatId: shown });
  }
  return chatId;
}

/**
 * The one check every node that reads a chat id makes: a chat id the envelope carries (the received
 * message's, or the sent receipt's) is a string of at most 128 characters without control characters.
 * A message without an envelope passes (the node decides whether it needs one).
 */
export function checkCarriedChatIds(msg: object): void {
  const wa = (msg as { wa?: unknown }).wa;
  if (!isRecord(wa)) return;
  for (const part of [wa.message, wa.sent]) {
    if (isRecord(part) && part.chatId !== undefined) validateChatId(part.chatId);
  }
}

/** A message id as text: a string (cut to 256 characters) or a number; anything else (an object from a broken upstream) is no id. */
export function messageIdText(id: unknown): string {
  if (typeof id === "string") return id.slice(0, 256);
  return typeof id === "number" && Number.isFinite(id) ? String(id) : "";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads `msg.wa` and checks what every pipeline node relies on. Returns the same object
 * (not a copy) so a node can add its own key to it.
 */
export function readEnvelope(msg: { wa?: unknown }): WaEnvelope {
  const wa = msg.wa;
  if (wa === undefined) {
    throw new WaError(
      "envelope.missing",
      "This message is not a WhatsApp envelope: msg.wa is missing. Connect this node after a wa-in node.",
    );
  }
  if (!isRecord(wa) || !isRecord(wa.message)) {
    throw new WaError("envelope.invalid", "msg.wa is not a WhatsApp envelope: msg.wa.message must be an object");
  }
  const message = wa.message;
  validateChatId(message.chatId);
  if (typeof message.body === "string" && message.body.length > MAX_TEXT_LENGTH) {
    throw new WaError("envelope.bodyTooLong", `Message body is longer than ${MAX_TEXT_LENGTH} characters`, {
      max: MAX_TEXT_LENGTH,
    });
  }
  if (!Array.isArray(wa.trace)) wa.trace = [];
  return wa as unknown as WaEnvelope;
}

/** A copy without keys whose value is undefined (they show up as noise in the debug sidebar). */
export function withoutUndefined<T extends object>(value: T): T {
  const copy = {} as T;
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) copy[key] = value[key];
  }
  return copy;
}

export const MAX_TRACE_SPANS = 256;

export function addTraceSpan(envelope: { trace?: TraceSpan[] }, span: TraceSpan): void {
  if (!Array.isArray(envelope.trace)) envelope.trace = [];
  // A message looping through a flow must not grow without bound.
  if (envelope.trace.length >= MAX_TRACE_SPANS) envelope.trace.shift();
  envelope.trace.push(withoutUndefined(span));
}

export function createEnvelope(message: WaMessage): WaEnvelope {
  return { message: withoutUndefined(message), trace: [] };
}
