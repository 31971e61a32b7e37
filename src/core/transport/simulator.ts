import { Clock, TimerHandle } from "../clock";
import {
  MAX_TEXT_LENGTH,
  MESSAGE_TYPES,
  SentReceipt,
  WaContactCard,
  WaLocation,
  WaMediaDescriptor,
  WaMessage,
  WaMessageType,
  WaReply,
  WaVote,
  validateChatId,
} from "../envelope";
import { WaError } from "../errors";
import { contentSummary, OutgoingContent, OutgoingContentKind } from "./outgoing-content";
import { checkServiceWindow } from "./service-window";
import {
  checkOutgoingText,
  checkSendTarget,
  OutgoingMedia,
  OutgoingText,
  sentMediaRecord,
  SentRecord,
  TransportEvents,
  TransportState,
  WaTransport,
} from "./transport";

export interface ScriptedMessage {
  from: string;
  author?: string;
  senderName?: string;
  body: string;
  type?: WaMessageType;
  /** When it is delivered, measured from the conversation's first message (unscaled ms). */
  offsetMs: number;
  /** When it was sent, if earlier than its delivery (an out-of-order delivery). */
  sentOffsetMs?: number;
  sourceId?: string;
  media?: WaMediaDescriptor;
}

export interface ScriptedConversation {
  id: string;
  chatId: string;
  isGroup: boolean;
  messages: ScriptedMessage[];
}

export interface ChatScript {
  name: string;
  conversations: ScriptedConversation[];
}

export interface SimulatorOptions {
  script: ChatScript;
  /** Time compression: 60 plays a minute of chat in one second. */
  speed: number;
  /** Longest pause between two messages of one conversation, after scaling. */
  maxGapMs: number;
  /** Pause between the starts of successive conversations. */
  conversationStaggerMs: number;
  startDelayMs: number;
  /** Play the script again, with new message ids, when it ends. */
  loop: boolean;
  /** Most sent messages remembered for inspection. */
  outboxSize?: number;
  /** Sends a minute the stand-in's WhatsApp accepts before it answers "too many" (transport.rateLimited); 0 or none: no limit. */
  sendsPerMinute?: number;
  /** Plays the Cloud API's 24-hour customer-service window: free-form sends to a chat silent for longer are refused. */
  serviceWindow?: boolean;
  /** The simulated customer picks a button, a list row or a poll option a few (simulated) seconds after one is sent. */
  answerInteractive?: boolean;
  /** Reads a script's media file (a plain name) with at most `maxBytes`; none: media cannot be downloaded. */
  readMedia?: (fileName: string, maxBytes: number) => Promise<Buffer>;
}

export const SIMULATOR_LIMITS = {
  maxScriptBytes: 10 * 1024 * 1024,
  maxScriptMessages: 100_000,
  maxSpeed: 100_000,
} as const;

export function validateSimulatorOptions(options: SimulatorOptions): void {
  const check = (ok: boolean, field: string, text: string) => {
    if (!ok) throw new WaError("config.invalid", text, { field });
  };
  check(
    options.speed > 0 && options.speed <= SIMULATOR_LIMITS.maxSpeed,
    "speed",
    `Speed must be between 0 and ${SIMULATOR_LIMITS.maxSpeed}`,
  );
  check(options.maxGapMs >= 0, "maxGap", "Longest gap must not be negative");
  check(options.conversationStaggerMs >= 0, "stagger", "Stagger must not be negative");
  check(options.startDelayMs >= 0, "startDelay", "Start delay must not be negative");
  check(
    options.sendsPerMinute === undefined || (Number.isInteger(options.sendsPerMinute) && options.sendsPerMinute >= 0),
    "rateLimit",
    "Sends per minute must be a whole number, 0 for no limit",
  );
  check(options.script.conversations.length > 0, "script", "The chat script has no conversations");
}

interface GoldLine {
  id?: unknown;
  conversation?: unknown;
  chat?: unknown;
  from?: unknown;
  timestamp?: unknown;
  text?: unknown;
  type?: unknown;
  /** A file name in the simulator's media folder, e.g. "receipt.jpg". */
  media?: unknown;
}

const MEDIA_TYPES_BY_EXTENSION: Record<string, { mimetype: string; type: WaMessageType }> = {
  ".jpg": { mimetype: "image/jpeg", type: "image" },
  ".jpeg": { mimetype: "image/jpeg", type: "image" },
  ".png": { mimetype: "image/png", type: "image" },
  ".webp": { mimetype: "image/webp", type: "sticker" },
  ".ogg": { mimetype: "audio/ogg; codecs=opus", type: "ptt" },
  ".opus": { mimetype: "audio/ogg; codecs=opus", type: "ptt" },
  ".mp3": { mimetype: "audio/mpeg", type: "audio" },
  ".wav": { mimetype: "audio/wav", type: "audio" },
  ".pdf": { mimetype: "application/pdf", type: "document" },
  ".docx": { mimetype: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", type: "document" },
  ".xlsx": { mimetype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", type: "document" },
  ".csv": { mimetype: "text/csv", type: "document" },
  ".txt": { mimetype: "text/plain", type: "document" },
};

/** A media file name from a chat script: a plain name (no folders), with a known extension. */
export function simulatedMedia(fileName: string): { descriptor: WaMediaDescriptor; type: WaMessageType } | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._ -]{0,200}$/.test(fileName) || fileName.includes("..")) return undefined;
  const extension = fileName.slice(fileName.lastIndexOf(".")).toLowerCase();
  const known = MEDIA_TYPES_BY_EXTENSION[extension];
  if (!known) return undefined;
  return { descriptor: { mimetype: known.mimetype, filename: fileName, ref: `sim-media:${fileName}` }, type: known.type };
}

function badLine(line: number, why: string): WaError {
  return new WaError("simulator.badScript", `Chat script line ${line}: ${why}`, { line, reason: why });
}

/**
 * Reads a chat script in the whatsapp-gold JSONL shape: one message per line with
 * id, conversation, chat, from, timestamp (Unix seconds) and text, in delivery order.
 */
export function parseChatScriptJsonl(text: string, name = "file"): ChatScript {
  if (Buffer.byteLength(text) > SIMULATOR_LIMITS.maxScriptBytes) {
    throw new WaError("simulator.badScript", `Chat script is larger than ${SIMULATOR_LIMITS.maxScriptBytes} bytes`, {
      line: 0,
      reason: "too large",
    });
  }
  const conversations = new Map<string, ScriptedConversation & { firstSeconds: number; lastDelivery: number }>();
  const lines = text.split(/\r?\n/);
  let count = 0;
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === "") return;
    count += 1;
    if (count > SIMULATOR_LIMITS.maxScriptMessages) throw badLine(lineNo, `more than ${SIMULATOR_LIMITS.maxScriptMessages} messages`);
    let row: GoldLine;
    try {
      row = JSON.parse(raw) as GoldLine;
    } catch {
      throw badLine(lineNo, "not valid JSON");
    }
    if (typeof row !== "object" || row === null) throw badLine(lineNo, "not a JSON object");
    if (typeof row.text !== "string") throw badLine(lineNo, "text must be a string");
    if (row.text.length > MAX_TEXT_LENGTH) throw badLine(lineNo, `text longer than ${MAX_TEXT_LENGTH} characters`);
    if (typeof row.timestamp !== "number" || !Number.isFinite(row.timestamp))
      throw badLine(lineNo, "timestamp must be a number (Unix seconds)");
    try {
      validateChatId(row.chat);
      validateChatId(row.from);
    } catch {
      throw badLine(lineNo, "chat and from must be WhatsApp ids such as 447700900123@c.us");
    }
    let type =
      typeof row.type === "string" && (MESSAGE_TYPES as readonly string[]).includes(row.type) ? (row.type as WaMessageType) : "chat";
    let media: WaMediaDescriptor | undefined;
    if (row.media !== undefined) {
      const found = typeof row.media === "string" ? simulatedMedia(row.media) : undefined;
      if (!found)
        throw badLine(
          lineNo,
          "media must be a plain file name (no folders) ending in .jpg, .png, .ogg, .mp3, .wav, .pdf, .docx, .xlsx, .csv or .txt",
        );
      media = found.descriptor;
      if (typeof row.type !== "string") type = found.type;
    }
    const chatId = row.chat as string;
    const conversationId = typeof row.conversation === "string" ? row.conversation : chatId;
    let conversation = conversations.get(conversationId);
    if (!conversation) {
      conversation = {
        id: conversationId,
        chatId,
        isGroup: chatId.endsWith("@g.us"),
        messages: [],
        firstSeconds: row.timestamp,
        lastDelivery: 0,
      };
      conversations.set(conversationId, conversation);
    }
    const sentOffsetMs = Math.max(0, (row.timestamp - conversation.firstSeconds) * 1000);
    // Lines are in delivery order: a message sent earlier than its predecessor arrives right after it.
    const offsetMs = Math.max(conversation.lastDelivery, sentOffsetMs);
    conversation.lastDelivery = offsetMs;
    conversation.messages.push({
      from: row.from as string,
      author: conversation.isGroup ? (row.from as string) : undefined,
      body: row.text,
      type,
      offsetMs,
      sentOffsetMs: sentOffsetMs < offsetMs ? sentOffsetMs : undefined,
      sourceId: typeof row.id === "string" ? row.id.slice(0, 128) : undefined,
      media,
    });
  });
  if (conversations.size === 0) throw new WaError("simulator.badScript", "Chat script has no messages", { line: 0, reason: "empty" });
  return {
    name,
    conversations: [...conversations.values()].map(({ id, chatId, isGroup, messages }) => ({ id, chatId, isGroup, messages })),
  };
}

/** A WhatsApp stand-in: replays a chat script with scaled timing and records what is sent. */
export class SimulatedWhatsApp extends TransportEvents implements WaTransport {
  readonly kind = "simulator";
  private currentState: TransportState = "stopped";
  private readonly timers = new Set<TimerHandle>();
  private readonly outbox: SentRecord[] = [];
  private round = 0;
  private activeConversations = 0;
  private sentCount = 0;
  private receivedCount = 0;
  private injectedCount = 0;
  private deaf = false;
  private deliveryWithheld = false;
  /** When recent sends went, for the stand-in's rate limit. */
  private readonly recentSends: number[] = [];
  /** When each chat last wrote, for the 24-hour window. */
  private readonly lastInbound = new Map<string, number>();
  readonly supportedKinds: readonly OutgoingContentKind[] = ["buttons", "list", "template", "location", "contacts", "poll"];

  constructor(
    private readonly clock: Clock,
    private readonly options: SimulatorOptions,
  ) {
    super();
    validateSimulatorOptions(options);
  }

  state(): TransportState {
    return this.currentState;
  }

  stats(): { round: number; received: number; sent: number } {
    return { round: this.round, received: this.receivedCount, sent: this.sentCount };
  }

  /** Becomes ready at once and starts the script after the start delay. */
  start(): void {
    if (this.currentState === "ready") return;
    this.setState("ready");
    this.later(this.options.startDelayMs, () => this.playRound());
  }

  sent(): readonly SentRecord[] {
    return this.outbox;
  }

  async sendText(message: OutgoingText): Promise<SentReceipt> {
    try {
      return this.record(message);
    } catch (error) {
      this.sendFailedListeners.emit(error as Error);
      throw error;
    }
  }

  private record(message: OutgoingText): SentReceipt {
    if (this.currentState !== "ready") {
      throw new WaError("transport.notReady", `The simulator is ${this.currentState}, not ready to send`, {
        state: this.currentState,
        stateTerm: `state.${this.currentState}`,
      });
    }
    checkOutgoingText(message);
    this.checkWindow(message.chatId);
    this.checkRate();
    this.sentCount += 1;
    const record: SentRecord = {
      id: `sim-out-${this.sentCount}`,
      chatId: message.chatId,
      sentAt: this.clock.now(),
      transport: this.kind,
      quotedId: message.quotedId,
      text: message.text,
    };
    this.outbox.push(record);
    if (this.outbox.length > (this.options.outboxSize ?? 200)) this.outbox.shift();
    this.sentListeners.emit(record);
    this.tick(record);
    const { text: _text, ...receipt } = record;
    return receipt;
  }

  async downloadMedia(ref: string, maxBytes: number): Promise<{ mimetype: string; data: Buffer; filename?: string }> {
    const fileName = ref.replace(/^sim-media:/, "");
    const media = simulatedMedia(fileName);
    if (!ref.startsWith("sim-media:") || !media)
      throw new WaError("media.unavailable", `The media of ${ref.slice(0, 80)} is not available any more`, { ref: ref.slice(0, 80) });
    if (!this.options.readMedia) {
      throw new WaError(
        "media.unavailable",
        `The media of ${fileName} is not available: choose a media folder in the simulator's settings`,
        { ref: fileName },
      );
    }
    const data = await this.options.readMedia(fileName, maxBytes);
    return { mimetype: media.descriptor.mimetype, data, filename: fileName };
  }

  /** Reactions sent, newest last (the last 200). */
  readonly reactions: { chatId: string; messageId: string; emoji: string; at: number }[] = [];

  async sendMedia(media: OutgoingMedia): Promise<SentReceipt> {
    try {
      if (this.currentState !== "ready")
        throw new WaError("transport.notReady", `The simulator is ${this.currentState}, not ready to send`, {
          state: this.currentState,
          stateTerm: `state.${this.currentState}`,
        });
      checkSendTarget(media.chatId);
      this.checkWindow(media.chatId);
      this.checkRate();
      this.sentCount += 1;
      const sent = {
        id: `sim-out-${this.sentCount}`,
        chatId: media.chatId,
        sentAt: this.clock.now(),
        transport: this.kind,
        quotedId: media.quotedId,
      };
      const record = sentMediaRecord(sent, media);
      this.outbox.push(record);
      if (this.outbox.length > (this.options.outboxSize ?? 200)) this.outbox.shift();
      this.sentListeners.emit(record);
      this.tick(record);
      const { text: _text, media: _media, ...receipt } = record;
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error as Error);
      throw error;
    }
  }

  /** Sends buttons, a list, a template, a location, contact cards or a poll: all kinds, as the Cloud API and WhatsApp Web together do. */
  async sendContent(chatId: string, content: OutgoingContent, quotedId?: string): Promise<SentReceipt> {
    try {
      if (this.currentState !== "ready")
        throw new WaError("transport.notReady", `The simulator is ${this.currentState}, not ready to send`, {
          state: this.currentState,
          stateTerm: `state.${this.currentState}`,
        });
      checkSendTarget(chatId);
      if (content.kind !== "template") this.checkWindow(chatId);
      this.checkRate();
      this.sentCount += 1;
      const record: SentRecord = {
        id: `sim-out-${this.sentCount}`,
        chatId,
        sentAt: this.clock.now(),
        transport: this.kind,
        ...(quotedId ? { quotedId } : {}),
        text: contentSummary(content),
        content,
      };
      this.outbox.push(record);
      if (this.outbox.length > (this.options.outboxSize ?? 200)) this.outbox.shift();
      this.sentListeners.emit(record);
      this.tick(record);
      if (this.options.answerInteractive) this.answerLater(record.id, chatId, content);
      const { text: _text, content: _content, ...receipt } = record;
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error as Error);
      throw error;
    }
  }

  /** The customer taps: a button, a list row or a poll option, picked by the chat id so a run is repeatable. */
  private answerLater(sentId: string, chatId: string, content: OutgoingContent): void {
    const pick = <T>(items: readonly T[]): T => items[[...chatId].reduce((sum, c) => sum + c.charCodeAt(0), 0) % items.length];
    let answer: Parameters<SimulatedWhatsApp["inject"]>[0] | undefined;
    if (content.kind === "buttons") {
      const button = pick(content.buttons);
      answer = { chatId, body: button.title, reply: { kind: "button", id: button.id, title: button.title, toMessageId: sentId } };
    } else if (content.kind === "list") {
      const row = pick(content.sections.flatMap((s) => s.rows));
      answer = {
        chatId,
        body: row.title,
        reply: {
          kind: "list",
          id: row.id,
          title: row.title,
          ...(row.description ? { description: row.description } : {}),
          toMessageId: sentId,
        },
      };
    } else if (content.kind === "poll") {
      const option = pick(content.options);
      answer = { chatId, body: option, type: "vote", vote: { pollId: sentId, selected: [option], question: content.question } };
    }
    if (answer) {
      const customer = answer;
      this.later(this.scaled(5_000), () => {
        if (this.currentState === "ready") this.inject(customer);
      });
    }
  }

  async react(chatId: string, messageId: string, emoji: string): Promise<void> {
    if (this.currentState !== "ready")
      throw new WaError("transport.notReady", `The simulator is ${this.currentState}, not ready to send`, {
        state: this.currentState,
        stateTerm: `state.${this.currentState}`,
      });
    this.reactions.push({ chatId, messageId, emoji, at: this.clock.now() });
    if (this.reactions.length > 200) this.reactions.shift();
  }

  /** Typing indicators shown, newest last (the last 200). */
  readonly typing: { chatId: string; durationMs: number; at: number }[] = [];

  async showTyping(chatId: string, durationMs: number): Promise<void> {
    if (this.currentState !== "ready")
      throw new WaError("transport.notReady", `The simulator is ${this.currentState}, not ready to send`, {
        state: this.currentState,
        stateTerm: `state.${this.currentState}`,
      });
    this.typing.push({ chatId, durationMs, at: this.clock.now() });
    if (this.typing.length > 200) this.typing.shift();
  }

  /**
   * Delivers a message as if a customer had just sent it (the editor's inject button, tests).
   * `delivery` shows what real networks do now and then: `duplicate` delivers it twice (same id),
   * `outOfOrder` delivers it before a second message of the same chat that was sent earlier.
   */
  inject(input: {
    chatId: string;
    body: string;
    from?: string;
    senderName?: string;
    type?: WaMessageType;
    delivery?: "normal" | "duplicate" | "outOfOrder";
    reply?: WaReply;
    location?: WaLocation;
    contacts?: WaContactCard[];
    vote?: WaVote;
  }): WaMessage[] {
    validateChatId(input.chatId);
    if (typeof input.body !== "string" || input.body.length > MAX_TEXT_LENGTH) {
      throw new WaError("envelope.bodyTooLong", `Message body must be a string of at most ${MAX_TEXT_LENGTH} characters`, {
        max: MAX_TEXT_LENGTH,
      });
    }
    const now = this.clock.now();
    const make = (body: string, timestamp: number): WaMessage => {
      this.injectedCount += 1;
      const isGroup = input.chatId.endsWith("@g.us");
      const from = input.from ?? input.chatId;
      return {
        id: `sim-manual-${this.injectedCount}`,
        chatId: input.chatId,
        from,
        author: isGroup ? from : undefined,
        senderName: input.senderName,
        body,
        type: input.type ?? "chat",
        timestamp,
        receivedAt: now,
        isGroup,
        fromMe: false,
        ...(input.reply ? { reply: input.reply } : {}),
        ...(input.location ? { location: input.location } : {}),
        ...(input.contacts ? { contacts: input.contacts } : {}),
        ...(input.vote ? { vote: input.vote } : {}),
        transport: this.kind,
      };
    };
    const delivery = input.delivery ?? "normal";
    if (delivery === "outOfOrder") {
      // The customer wrote "earlier" first, but it arrives after the later one.
      const earlier = make(`${input.body} (sent first)`, now - 2_000);
      const later = make(input.body, now - 1_000);
      this.deliver(later);
      this.deliver(earlier);
      return [later, earlier];
    }
    const message = make(input.body, now);
    this.deliver(message);
    if (delivery === "duplicate") this.deliver({ ...message });
    return delivery === "duplicate" ? [message, message] : [message];
  }

  /**
   * Plays a session that says it is connected but receives nothing: messages are lost on the way
   * in and probes go unanswered, until the connection is opened again.
   */
  deafen(): void {
    this.deaf = true;
  }

  async probe(timeoutMs: number): Promise<void> {
    if (this.currentState !== "ready") {
      throw new WaError("transport.probeFailed", `The simulator is ${this.currentState}`, { reason: this.currentState });
    }
    if (!this.deaf) return;
    // A deaf session's server never answers: the probe waits out its time.
    await new Promise<void>((resolve) => this.later(timeoutMs, resolve));
    throw new WaError("transport.probeFailed", `No answer within ${timeoutMs} ms`, { reason: `no answer within ${timeoutMs} ms` });
  }

  async reconnect(): Promise<void> {
    if (this.currentState === "stopped") return;
    this.setState("disconnected", "reconnecting");
    this.deaf = false;
    this.setState("ready");
  }

  async close(): Promise<void> {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.setState("stopped");
    this.clearListeners();
  }

  private setState(state: TransportState, detail?: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.stateListeners.emit(state, detail);
  }

  private later(delayMs: number, run: () => void): void {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    this.timers.add(timer);
  }

  private scaled(ms: number): number {
    return ms / this.options.speed;
  }

  private playRound(): void {
    this.round += 1;
    const conversations = this.options.script.conversations;
    this.activeConversations = conversations.length;
    conversations.forEach((conversation, index) => {
      this.later(index * this.options.conversationStaggerMs, () => this.playMessage(conversation, 0));
    });
  }

  private playMessage(conversation: ScriptedConversation, index: number): void {
    const scripted = conversation.messages[index];
    if (!scripted) {
      this.conversationEnded();
      return;
    }
    const now = this.clock.now();
    const sentEarlierBy =
      scripted.sentOffsetMs === undefined ? 0 : Math.min(this.options.maxGapMs, this.scaled(scripted.offsetMs - scripted.sentOffsetMs));
    const idBase = scripted.sourceId ?? `${conversation.id}-${index + 1}`;
    this.deliver({
      id: `sim-${this.round}-${idBase}`,
      chatId: conversation.chatId,
      from: scripted.from,
      author: scripted.author,
      senderName: scripted.senderName,
      body: scripted.body,
      type: scripted.type ?? "chat",
      timestamp: Math.round(now - sentEarlierBy),
      receivedAt: now,
      isGroup: conversation.isGroup,
      fromMe: false,
      media: scripted.media,
      transport: this.kind,
    });
    const next = conversation.messages[index + 1];
    if (!next) {
      this.conversationEnded();
      return;
    }
    const gap = Math.min(this.options.maxGapMs, this.scaled(next.offsetMs - scripted.offsetMs));
    this.later(gap, () => this.playMessage(conversation, index + 1));
  }

  private conversationEnded(): void {
    this.activeConversations -= 1;
    if (this.activeConversations === 0 && this.options.loop && this.currentState === "ready") {
      this.later(this.options.conversationStaggerMs, () => this.playRound());
    }
  }

  /** Sends stop being delivered (one grey tick), as when WhatsApp holds a number's messages back; false ends it. */
  withholdDelivery(withheld: boolean): void {
    this.deliveryWithheld = withheld;
  }

  /** WhatsApp's "too many": more than the set sends in the last minute are refused. */
  private checkRate(): void {
    const limit = this.options.sendsPerMinute ?? 0;
    if (limit <= 0) return;
    const now = this.clock.now();
    while (this.recentSends.length > 0 && now - this.recentSends[0] >= 60_000) this.recentSends.shift();
    if (this.recentSends.length >= limit) {
      throw new WaError("transport.rateLimited", `WhatsApp refused the message: more than ${limit} messages in a minute`, { limit });
    }
    this.recentSends.push(now);
  }

  /** The customer's phone gets the message, then the customer reads it: two ticks, then blue ticks. */
  private tick(record: SentRecord): void {
    if (this.eventListeners.size === 0 || this.deliveryWithheld) return;
    const event = (status: "delivered" | "read") => () =>
      this.eventListeners.emit({ kind: "ack", messageId: record.id, chatId: record.chatId, status, at: this.clock.now() });
    this.later(this.scaled(2_000), event("delivered"));
    this.later(this.scaled(20_000), event("read"));
  }

  /** Free-form sends to a chat that has been silent for more than 24 hours are refused, when the option plays the window. */
  private checkWindow(chatId: string): void {
    if (!this.options.serviceWindow) return;
    checkServiceWindow(chatId, this.lastInbound.get(chatId) ?? Number.NEGATIVE_INFINITY, this.clock.now());
  }

  private deliver(message: WaMessage): void {
    if (this.deaf) return;
    this.lastInbound.delete(message.chatId);
    this.lastInbound.set(message.chatId, message.receivedAt);
    if (this.lastInbound.size > 50_000) this.lastInbound.delete(this.lastInbound.keys().next().value as string);
    this.receivedCount += 1;
    this.messageListeners.emit(message);
  }
}
