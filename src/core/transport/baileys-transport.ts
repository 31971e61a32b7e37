import type { AnyMessageContent, BaileysEventMap, WAMessage, WAMessageKey, WASocket } from "@whiskeysockets/baileys";
import { Clock, TimerHandle } from "../clock";
import { randomBytes } from "node:crypto";
import { SentReceipt, WaMediaDescriptor, WaMessage, WaMessageType, WaPoll } from "../envelope";
import { WaError } from "../errors";
import {
  askWithin,
  checkOutgoingText,
  checkSendTarget,
  OutgoingMedia,
  OutgoingText,
  sentMediaRecord,
  TransportEvents,
  TransportState,
  WaTransport,
} from "./transport";
import type { PairingInfo } from "./wwebjs-transport";
import {
  contentSummary,
  OutgoingContent,
  OutgoingContentKind,
  optionsFromHashes,
  parseVCards,
  toVCard,
  linkedDeviceRefusal,
} from "./outgoing-content";
import { decryptPollVote } from "./poll-vote";

/**
 * Baileys (WhatsApp's multi-device WebSocket protocol, no browser) behind the transport interface.
 * Only this part of the library's socket is used; its type is taken from Baileys' own .d.ts, so a
 * stand-in that implements it is checked against the real contract.
 */
export type BaileysSocketLike = Pick<
  WASocket,
  "sendMessage" | "requestPairingCode" | "logout" | "end" | "sendPresenceUpdate" | "onWhatsApp"
> & {
  ev: {
    on<E extends keyof BaileysEventMap>(event: E, listener: (arg: BaileysEventMap[E]) => void): void;
    removeAllListeners(event: keyof BaileysEventMap): void;
  };
  user?: WASocket["user"];
};

/** Compile-time proof that the real socket satisfies the contract the transport and the stand-in share. */
export type RealSocketFitsContract = WASocket extends BaileysSocketLike ? true : never;

export interface BaileysTransportOptions {
  /** Opens a socket with the saved login (a new one pairs); called again on every reconnection. */
  createSocket(): Promise<BaileysSocketLike>;
  /** Forgets the saved login (after a logout on the phone): the next socket pairs again. */
  clearLogin(): Promise<void>;
  /** Fetches a received message's media, with Baileys' downloadMediaMessage. */
  download(message: WAMessage): Promise<Buffer>;
  /** Digits of the phone number to pair with a code instead of a QR code; empty for QR. */
  pairingPhoneNumber: string;
  /** Emit the account's own messages too (sent from the phone). */
  includeOwn: boolean;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  maxMediaBytes: number;
}

/** Baileys' DisconnectReason codes this transport acts on (the enum is a value of an ES module, so the numbers are here). */
const LOGGED_OUT = 401;
const CONNECTION_REPLACED = 440;

/** How many received messages are kept for quoting and media download. */
const RECENT_MESSAGES = 500;

/** WhatsApp ids as the pack writes them (as whatsapp-web.js does): people end in @c.us, not @s.whatsapp.net. */
export function toChatId(jid: string): string {
  return jid.replace(/@s\.whatsapp\.net$/, "@c.us").replace(/:\d+@/, "@");
}

export function toJid(chatId: string): string {
  return chatId.replace(/@c\.us$/, "@s.whatsapp.net");
}

type MessageContent = NonNullable<WAMessage["message"]>;

/** The message inside Baileys' wrappers (ephemeral, view-once, edited). */
function unwrap(content: MessageContent | null | undefined): MessageContent | undefined {
  let current = content ?? undefined;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const inner =
      current.ephemeralMessage?.message ??
      current.viewOnceMessage?.message ??
      current.viewOnceMessageV2?.message ??
      current.documentWithCaptionMessage?.message;
    if (!inner) break;
    current = inner;
  }
  return current;
}

type Described = { type: WaMessageType; body: string; media?: WaMediaDescriptor; quotedId?: string } & Partial<
  Pick<WaMessage, "location" | "contacts" | "poll" | "reply">
>;

/** Type, text, media descriptor and typed fields (location, contacts, poll, button answer) of a Baileys message. */
export function describeContent(content: MessageContent | undefined, id: string): Described {
  const ref = `baileys:${id}`;
  const media = (mimetype: string | null | undefined, size: unknown, filename?: string | null): WaMediaDescriptor => ({
    mimetype: mimetype ?? "application/octet-stream",
    ref,
    ...(filename ? { filename } : {}),
    ...(Number(size) > 0 ? { sizeBytes: Number(size) } : {}),
  });
  if (!content) return { type: "unknown", body: "" };
  const quotedId = (content.extendedTextMessage?.contextInfo ?? content.imageMessage?.contextInfo)?.stanzaId ?? undefined;
  const quoted = quotedId ? { quotedId } : {};
  if (typeof content.conversation === "string") return { type: "chat", body: content.conversation };
  if (content.extendedTextMessage) return { type: "chat", body: content.extendedTextMessage.text ?? "", ...quoted };
  if (content.imageMessage) {
    const m = content.imageMessage;
    return { type: "image", body: m.caption ?? "", media: media(m.mimetype, m.fileLength), ...quoted };
  }
  if (content.videoMessage)
    return {
      type: "video",
      body: content.videoMessage.caption ?? "",
      media: media(content.videoMessage.mimetype, content.videoMessage.fileLength),
    };
  if (content.audioMessage) {
    const m = content.audioMessage;
    return { type: m.ptt ? "ptt" : "audio", body: "", media: media(m.mimetype, m.fileLength) };
  }
  if (content.documentMessage) {
    const m = content.documentMessage;
    return { type: "document", body: m.caption ?? "", media: media(m.mimetype, m.fileLength, m.fileName) };
  }
  if (content.stickerMessage)
    return { type: "sticker", body: "", media: media(content.stickerMessage.mimetype, content.stickerMessage.fileLength) };
  if (content.locationMessage ?? content.liveLocationMessage) {
    const m = content.locationMessage ?? content.liveLocationMessage!;
    const latitude = Number(m.degreesLatitude);
    const longitude = Number(m.degreesLongitude);
    const name = content.locationMessage?.name ?? undefined;
    const address = content.locationMessage?.address ?? undefined;
    return {
      type: "location",
      body: [name, address, `${latitude},${longitude}`].filter(Boolean).join(" · "),
      ...(Number.isFinite(latitude) && Number.isFinite(longitude)
        ? {
            location: {
              latitude,
              longitude,
              ...(name ? { name: name.slice(0, 256) } : {}),
              ...(address ? { address: address.slice(0, 256) } : {}),
            },
          }
        : {}),
    };
  }
  if (content.contactMessage ?? content.contactsArrayMessage) {
    const cards = content.contactMessage ? [content.contactMessage] : (content.contactsArrayMessage?.contacts ?? []);
    const contacts = cards.slice(0, 20).flatMap((card) => parseVCards(card.vcard ?? ""));
    return { type: "vcard", body: contacts.map((c) => [c.name, ...c.phones].join(" ")).join("\n"), contacts };
  }
  const pollCreation = content.pollCreationMessage ?? content.pollCreationMessageV2 ?? content.pollCreationMessageV3;
  if (pollCreation) {
    const poll: WaPoll = {
      question: (pollCreation.name ?? "").slice(0, 255),
      options: (pollCreation.options ?? []).map((o) => (o.optionName ?? "").slice(0, 100)).slice(0, 12),
      multiple: (pollCreation.selectableOptionsCount ?? 0) !== 1,
    };
    return { type: "poll", body: poll.question, poll };
  }
  if (content.reactionMessage)
    return {
      type: "reaction",
      body: content.reactionMessage.text ?? "",
      ...(content.reactionMessage.key?.id ? { quotedId: content.reactionMessage.key.id } : {}),
    };
  if (content.buttonsResponseMessage) {
    const m = content.buttonsResponseMessage;
    const title = (m.selectedDisplayText ?? "").slice(0, 256);
    const toMessageId = m.contextInfo?.stanzaId;
    return {
      type: "chat",
      body: title,
      reply: { kind: "button", id: (m.selectedButtonId ?? title).slice(0, 256), title, ...(toMessageId ? { toMessageId } : {}) },
    };
  }
  if (content.listResponseMessage) {
    const m = content.listResponseMessage;
    const title = (m.title ?? "").slice(0, 256);
    const toMessageId = m.contextInfo?.stanzaId;
    return {
      type: "chat",
      body: title,
      reply: {
        kind: "list",
        id: (m.singleSelectReply?.selectedRowId ?? title).slice(0, 256),
        title,
        ...(m.description ? { description: m.description.slice(0, 256) } : {}),
        ...(toMessageId ? { toMessageId } : {}),
      },
    };
  }
  return { type: "unknown", body: "" };
}

/** Baileys' message status (0 error, 1 pending, 2 server, 3 delivered, 4 read, 5 played) as tick names. */
const TICKS: Record<number, "failed" | "sent" | "delivered" | "read" | "played" | undefined> = {
  0: "failed",
  2: "sent",
  3: "delivered",
  4: "read",
  5: "played",
};

function messageTimestamp(message: WAMessage, fallback: number): number {
  const raw = message.messageTimestamp;
  const seconds = typeof raw === "number" ? raw : raw ? Number(raw.toString()) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallback;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function statusCodeOf(error: unknown): number | undefined {
  const boom = error as { output?: { statusCode?: unknown } } | undefined;
  return typeof boom?.output?.statusCode === "number" ? boom.output.statusCode : undefined;
}

export class BaileysTransport extends TransportEvents implements WaTransport {
  readonly kind = "baileys";
  private socket: BaileysSocketLike | undefined;
  private current: TransportState = "starting";
  private detail: string | undefined;
  private qr: string | undefined;
  private pairingCode: string | undefined;
  private updatedAt: number;
  private attempt = 0;
  private reconnects = 0;
  private authFailures = 0;
  private reconnectTimer: TimerHandle | undefined;
  private closed = false;
  private generation = 0;
  private readonly recent = new Map<string, WAMessage>();
  /** Polls sent or seen, by message id: a vote names its options by hash and is encrypted with the poll's secret. */
  private readonly polls = new Map<string, { poll: WaPoll; secret: Uint8Array; creatorJid: string; chatId: string }>();
  readonly supportedKinds: readonly OutgoingContentKind[] = ["location", "contacts", "poll"];

  constructor(
    private readonly clock: Clock,
    private readonly options: BaileysTransportOptions,
  ) {
    super();
    this.updatedAt = clock.now();
  }

  state(): TransportState {
    return this.current;
  }

  pairing(): PairingInfo {
    return {
      state: this.current,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.qr ? { qr: this.qr } : {}),
      ...(this.pairingCode ? { pairingCode: this.pairingCode } : {}),
      updatedAt: this.updatedAt,
      reconnects: this.reconnects,
      authFailures: this.authFailures,
    };
  }

  start(): void {
    void this.open();
  }

  async restart(): Promise<void> {
    await this.dropSocket();
    this.attempt = 0;
    await this.open();
  }

  async reconnect(): Promise<void> {
    this.reconnects += 1;
    await this.restart();
  }

  async logout(): Promise<void> {
    const socket = this.socket;
    await socket?.logout().catch(() => undefined);
    await this.dropSocket();
    await this.options.clearLogin();
    await this.open();
  }

  /** Asks WhatsApp's servers about the account's own number: a socket that is only connected on paper does not answer. */
  async probe(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    if (!socket || this.current !== "ready") {
      throw new WaError("transport.probeFailed", `The connection is ${this.current}`, { reason: this.current });
    }
    const own = socket.user?.id ? toChatId(socket.user.id).replace(/@.*$/, "") : "";
    await askWithin(this.clock, timeoutMs, socket.onWhatsApp(own || "0"), (reason) => `The probe failed: ${reason}`);
  }

  async sendText(message: OutgoingText): Promise<SentReceipt> {
    checkOutgoingText(message);
    const quoted = message.quotedId ? this.recent.get(message.quotedId) : undefined;
    const sent = await this.send(message.chatId, { text: message.text }, quoted);
    const receipt = this.receiptFor(sent, message.chatId, quoted ? message.quotedId : undefined);
    this.sentListeners.emit({ ...receipt, text: message.text });
    return receipt;
  }

  async sendMedia(media: OutgoingMedia): Promise<SentReceipt> {
    checkSendTarget(media.chatId);
    const caption = media.caption ? { caption: media.caption } : {};
    let content: AnyMessageContent;
    if (media.mimetype.startsWith("image/")) content = { image: media.data, mimetype: media.mimetype, ...caption };
    else if (media.mimetype.startsWith("video/")) content = { video: media.data, mimetype: media.mimetype, ...caption };
    else if (media.mimetype.startsWith("audio/"))
      content = { audio: media.data, mimetype: media.mimetype, ptt: media.mimetype.includes("ogg") };
    else content = { document: media.data, mimetype: media.mimetype, fileName: media.filename ?? "file", ...caption };
    const quoted = media.quotedId ? this.recent.get(media.quotedId) : undefined;
    const sent = await this.send(media.chatId, content, quoted);
    const receipt = this.receiptFor(sent, media.chatId, quoted ? media.quotedId : undefined);
    this.sentListeners.emit(sentMediaRecord(receipt, media));
    return receipt;
  }

  /** A location, contact cards or a poll; buttons, lists and templates do not reach customers from a linked device. */
  async sendContent(chatId: string, content: OutgoingContent, quotedId?: string): Promise<SentReceipt> {
    checkSendTarget(chatId);
    let message: AnyMessageContent;
    let secret: Buffer | undefined;
    switch (content.kind) {
      case "location":
        message = {
          location: {
            degreesLatitude: content.latitude,
            degreesLongitude: content.longitude,
            ...(content.name ? { name: content.name } : {}),
            ...(content.address ? { address: content.address } : {}),
          },
        };
        break;
      case "contacts":
        message = {
          contacts: {
            displayName: content.contacts.length === 1 ? content.contacts[0].name : `${content.contacts.length} contacts`,
            contacts: content.contacts.map((contact) => ({ displayName: contact.name, vcard: toVCard(contact) })),
          },
        };
        break;
      case "poll":
        secret = randomBytes(32);
        message = {
          poll: { name: content.question, values: content.options, selectableCount: content.multiple ? 0 : 1, messageSecret: secret },
        };
        break;
      default:
        throw linkedDeviceRefusal(content.kind, "Baileys");
    }
    const quoted = quotedId ? this.recent.get(quotedId) : undefined;
    const sent = await this.send(chatId, message, quoted);
    const receipt = this.receiptFor(sent, chatId, quoted ? quotedId : undefined);
    if (content.kind === "poll" && secret) {
      const creatorJid = this.ownJid();
      this.rememberPoll(receipt.id, {
        poll: { question: content.question, options: content.options, multiple: content.multiple },
        secret,
        creatorJid,
        chatId,
      });
    }
    this.sentListeners.emit({ ...receipt, text: contentSummary(content), content });
    return receipt;
  }

  /** The account's own jid without its device (as WhatsApp names a poll's creator). */
  private ownJid(): string {
    return (this.socket?.user?.id ?? "").replace(/:\d+@/, "@");
  }

  private rememberPoll(id: string, entry: { poll: WaPoll; secret: Uint8Array; creatorJid: string; chatId: string }): void {
    this.polls.set(id, entry);
    while (this.polls.size > RECENT_MESSAGES) this.polls.delete(this.polls.keys().next().value as string);
  }

  /** A vote on a poll this connection knows: decrypted with the poll's secret, its option hashes read back as options. */
  private voteFrom(message: WAMessage, content: MessageContent): WaMessage | undefined {
    const update = content.pollUpdateMessage;
    const pollKey = update?.pollCreationMessageKey;
    const known = pollKey?.id ? this.polls.get(pollKey.id) : undefined;
    const key = message.key;
    if (!update?.vote?.encPayload || !update.vote.encIv || !known || !key.id || !key.remoteJid) return undefined;
    const voterJid = key.fromMe ? this.ownJid() : (key.participant ?? key.remoteJid);
    let hashes: Buffer[];
    try {
      hashes = decryptPollVote(update.vote.encPayload, update.vote.encIv, {
        pollMsgId: pollKey!.id!,
        pollCreatorJid: known.creatorJid,
        voterJid,
        pollEncKey: known.secret,
      });
    } catch {
      return undefined;
    }
    const selected = optionsFromHashes(known.poll.options, hashes);
    const chatId = toChatId(key.remoteJid);
    const isGroup = chatId.endsWith("@g.us");
    const now = this.clock.now();
    const voter = toChatId(voterJid);
    return {
      id: key.id,
      chatId,
      from: isGroup ? voter : chatId,
      ...(isGroup ? { author: voter } : {}),
      ...(message.pushName ? { senderName: message.pushName } : {}),
      body: selected.join(", "),
      type: "vote",
      timestamp: messageTimestamp(message, now),
      receivedAt: now,
      isGroup,
      fromMe: key.fromMe === true,
      vote: { pollId: pollKey!.id!, selected, question: known.poll.question },
      transport: this.kind,
    };
  }

  async react(chatId: string, messageId: string, emoji: string): Promise<void> {
    const known = this.recent.get(messageId);
    const key: WAMessageKey = known?.key ?? { remoteJid: toJid(chatId), id: messageId, fromMe: false };
    await this.send(chatId, { react: { text: emoji, key } });
  }

  async showTyping(chatId: string): Promise<void> {
    const socket = this.readySocket();
    await socket.sendPresenceUpdate("composing", toJid(chatId)).catch(() => undefined);
  }

  async downloadMedia(ref: string, maxBytes = this.options.maxMediaBytes): Promise<{ mimetype: string; data: Buffer; filename?: string }> {
    const message = this.recent.get(ref.replace(/^baileys:/, ""));
    if (!message)
      throw new WaError("media.unavailable", `The media of ${ref.slice(0, 80)} is not available any more`, { ref: ref.slice(0, 80) });
    const described = describeContent(unwrap(message.message), message.key.id ?? "");
    if (described.media?.sizeBytes !== undefined && described.media.sizeBytes > maxBytes) {
      throw new WaError("media.tooLarge", `The media is ${described.media.sizeBytes} bytes; the limit is ${maxBytes}`, {
        size: described.media.sizeBytes,
        max: maxBytes,
      });
    }
    let data: Buffer;
    try {
      data = await this.options.download(message);
    } catch (error) {
      throw new WaError("media.unavailable", `WhatsApp no longer has the media of ${ref.slice(0, 80)}: ${errorText(error).slice(0, 120)}`, {
        ref: ref.slice(0, 80),
      });
    }
    if (data.length > maxBytes) {
      throw new WaError("media.tooLarge", `The media is ${data.length} bytes; the limit is ${maxBytes}`, {
        size: data.length,
        max: maxBytes,
      });
    }
    return {
      mimetype: described.media?.mimetype ?? "application/octet-stream",
      data,
      ...(described.media?.filename ? { filename: described.media.filename } : {}),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.reconnectTimer);
    await this.dropSocket();
    this.setState("stopped");
    this.clearListeners();
  }

  private readySocket(): BaileysSocketLike {
    if (!this.socket || this.current !== "ready") {
      throw new WaError("transport.notReady", `The WhatsApp connection is ${this.current}`, {
        state: this.current,
        stateTerm: `state.${this.current}`,
      });
    }
    return this.socket;
  }

  private async send(chatId: string, content: AnyMessageContent, quoted?: WAMessage): Promise<WAMessage | undefined> {
    const socket = this.readySocket();
    try {
      return await socket.sendMessage(toJid(chatId), content, quoted ? { quoted } : undefined);
    } catch (error) {
      const failure = new WaError("transport.sendFailed", `WhatsApp could not send the message: ${errorText(error).slice(0, 200)}`, {
        reason: errorText(error).slice(0, 200),
      });
      this.sendFailedListeners.emit(failure);
      throw failure;
    }
  }

  private receiptFor(sent: WAMessage | undefined, chatId: string, quotedId: string | undefined): SentReceipt {
    return {
      id: sent?.key.id ?? `baileys-${this.clock.now()}`,
      chatId,
      sentAt: this.clock.now(),
      transport: this.kind,
      ...(quotedId ? { quotedId } : {}),
    };
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    this.setState("starting");
    let socket: BaileysSocketLike;
    try {
      socket = await this.options.createSocket();
    } catch (error) {
      this.failed(`could not open the connection: ${errorText(error)}`);
      return;
    }
    if (this.closed || generation !== this.generation) {
      await socket.end(undefined).catch(() => undefined);
      return;
    }
    this.socket = socket;
    socket.ev.on("connection.update", (update) => {
      if (generation !== this.generation) return;
      if (update.qr) {
        this.qr = update.qr;
        this.setState("pairing", "scan the QR code");
        if (this.options.pairingPhoneNumber && !this.pairingCode) {
          socket.requestPairingCode(this.options.pairingPhoneNumber).then(
            (code) => {
              this.pairingCode = code;
              this.qr = undefined;
              this.setState("pairing", "enter the pairing code on the phone");
            },
            (error: unknown) => this.setState("pairing", `no pairing code: ${errorText(error)}`),
          );
        }
      }
      if (update.connection === "open") {
        this.qr = undefined;
        this.pairingCode = undefined;
        this.attempt = 0;
        this.setState("ready");
      }
      if (update.connection === "close") this.closedBy(update.lastDisconnect?.error, generation);
    });
    socket.ev.on("messages.upsert", ({ messages, type }) => {
      if (generation !== this.generation || type !== "notify") return;
      for (const message of messages) this.receive(message);
    });
    socket.ev.on("messages.update", (updates) => {
      if (generation !== this.generation) return;
      for (const { key, update } of updates) {
        const status = typeof update.status === "number" ? TICKS[update.status] : undefined;
        if (!status || !key.id || !key.remoteJid) continue;
        this.eventListeners.emit({ kind: "ack", messageId: key.id, chatId: toChatId(key.remoteJid), status, at: this.clock.now() });
      }
    });
  }

  private closedBy(error: unknown, generation: number): void {
    if (this.closed || generation !== this.generation) return;
    const code = statusCodeOf(error);
    this.socket = undefined;
    this.generation += 1;
    if (code === LOGGED_OUT) {
      // Logged out on the phone: the saved login is worthless, a new pairing is needed.
      this.authFailures += 1;
      this.setState("pairing", "logged out on the phone: pair again");
      void this.options.clearLogin().then(() => this.open());
      return;
    }
    if (code === CONNECTION_REPLACED) {
      this.setState("disconnected", "the session was opened elsewhere (connection replaced); restart it to take it back");
      return;
    }
    this.failed(`connection closed${code ? ` (${code})` : ""}: ${errorText(error ?? "no reason given")}`);
  }

  private failed(reason: string): void {
    if (this.closed) return;
    this.setState("disconnected", reason);
    this.attempt += 1;
    const delay = Math.min(this.options.reconnectMaxMs, this.options.reconnectBaseMs * 2 ** (this.attempt - 1));
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnects += 1;
      void this.open();
    }, delay);
  }

  private receive(message: WAMessage): void {
    const key = message.key;
    if (!key.id || !key.remoteJid || key.remoteJid === "status@broadcast") return;
    if (key.fromMe && !this.options.includeOwn) return;
    this.recent.set(key.id, message);
    while (this.recent.size > RECENT_MESSAGES) this.recent.delete(this.recent.keys().next().value as string);
    const chatId = toChatId(key.remoteJid);
    const isGroup = chatId.endsWith("@g.us");
    const author = isGroup && key.participant ? toChatId(key.participant) : undefined;
    const content = unwrap(message.message);
    if (content?.pollUpdateMessage) {
      // A vote on a poll this connection does not know (sent before a restart, or elsewhere) cannot be read.
      const vote = this.voteFrom(message, content);
      if (vote) this.messageListeners.emit(vote);
      return;
    }
    const described = describeContent(content, key.id);
    if (described.poll) {
      const secret = message.message?.messageContextInfo?.messageSecret;
      if (secret && secret.length > 0) {
        const creatorJid = key.fromMe ? this.ownJid() : (key.participant ?? key.remoteJid);
        this.rememberPoll(key.id, { poll: described.poll, secret, creatorJid, chatId: toChatId(key.remoteJid) });
      }
    }
    const now = this.clock.now();
    const envelope: WaMessage = {
      id: key.id,
      chatId,
      from: author ?? chatId,
      ...(author ? { author } : {}),
      ...(message.pushName ? { senderName: message.pushName } : {}),
      body: described.body,
      type: described.type,
      timestamp: messageTimestamp(message, now),
      receivedAt: now,
      isGroup,
      fromMe: key.fromMe === true,
      ...(described.quotedId ? { quotedId: described.quotedId } : {}),
      ...(described.media ? { media: described.media } : {}),
      ...(described.location ? { location: described.location } : {}),
      ...(described.contacts ? { contacts: described.contacts } : {}),
      ...(described.poll ? { poll: described.poll } : {}),
      ...(described.reply ? { reply: described.reply } : {}),
      transport: this.kind,
    };
    this.messageListeners.emit(envelope);
  }

  private async dropSocket(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.generation += 1;
    if (!socket) return;
    socket.ev.removeAllListeners("connection.update");
    socket.ev.removeAllListeners("messages.upsert");
    socket.ev.removeAllListeners("messages.update");
    await socket.end(undefined).catch(() => undefined);
  }

  private setState(state: TransportState, detail?: string): void {
    this.updatedAt = this.clock.now();
    if (state === this.current && detail === this.detail) return;
    this.current = state;
    this.detail = detail;
    this.stateListeners.emit(state, detail);
  }
}
