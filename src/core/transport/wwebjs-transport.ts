import type { Chat, Client, Location, Message, MessageMedia, MessageSendOptions, Poll, PollVote } from "whatsapp-web.js";
import { Clock, TimerHandle } from "../clock";
import { MAX_TEXT_LENGTH, SentReceipt, WaMessage, WaMessageType } from "../envelope";
import { WaError } from "../errors";
import {
  contentSummary,
  OutgoingContent,
  OutgoingContentKind,
  parseVCards,
  toVCard,
  unsupportedKind,
  linkedDeviceRefusal,
} from "./outgoing-content";
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

/**
 * whatsapp-web.js behind the transport interface. Only this part of the library's `Client`
 * is used; its type is taken from the library's own .d.ts, so a stand-in that implements it
 * is checked against the real contract.
 */
export type WwebjsClientLike = Pick<Client, "initialize" | "destroy" | "logout" | "requestPairingCode" | "sendReaction" | "getState"> & {
  // The library types each event's listener separately; here one signature covers the events used.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeAllListeners(): unknown;
  sendMessage(chatId: string, content: string | MessageMedia | Location | Poll, options?: MessageSendOptions): Promise<Pick<Message, "id">>;
  /** The library resolves undefined for a chat WhatsApp Web does not know (its .d.ts says Chat). */
  getChatById(chatId: string): Promise<Pick<Chat, "sendStateTyping"> | undefined>;
};

/** Compile-time proof that the real Client satisfies the contract the transport and the stand-in share. */
export type RealClientFitsContract = Client extends WwebjsClientLike ? true : never;

/** The part of a whatsapp-web.js `Message` the mapping reads. */
export type WwebjsMessageLike = Pick<
  Message,
  | "id"
  | "from"
  | "to"
  | "author"
  | "body"
  | "type"
  | "timestamp"
  | "fromMe"
  | "hasMedia"
  | "hasQuotedMsg"
  | "isStatus"
  | "rawData"
  | "downloadMedia"
> &
  Partial<
    Pick<Message, "location" | "vCards" | "selectedButtonId" | "selectedRowId" | "pollName" | "pollOptions" | "allowMultipleAnswers">
  >;

/** The part of a poll vote (the library's vote_update event) the mapping reads. */
export type WwebjsVoteLike = Pick<PollVote, "voter" | "selectedOptions" | "interractedAtTs"> & {
  parentMessage: Pick<Message, "id" | "from" | "to" | "fromMe" | "pollName">;
};

export interface WwebjsTransportOptions {
  createClient(): WwebjsClientLike;
  /** Emit the account's own messages too (`message_create`), e.g. replies typed on the phone. */
  includeOwn: boolean;
  /** Digits of the phone number to pair with a code instead of a QR code; empty for QR. */
  pairingPhoneNumber: string;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** initialize() gets this long; a page that never loads must not hang the connection. */
  initializeTimeoutMs: number;
  /** Media larger than this is not downloaded (the envelope says why). */
  maxMediaBytes: number;
  /** Makes the library's MessageMedia (a class of whatsapp-web.js) for a file to send. */
  createMedia?: (mimetype: string, base64: string, filename?: string) => MessageMedia;
  /** Makes the library's Location and Poll for a location or a poll to send. */
  createLocation?: (latitude: number, longitude: number, place: { name?: string; address?: string }) => Location;
  createPoll?: (question: string, options: string[], multiple: boolean) => Poll;
}

export interface PairingInfo {
  state: TransportState;
  detail?: string;
  qr?: string;
  pairingCode?: string;
  updatedAt: number;
  reconnects: number;
  authFailures: number;
}

const TYPE_MAP: Partial<Record<string, WaMessageType>> = {
  chat: "chat",
  image: "image",
  video: "video",
  audio: "audio",
  ptt: "ptt",
  document: "document",
  sticker: "sticker",
  location: "location",
  vcard: "vcard",
  multi_vcard: "vcard",
  reaction: "reaction",
  buttons_response: "chat",
  list_response: "chat",
  template_button_reply: "chat",
  poll_creation: "poll",
};

/** whatsapp-web.js's MessageAck values as tick names (-1 error, 1 server, 2 device, 3 read, 4 played). */
const ACK_STATUS: Record<number, "sent" | "delivered" | "read" | "played" | "failed"> = {
  [-1]: "failed",
  1: "sent",
  2: "delivered",
  3: "read",
  4: "played",
};

/** Maps a whatsapp-web.js message to the envelope's message. */
export function fromWwebjsMessage(message: WwebjsMessageLike, receivedAt: number): WaMessage {
  const raw = (message.rawData ?? {}) as {
    quotedStanzaID?: unknown;
    notifyName?: unknown;
    mimetype?: unknown;
    filename?: unknown;
    size?: unknown;
  };
  const chatId = message.fromMe ? message.to : message.from;
  const isGroup = chatId.endsWith("@g.us");
  const type = TYPE_MAP[message.type] ?? "unknown";
  const body = typeof message.body === "string" ? message.body.slice(0, MAX_TEXT_LENGTH) : "";
  const result: WaMessage = {
    id: message.id._serialized,
    chatId,
    from: isGroup && message.author ? message.author : message.from,
    body: type === "unknown" || looksLikeInlinePreview(message, body) ? "" : body,
    type,
    timestamp: message.timestamp * 1000,
    receivedAt,
    isGroup,
    fromMe: message.fromMe,
    transport: "whatsapp-web",
  };
  if (isGroup && message.author) result.author = message.author;
  if (typeof raw.notifyName === "string" && raw.notifyName !== "") result.senderName = raw.notifyName.slice(0, 256);
  if (message.hasQuotedMsg && typeof raw.quotedStanzaID === "string") result.quotedId = raw.quotedStanzaID;
  Object.assign(result, typedFields(message, body));
  if (message.hasMedia) {
    result.media = {
      mimetype: typeof raw.mimetype === "string" ? raw.mimetype : "application/octet-stream",
      ref: `wwebjs-media:${message.id._serialized}`,
      ...(typeof raw.filename === "string" ? { filename: raw.filename.slice(0, 256) } : {}),
      ...(typeof raw.size === "number" ? { sizeBytes: raw.size } : {}),
    };
  }
  return result;
}

/** What a location, contact card, poll or button answer carries, as the envelope's typed fields. */
function typedFields(message: WwebjsMessageLike, body: string): Partial<WaMessage> {
  const type = String(message.type);
  if (type === "location" && message.location) {
    const latitude = Number(message.location.latitude);
    const longitude = Number(message.location.longitude);
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return {};
    const name = message.location.name ?? message.location.description?.split("\n")[0];
    const address = message.location.address ?? message.location.description?.split("\n")[1];
    return {
      location: {
        latitude,
        longitude,
        ...(name ? { name: name.slice(0, 256) } : {}),
        ...(address ? { address: address.slice(0, 256) } : {}),
      },
      body: [name, address, `${latitude},${longitude}`].filter(Boolean).join(" · "),
    };
  }
  if (type === "vcard" || type === "multi_vcard") {
    const contacts = (message.vCards ?? (body ? [body] : [])).slice(0, 20).flatMap((card) => parseVCards(String(card)));
    return { contacts, body: contacts.map((c) => [c.name, ...c.phones].join(" ")).join("\n") };
  }
  if (type === "poll_creation" && typeof message.pollName === "string") {
    const options = (message.pollOptions ?? [])
      .map((o) => String((o as unknown as { name?: unknown }).name ?? o).slice(0, 100))
      .slice(0, 12);
    return {
      poll: { question: message.pollName.slice(0, 255), options, multiple: message.allowMultipleAnswers === true },
      body: message.pollName.slice(0, 255),
    };
  }
  if (type === "buttons_response" || type === "template_button_reply" || type === "list_response") {
    const id = (type === "list_response" ? message.selectedRowId : message.selectedButtonId) ?? body;
    const raw = (message.rawData ?? {}) as { quotedStanzaID?: unknown };
    return {
      reply: {
        kind: type === "list_response" ? "list" : type === "template_button_reply" ? "template" : "button",
        id: String(id).slice(0, 256),
        title: body.slice(0, 256),
        ...(typeof raw.quotedStanzaID === "string" ? { toMessageId: raw.quotedStanzaID } : {}),
      },
    };
  }
  return {};
}

/** A poll vote (the library's vote_update) as a message of type vote: the body lists the options picked. */
export function fromWwebjsVote(vote: WwebjsVoteLike, receivedAt: number): WaMessage {
  const poll = vote.parentMessage;
  const chatId = poll.fromMe ? poll.to : poll.from;
  const isGroup = chatId.endsWith("@g.us");
  const selected = vote.selectedOptions.map((o) => String(o.name).slice(0, 100)).slice(0, 12);
  const at = Number(vote.interractedAtTs) || receivedAt;
  return {
    id: `vote:${poll.id._serialized}:${vote.voter}:${at}`.slice(0, 256),
    chatId,
    from: vote.voter,
    ...(isGroup ? { author: vote.voter } : {}),
    body: selected.join(", "),
    type: "vote",
    timestamp: at,
    receivedAt,
    isGroup,
    fromMe: false,
    vote: { pollId: poll.id._serialized, selected, ...(poll.pollName ? { question: poll.pollName } : {}) },
    transport: "whatsapp-web",
  };
}

/** Some WhatsApp Web builds put a base64 thumbnail where a media message's caption would be. */
function looksLikeInlinePreview(message: WwebjsMessageLike, body: string): boolean {
  return message.hasMedia && body.length > 1_000 && /^[A-Za-z0-9+/=]+$/.test(body);
}

/** Library errors worth naming for a person; the rest keep the library's text. */
function sendError(error: unknown, chatId: string): WaError {
  const text = error instanceof Error ? error.message : String(error);
  if (/invalid wid|wid error|No LID for user|not a valid/i.test(text)) {
    return new WaError("transport.invalidTarget", `Cannot send to chat id ${chatId}: WhatsApp does not know it`, { chatId });
  }
  if (/Session closed|Target closed|Protocol error|detached Frame/i.test(text)) {
    return new WaError("transport.notReady", `The WhatsApp Web session closed while sending (${text.slice(0, 120)})`, {
      state: "disconnected",
      stateTerm: "state.disconnected",
    });
  }
  return new WaError("transport.sendFailed", `WhatsApp Web could not send the message: ${text.slice(0, 200)}`, {
    reason: text.slice(0, 200),
  });
}

export class WwebjsTransport extends TransportEvents implements WaTransport {
  readonly kind = "whatsapp-web";
  private client: WwebjsClientLike | undefined;
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
  private wasReadyBefore = false;
  private generation = 0;
  private readonly media = new Map<string, WwebjsMessageLike>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly options: WwebjsTransportOptions,
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
      updatedAt: this.updatedAt,
      reconnects: this.reconnects,
      authFailures: this.authFailures,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.current === "pairing" && this.qr ? { qr: this.qr } : {}),
      ...(this.current === "pairing" && this.pairingCode ? { pairingCode: this.pairingCode } : {}),
    };
  }

  start(): void {
    if (!this.closed) this.open();
  }

  /** Drops the session and starts a fresh one (the editor's restart button). */
  async restart(): Promise<void> {
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.dropClient();
    if (!this.closed) this.open();
  }

  /**
   * WhatsApp Web's own socket state, read from the page: a wedged page never answers, a dropped
   * socket answers something other than CONNECTED.
   */
  async probe(timeoutMs: number): Promise<void> {
    const client = this.client;
    if (!client || this.current !== "ready") {
      throw new WaError("transport.probeFailed", `WhatsApp Web is ${this.current}`, { reason: this.current });
    }
    const state = await askWithin(this.clock, timeoutMs, client.getState(), (reason) => `WhatsApp Web did not answer: ${reason}`);
    if (String(state) !== "CONNECTED") {
      throw new WaError("transport.probeFailed", `WhatsApp Web's socket is ${String(state)}`, { reason: `socket ${String(state)}` });
    }
  }

  /** A new browser session with the saved login (the session store keeps it: no new scan). */
  async reconnect(): Promise<void> {
    await this.restart();
  }

  /** Logs the linked device out (the phone forgets it) and starts pairing again. */
  async logout(): Promise<void> {
    const client = this.client;
    if (client && this.current === "ready") await client.logout();
    await this.restart();
  }

  async sendText(message: OutgoingText): Promise<SentReceipt> {
    try {
      if (this.current !== "ready" || !this.client)
        throw new WaError("transport.notReady", `The WhatsApp Web session is ${this.current}, not ready to send`, {
          state: this.current,
          stateTerm: `state.${this.current}`,
        });
      checkOutgoingText(message);
      let sent: Pick<Message, "id">;
      try {
        sent = await this.client.sendMessage(message.chatId, message.text, message.quotedId ? { quotedMessageId: message.quotedId } : {});
      } catch (error) {
        throw sendError(error, message.chatId);
      }
      const receipt = this.receiptFor(sent, message);
      this.sentListeners.emit({ ...receipt, text: message.text });
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error as Error);
      throw error;
    }
  }

  private receiptFor(sent: Pick<Message, "id">, request: { chatId: string; quotedId?: string }): SentReceipt {
    return {
      id: sent.id._serialized,
      chatId: request.chatId,
      sentAt: this.clock.now(),
      transport: this.kind,
      ...(request.quotedId ? { quotedId: request.quotedId } : {}),
    };
  }

  async sendMedia(media: OutgoingMedia): Promise<SentReceipt> {
    try {
      if (this.current !== "ready" || !this.client)
        throw new WaError("transport.notReady", `The WhatsApp Web session is ${this.current}, not ready to send`, {
          state: this.current,
          stateTerm: `state.${this.current}`,
        });
      const content: MessageMedia = this.options.createMedia
        ? this.options.createMedia(media.mimetype, media.data.toString("base64"), media.filename)
        : { mimetype: media.mimetype, data: media.data.toString("base64"), filename: media.filename ?? null, filesize: media.data.length };
      const isVoice = media.mimetype.startsWith("audio/ogg");
      const isDocument = !/^(image|video|audio)\//.test(media.mimetype);
      let sent: Pick<Message, "id">;
      try {
        sent = await this.client.sendMessage(media.chatId, content, {
          ...(media.caption ? { caption: media.caption } : {}),
          ...(media.quotedId ? { quotedMessageId: media.quotedId } : {}),
          ...(isVoice ? { sendAudioAsVoice: true } : {}),
          ...(isDocument ? { sendMediaAsDocument: true } : {}),
        });
      } catch (error) {
        throw sendError(error, media.chatId);
      }
      const receipt = this.receiptFor(sent, media);
      this.sentListeners.emit(sentMediaRecord(receipt, media));
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error as Error);
      throw error;
    }
  }

  readonly supportedKinds: readonly OutgoingContentKind[] = ["location", "contacts", "poll"];

  /** A location, a contact card or a poll; buttons, lists and templates do not reach customers from a linked device. */
  async sendContent(chatId: string, content: OutgoingContent, quotedId?: string): Promise<SentReceipt> {
    try {
      if (this.current !== "ready" || !this.client)
        throw new WaError("transport.notReady", `The WhatsApp Web session is ${this.current}, not ready to send`, {
          state: this.current,
          stateTerm: `state.${this.current}`,
        });
      checkSendTarget(chatId);
      let message: string | Location | Poll;
      const options: MessageSendOptions = quotedId ? { quotedMessageId: quotedId } : {};
      switch (content.kind) {
        case "location": {
          const place = { ...(content.name ? { name: content.name } : {}), ...(content.address ? { address: content.address } : {}) };
          message = this.options.createLocation
            ? this.options.createLocation(content.latitude, content.longitude, place)
            : ({ latitude: String(content.latitude), longitude: String(content.longitude), ...place } as Location);
          break;
        }
        case "contacts":
          if (content.contacts.length > 1)
            throw unsupportedKind("contacts", "WhatsApp Web", "it sends one contact card per message; send one message per contact");
          // A text that is a vCard is sent as a contact card (the library's parseVCards, on by default).
          message = toVCard(content.contacts[0]);
          options.parseVCards = true;
          break;
        case "poll":
          message = this.options.createPoll
            ? this.options.createPoll(content.question, content.options, content.multiple)
            : ({
                pollName: content.question,
                pollOptions: content.options.map((name, localId) => ({ name, localId })),
                options: { allowMultipleAnswers: content.multiple, messageSecret: undefined },
              } as Poll);
          break;
        default:
          throw linkedDeviceRefusal(content.kind, "WhatsApp Web");
      }
      let sent: Pick<Message, "id">;
      try {
        sent = await this.client.sendMessage(chatId, message, options);
      } catch (error) {
        throw sendError(error, chatId);
      }
      const receipt = this.receiptFor(sent, { chatId, ...(quotedId ? { quotedId } : {}) });
      this.sentListeners.emit({ ...receipt, text: contentSummary(content), content });
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error as Error);
      throw error;
    }
  }

  async react(_chatId: string, messageId: string, emoji: string): Promise<void> {
    if (this.current !== "ready" || !this.client)
      throw new WaError("transport.notReady", `The WhatsApp Web session is ${this.current}, not ready to send`, {
        state: this.current,
        stateTerm: `state.${this.current}`,
      });
    try {
      await this.client.sendReaction(messageId, emoji);
    } catch (error) {
      throw sendError(error, _chatId);
    }
  }

  async showTyping(chatId: string): Promise<void> {
    if (this.current !== "ready" || !this.client) return;
    const chat = await this.client.getChatById(chatId);
    // Typing in a chat WhatsApp Web does not know shows nothing; the send that follows says why it fails.
    await chat?.sendStateTyping();
  }

  /** Downloads a received message's media on demand, refusing what is over the size limit. */
  async downloadMedia(ref: string, maxBytes = this.options.maxMediaBytes): Promise<{ mimetype: string; data: Buffer; filename?: string }> {
    const limit = Math.min(maxBytes, this.options.maxMediaBytes);
    const message = this.media.get(ref.replace(/^wwebjs-media:/, ""));
    if (!message)
      throw new WaError("media.unavailable", `The media of ${ref} is no longer held (only the last 500 messages with media are)`, { ref });
    const size = (message.rawData as { size?: unknown } | undefined)?.size;
    if (typeof size === "number" && size > limit)
      throw new WaError("media.tooLarge", `The media is ${size} bytes; the limit is ${limit}`, { size, max: limit });
    const media = await message.downloadMedia();
    if (!media) throw new WaError("media.unavailable", `WhatsApp no longer has the media of ${ref}`, { ref });
    const data = Buffer.from(media.data, "base64");
    if (data.length > limit)
      throw new WaError("media.tooLarge", `The media is ${data.length} bytes; the limit is ${limit}`, { size: data.length, max: limit });
    return { mimetype: media.mimetype, data, ...(media.filename ? { filename: media.filename } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.dropClient();
    this.setState("stopped");
    this.clearListeners();
  }

  private open(): void {
    const generation = ++this.generation;
    let client: WwebjsClientLike;
    try {
      client = this.options.createClient();
    } catch (error) {
      this.failed(`cannot start WhatsApp Web: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.client = client;
    const mine = () => generation === this.generation && !this.closed;
    this.setState("starting");
    client.on("qr", (qr: string) => {
      if (!mine()) return;
      this.qr = qr;
      this.setState("pairing", "scan the QR code in the connection's settings");
    });
    client.on("code", (code: string) => {
      if (!mine()) return;
      this.pairingCode = code;
      this.updatedAt = this.clock.now();
      this.setState("pairing", "enter the pairing code on the phone");
    });
    client.on("auth_failure", (reason: string) => {
      if (!mine()) return;
      this.authFailures += 1;
      this.failed(`auth failure: ${reason}; the saved session was refused, pair again`);
    });
    client.on("ready", () => {
      if (!mine()) return;
      if (this.wasReadyBefore) this.reconnects += 1;
      this.wasReadyBefore = true;
      this.attempt = 0;
      this.qr = undefined;
      this.pairingCode = undefined;
      this.setState("ready");
    });
    client.on("disconnected", (reason: string) => {
      if (!mine()) return;
      this.failed(reason === "LOGOUT" ? "logged out on the phone: pair again" : `disconnected (${reason})`);
    });
    client.on("message", (message: Message) => {
      if (mine()) this.receive(message);
    });
    client.on("message_ack", (message: Message, ack: number) => {
      if (!mine()) return;
      const status = ACK_STATUS[ack];
      if (status)
        this.eventListeners.emit({
          kind: "ack",
          messageId: message.id._serialized,
          chatId: message.fromMe ? message.to : message.from,
          status,
          at: this.clock.now(),
        });
    });
    client.on("message_revoke_everyone", (message: Message, revoked?: Message | null) => {
      if (!mine()) return;
      const original = revoked ?? message;
      this.eventListeners.emit({
        kind: "revoke",
        messageId: original.id._serialized,
        chatId: message.fromMe ? message.to : message.from,
        at: this.clock.now(),
        ...(revoked && typeof revoked.body === "string" ? { originalBody: revoked.body.slice(0, MAX_TEXT_LENGTH) } : {}),
      });
    });
    client.on("vote_update", (vote: PollVote) => {
      if (!mine()) return;
      const message = fromWwebjsVote(vote, this.clock.now());
      if (this.seen.has(message.id)) return;
      this.seen.add(message.id);
      this.messageListeners.emit(message);
    });
    client.on("message_create", (message: Message) => {
      if (mine() && this.options.includeOwn && message.fromMe) this.receive(message);
    });
    const initialized = client.initialize();
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(
        () => reject(new Error(`WhatsApp Web did not load within ${this.options.initializeTimeoutMs / 1000} s`)),
        this.options.initializeTimeoutMs,
      );
    });
    Promise.race([initialized, timedOut])
      .then(async () => {
        if (mine() && this.options.pairingPhoneNumber && this.current !== "ready") {
          const code = await client.requestPairingCode(this.options.pairingPhoneNumber);
          if (mine()) {
            this.pairingCode = code;
            this.setState("pairing", "enter the pairing code on the phone");
          }
        }
      })
      .catch((error: unknown) => {
        if (mine())
          this.failed(`cannot reach WhatsApp Web: ${error instanceof Error ? error.message.split("\n")[0].slice(0, 200) : String(error)}`);
      })
      .finally(() => this.clock.clearTimeout(timer));
    // A rejected initialize after a timeout must not become an unhandled rejection.
    initialized.catch(() => undefined);
  }

  private receive(message: WwebjsMessageLike): void {
    if (message.isStatus || message.from === "status@broadcast") return;
    const id = message.id._serialized;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > 5_000) this.seen.delete(this.seen.values().next().value as string);
    if (message.hasMedia) {
      this.media.set(id, message);
      if (this.media.size > 500) this.media.delete(this.media.keys().next().value as string);
    }
    this.messageListeners.emit(fromWwebjsMessage(message, this.clock.now()));
  }

  /** The session is gone: say why, then try again after a backoff (a new client, as the library needs). */
  private failed(reason: string): void {
    if (this.closed) return;
    this.setState("disconnected", reason);
    this.clock.clearTimeout(this.reconnectTimer);
    const delay = Math.min(this.options.reconnectMaxMs, this.options.reconnectBaseMs * 2 ** this.attempt);
    this.attempt += 1;
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.dropClient().then(() => {
        if (!this.closed) this.open();
      });
    }, delay);
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.generation += 1;
    if (!client) return;
    client.removeAllListeners();
    try {
      await client.destroy();
    } catch {
      // A browser that is already gone is what we wanted.
    }
  }

  private setState(state: TransportState, detail?: string): void {
    const changed = state !== this.current || detail !== this.detail;
    this.current = state;
    this.detail = detail;
    this.updatedAt = this.clock.now();
    if (changed) this.stateListeners.emit(state, detail);
  }
}
