import { EventEmitter } from "node:events";
import type { MessageMedia, MessageSendOptions, WAState } from "whatsapp-web.js";
import { WwebjsClientLike, WwebjsMessageLike } from "../../src/core/transport/wwebjs-transport";

/** A 2×2 red JPEG, made by libvips: what a customer's photo downloads as. */
export const STANDIN_JPEG = Buffer.from(
  "/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAACAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABgf/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCAAHlhf//Z",
  "base64",
);

/** What puppeteer throws when the page behind whatsapp-web.js is gone (browser crashed or closed). */
export const SESSION_CLOSED = "Protocol error (Runtime.callFunctionOn): Session closed. Most likely the page has been closed.";

/**
 * A stand-in for whatsapp-web.js's `Client`, typed by the same contract the transport uses
 * (taken from the library's .d.ts). It behaves like the library's lifecycle: initialize()
 * loads, then emits `qr` until "scanned" (or `ready` at once with a saved session);
 * `disconnected` with a reason; `message` events; sendMessage returns a message with an id.
 * And like the library where things go wrong (read in its Client.js and Message.js):
 * getChatById resolves undefined for a chat it does not know; downloadMedia resolves null for
 * media WhatsApp is re-uploading (expired) and undefined when the download fails; sendReaction to
 * an id it does not know does nothing and resolves; once the page is gone every call rejects with
 * puppeteer's "Session closed"; destroy() while initialize() is still loading makes it reject.
 */
export class WwebjsStandin extends EventEmitter implements WwebjsClientLike {
  static created: WwebjsStandin[] = [];
  readonly sent: { chatId: string; content: string | MessageMedia; options?: MessageSendOptions }[] = [];
  readonly reactions: [string, string][] = [];
  destroyed = false;
  typingIn: string[] = [];
  private sequence = 0;
  private readonly knownChats = new Set<string>();
  private readonly knownMessages = new Set<string>();
  private pageClosed = false;
  private loading?: (error: Error) => void;
  private wedged = false;

  constructor(
    private readonly behaviour: {
      savedSession?: boolean;
      initialize?: "ok" | "fail" | "hang";
      failWith?: string;
      sendFailure?: string;
    } = {},
  ) {
    super();
    WwebjsStandin.created.push(this);
  }

  async initialize(): Promise<void> {
    if (this.behaviour.initialize === "fail")
      throw new Error(this.behaviour.failWith ?? "net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/");
    if (this.behaviour.initialize === "hang") return new Promise<void>((_resolve, reject) => (this.loading = reject));
    queueMicrotask(() => {
      if (this.behaviour.savedSession) {
        this.emit("authenticated");
        this.emit("ready");
      } else {
        this.emit("qr", `2@standin-qr-${WwebjsStandin.created.length}`);
      }
    });
  }

  /** The user scans the QR code with the phone. */
  scan(): void {
    this.emit("authenticated");
    this.emit("ready");
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.pageClosed = true;
    // Closing the browser under a page that is still loading fails its navigation.
    this.loading?.(new Error("Protocol error (Page.navigate): Target closed."));
    this.loading = undefined;
  }

  /** The browser crashes or is closed under the session: every later call fails as puppeteer fails it. */
  closePage(): void {
    this.pageClosed = true;
  }

  private page(): void {
    if (this.pageClosed) throw new Error(SESSION_CLOSED);
  }

  /** The page freezes with its socket still open: it says nothing more, and asks of it never come back. */
  wedge(): void {
    this.wedged = true;
  }

  async getState(): Promise<WAState> {
    this.page();
    if (this.wedged) return new Promise<WAState>(() => undefined);
    // The library's enum value, as the page reports it.
    return "CONNECTED" as unknown as WAState;
  }

  async logout(): Promise<void> {
    this.emit("disconnected", "LOGOUT");
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    if (!/^\d{8,15}$/.test(phoneNumber)) throw new Error("invalid phone number");
    this.emit("code", "ABCD1234");
    return "ABCD1234";
  }

  async sendReaction(messageId: string, reaction: string): Promise<void> {
    this.page();
    // The library looks the message up and returns null, sending nothing, when it does not find it.
    if (!this.knownMessages.has(messageId)) return;
    this.reactions.push([messageId, reaction]);
  }

  async sendMessage(chatId: string, content: string | MessageMedia, options?: MessageSendOptions) {
    this.page();
    if (this.behaviour.sendFailure) throw new Error(this.behaviour.sendFailure);
    if (!/@(c|g)\.us$/.test(chatId)) throw new Error("wid error: invalid wid");
    this.sent.push({ chatId, content, ...(options ? { options } : {}) });
    this.sequence += 1;
    const id = `true_${chatId}_OUT${this.sequence}`;
    this.knownChats.add(chatId);
    this.knownMessages.add(id);
    return { id: { fromMe: true, remote: chatId, id: `OUT${this.sequence}`, _serialized: id } };
  }

  async getChatById(chatId: string) {
    this.page();
    if (!this.knownChats.has(chatId)) return undefined;
    return { sendStateTyping: async () => void this.typingIn.push(chatId) };
  }

  /** A customer's message arrives; its media downloads as a JPEG, or is expired or fails as the library reports it. */
  receive(
    partial: Partial<WwebjsMessageLike> & { from: string; body: string },
    media: "ok" | "expired" | "failed" = "ok",
  ): WwebjsMessageLike {
    this.sequence += 1;
    this.knownChats.add(partial.from);
    this.knownMessages.add(`false_${partial.from}_IN${this.sequence}`);
    const message: WwebjsMessageLike = {
      id: { fromMe: false, remote: partial.from, id: `IN${this.sequence}`, _serialized: `false_${partial.from}_IN${this.sequence}` },
      to: "15550001111@c.us",
      author: undefined,
      type: "chat" as WwebjsMessageLike["type"],
      timestamp: 1_700_000_000,
      fromMe: false,
      hasMedia: false,
      hasQuotedMsg: false,
      isStatus: false,
      rawData: {},
      downloadMedia: async () => {
        this.page();
        if (media === "expired") return null as never;
        if (media === "failed") return undefined as never;
        return { mimetype: "image/jpeg", data: STANDIN_JPEG.toString("base64"), filename: null, filesize: STANDIN_JPEG.length };
      },
      ...partial,
    };
    this.emit("message", message);
    return message;
  }
}
