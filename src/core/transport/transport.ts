import { MAX_TEXT_LENGTH, SentReceipt, WaMessage, validateChatId } from "../envelope";
import { Clock, TimerHandle } from "../clock";
import { WaError } from "../errors";
import { OutgoingContent, OutgoingContentKind, unsupportedKind } from "./outgoing-content";

/**
 * What wa-in and wa-out need from a WhatsApp connection. The simulator implements it now;
 * whatsapp-web.js and the Cloud API plug in behind the same shape.
 */
export type TransportState = "starting" | "pairing" | "ready" | "disconnected" | "stopped";

export interface OutgoingText {
  chatId: string;
  text: string;
  /** Message id to quote (reply to). */
  quotedId?: string;
}

/** What happened to a message after it was sent or received: its ticks, or its deletion for everyone. */
export type MessageEvent =
  | {
      kind: "ack";
      messageId: string;
      chatId: string;
      status: "sent" | "delivered" | "read" | "played" | "failed";
      at: number;
      error?: string;
    }
  | { kind: "revoke"; messageId: string; chatId: string; at: number; originalBody?: string };

/** A file to send: its bytes are read and checked by wa out before a transport sees them. */
export interface OutgoingMedia {
  chatId: string;
  mimetype: string;
  data: Buffer;
  filename?: string;
  caption?: string;
  quotedId?: string;
}

export interface SentRecord extends SentReceipt {
  text: string;
  /** Buttons, a list, a template, a location, contact cards or a poll (the text then says what it showed). */
  content?: OutgoingContent;
  media?: { mimetype: string; sizeBytes: number; filename?: string };
}

export interface WaTransport {
  readonly kind: string;
  state(): TransportState;
  onMessage(listener: (message: WaMessage) => void): () => void;
  onStateChange(listener: (state: TransportState, detail?: string) => void): () => void;
  onSent(listener: (record: SentRecord) => void): () => void;
  onSendFailed(listener: (error: Error) => void): () => void;
  sendText(message: OutgoingText): Promise<SentReceipt>;
  /**
   * Shows "typing..." in a chat for about `durationMs`, where the connection can.
   * `replyToId` is the customer's message being answered (the Cloud API needs it).
   */
  showTyping?(chatId: string, durationMs: number, replyToId?: string): Promise<void>;
  /** Delivery/read ticks of sent messages and deletions for everyone, where the connection reports them. */
  onMessageEvent?(listener: (event: MessageEvent) => void): () => void;
  /** Sends a photo, voice note, video or document, with an optional caption. */
  sendMedia?(media: OutgoingMedia): Promise<SentReceipt>;
  /**
   * Sends buttons, a list, a template, a location, contact cards or a poll; a kind the connection cannot
   * send is refused with transport.unsupportedKind (`supportedKinds` says which it can).
   */
  sendContent?(chatId: string, content: OutgoingContent, quotedId?: string): Promise<SentReceipt>;
  readonly supportedKinds?: readonly OutgoingContentKind[];
  /** Reacts to a message with an emoji ("" takes the reaction back). */
  react?(chatId: string, messageId: string, emoji: string): Promise<void>;
  /** Fetches a received message's media by its descriptor's ref, refusing more than `maxBytes`. */
  downloadMedia?(ref: string, maxBytes: number): Promise<{ mimetype: string; data: Buffer; filename?: string }>;
  /**
   * Asks WhatsApp whether this connection still answers, where the connection can (for a session
   * that says it is connected but receives nothing); rejects with transport.probeFailed when it does not.
   */
  probe?(timeoutMs: number): Promise<void>;
  /** Drops the connection and opens it again with the same login (no new pairing). */
  reconnect?(): Promise<void>;
  close(): Promise<void>;
}

/** A tiny typed listener set, so transports need no EventEmitter typing gymnastics. */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();

  add(listener: (...args: A) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(...args: A): void {
    for (const listener of [...this.set]) listener(...args);
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}

/** The listener sets every transport has; a transport extends it and emits through them. */
export abstract class TransportEvents {
  protected readonly messageListeners = new Listeners<[WaMessage]>();
  protected readonly stateListeners = new Listeners<[TransportState, string | undefined]>();
  protected readonly sentListeners = new Listeners<[SentRecord]>();
  protected readonly sendFailedListeners = new Listeners<[Error]>();
  protected readonly eventListeners = new Listeners<[MessageEvent]>();

  onMessageEvent(listener: (event: MessageEvent) => void): () => void {
    return this.eventListeners.add(listener);
  }

  onMessage(listener: (message: WaMessage) => void): () => void {
    return this.messageListeners.add(listener);
  }

  onStateChange(listener: (state: TransportState, detail?: string) => void): () => void {
    return this.stateListeners.add(listener);
  }

  onSent(listener: (record: SentRecord) => void): () => void {
    return this.sentListeners.add(listener);
  }

  onSendFailed(listener: (error: Error) => void): () => void {
    return this.sendFailedListeners.add(listener);
  }

  protected clearListeners(): void {
    this.messageListeners.clear();
    this.sentListeners.clear();
    this.sendFailedListeners.clear();
    this.stateListeners.clear();
    this.eventListeners.clear();
  }
}

/** A chat id a transport can send to (the envelope's rules), or transport.invalidTarget. */
export function checkSendTarget(chatId: unknown): void {
  try {
    validateChatId(chatId);
  } catch {
    throw new WaError("transport.invalidTarget", `Cannot send to chat id ${String(chatId).slice(0, 40)}`, {
      chatId: String(chatId).slice(0, 40),
    });
  }
}

/** What every transport checks before sending a text: a chat id it can use, and a string WhatsApp takes. */
export function checkOutgoingText(message: OutgoingText): void {
  checkSendTarget(message.chatId);
  if (typeof message.text !== "string") throw new WaError("transport.notText", "The text to send must be a string");
  if (message.text.trim() === "") throw new WaError("transport.emptyText", "The text to send is empty");
  if (message.text.length > MAX_TEXT_LENGTH) {
    throw new WaError("transport.textTooLong", `The text is longer than WhatsApp's ${MAX_TEXT_LENGTH} characters`, {
      max: MAX_TEXT_LENGTH,
    });
  }
}

/** What a transport tells its listeners it sent, for a file: the receipt, the caption as text, and what the file was. */
export function sentMediaRecord(receipt: SentReceipt, media: OutgoingMedia): SentRecord {
  return {
    ...receipt,
    text: media.caption ?? "",
    media: { mimetype: media.mimetype, sizeBytes: media.data.length, ...(media.filename ? { filename: media.filename } : {}) },
  };
}

/**
 * A probe's question to WhatsApp with the clock's deadline: no answer within `timeoutMs`, or a failure,
 * is transport.probeFailed (`describe` words a failure that is not already one of the pack's errors).
 */
export async function askWithin<T>(
  clock: Clock,
  timeoutMs: number,
  question: Promise<T>,
  describe: (reason: string) => string,
): Promise<T> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = clock.setTimeout(
      () =>
        reject(new WaError("transport.probeFailed", `No answer within ${timeoutMs} ms`, { reason: `no answer within ${timeoutMs} ms` })),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([question, timeout]);
  } catch (error) {
    if (error instanceof WaError) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).slice(0, 200);
    throw new WaError("transport.probeFailed", describe(reason), { reason });
  } finally {
    clock.clearTimeout(timer);
  }
}

/** Buttons, a list, a template, a location, contact cards or a poll through a connection, or its refusal when it sends none of them. */
export function sendContentThrough(
  transport: WaTransport,
  chatId: string,
  content: OutgoingContent,
  quotedId?: string,
): Promise<SentReceipt> {
  if (!transport.sendContent)
    return Promise.reject(unsupportedKind(content.kind, transport.kind, "this connection sends only text and files"));
  return transport.sendContent(chatId, content, quotedId);
}
