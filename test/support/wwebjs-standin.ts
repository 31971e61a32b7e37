import { EventEmitter } from "node:events";
import type { MessageMedia, MessageSendOptions } from "whatsapp-web.js";
import { WwebjsClientLike, WwebjsMessageLike } from "../../src/core/wwebjs-transport";

/**
 * A stand-in for whatsapp-web.js's `Client`, typed by the same contract the transport uses
 * (taken from the library's .d.ts). It behaves like the library's lifecycle: initialize()
 * loads, then emits `qr` until "scanned" (or `ready` at once with a saved session);
 * `disconnected` with a reason; `message` events; sendMessage returns a message with an id.
 */
export class WwebjsStandin extends EventEmitter implements WwebjsClientLike {
  static created: WwebjsStandin[] = [];
  readonly sent: { chatId: string; content: string | MessageMedia; options?: MessageSendOptions }[] = [];
  readonly reactions: [string, string][] = [];
  destroyed = false;
  typingIn: string[] = [];
  private sequence = 0;

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
    if (this.behaviour.initialize === "fail") throw new Error(this.behaviour.failWith ?? "net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/");
    if (this.behaviour.initialize === "hang") return new Promise<void>(() => undefined);
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
    this.reactions.push([messageId, reaction]);
  }

  async sendMessage(chatId: string, content: string | MessageMedia, options?: MessageSendOptions) {
    if (this.behaviour.sendFailure) throw new Error(this.behaviour.sendFailure);
    if (!/@(c|g)\.us$/.test(chatId)) throw new Error("wid error: invalid wid");
    this.sent.push({ chatId, content, ...(options ? { options } : {}) });
    this.sequence += 1;
    return { id: { fromMe: true, remote: chatId, id: `OUT${this.sequence}`, _serialized: `true_${chatId}_OUT${this.sequence}` } };
  }

  async getChatById(chatId: string) {
    return { sendStateTyping: async () => void this.typingIn.push(chatId) };
  }

  /** A customer's message arrives. */
  receive(partial: Partial<WwebjsMessageLike> & { from: string; body: string }): WwebjsMessageLike {
    this.sequence += 1;
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
      downloadMedia: async () => ({ mimetype: "image/jpeg", data: Buffer.from("jpeg bytes").toString("base64"), filename: null, filesize: null }),
      ...partial,
    };
    this.emit("message", message);
    return message;
  }
}
