import { Clock, TimerHandle } from "../clock";
import { OutgoingContent } from "../transport/outgoing-content";
import { SentReceipt } from "../envelope";
import { WaError } from "../errors";

/**
 * Paces outgoing messages the way WhatsApp tolerates: a gap with jitter between two messages
 * to one chat, a global rate over all chats, an optional typing pause in proportion to the
 * text, several short replies to one chat inside a window coalesced into one message, and
 * retries with backoff when a send fails for a passing reason. Pure: the clock, the sender,
 * randomness and an optional outbox (for durability) are injected.
 */
export interface PacerOptions {
  /** Gap between two messages to the same chat: a random value in [min, max]. */
  perChatGapMs: [number, number];
  /** Messages per second over all chats. */
  globalPerSecond: number;
  /** Hold a message this long for more text to the same chat to join it; 0 sends as soon as allowed. */
  coalesceWindowMs: number;
  /** A coalesced message never grows beyond this many characters. */
  coalesceMaxChars: number;
  /** Typing pause: this many ms per character, at most `typingMaxMs`; 0 for none. */
  typingMsPerChar: number;
  typingMaxMs: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  maxQueuedPerChat: number;
  maxQueuedTotal: number;
}

export const DEFAULT_PACER_OPTIONS: PacerOptions = {
  perChatGapMs: [1_000, 3_000],
  globalPerSecond: 5,
  coalesceWindowMs: 0,
  coalesceMaxChars: 1_000,
  typingMsPerChar: 0,
  typingMaxMs: 4_000,
  maxAttempts: 4,
  backoffMs: 2_000,
  maxBackoffMs: 60_000,
  maxQueuedPerChat: 100,
  maxQueuedTotal: 10_000,
};

export interface OutgoingItem<C> {
  id: string;
  chatId: string;
  text: string;
  /** Buttons, a list, a template, a location, contact cards or a poll instead of the text (which then describes it); never coalesced. */
  content?: OutgoingContent;
  quotedId?: string;
  /** The connection (of several) it goes through; one chat of each connection has its own line. */
  via?: string;
  enqueuedAt: number;
  attempts: number;
  /** The messages this item stands for (more than one once coalesced), in order. */
  contexts: C[];
}

/**
 * Whether an item may go now (warm-up caps, first-contact limits): go with a way to give its
 * reservation back if the send then fails, wait until a time, or refuse it for good.
 */
export type PacerAdmission = { go: true; notSent?: () => Promise<void> } | { go: false; until: number } | { go: false; refuse: WaError };

export interface PacerWorld<C> {
  clock: Clock;
  random(): number;
  send(item: OutgoingItem<C>): Promise<SentReceipt>;
  /** Shows "typing..." in the chat; failures are ignored (it is cosmetic). */
  showTyping?(chatId: string, durationMs: number, item: OutgoingItem<C>): Promise<void>;
  sent(item: OutgoingItem<C>, receipt: SentReceipt): void;
  failed(item: OutgoingItem<C>, error: WaError): void;
  /** A send failed for a passing reason and will be tried again. */
  retrying?(item: OutgoingItem<C>, error: WaError, delayMs: number): void;
  /** Durable outbox: called when an item enters, changes (coalesced, attempt) and leaves. */
  persist?(item: OutgoingItem<C>): Promise<void>;
  forget?(item: OutgoingItem<C>): Promise<void>;
  /** Asked right before each send; an item held waits without spending an attempt. */
  admit?(item: OutgoingItem<C>): Promise<PacerAdmission>;
  /** The share of the configured pace to send at (1 = as configured); gaps and the global rate stretch by 1 / pace. */
  pace?(): number;
}

/** Errors worth another attempt: the connection or the API is busy or away, not the message wrong. */
const PASSING_ERRORS = new Set([
  "transport.notReady",
  "transport.rateLimited",
  "cloud.unreachable",
  "cloud.rateLimited",
  "store.disconnected",
]);

export function isPassing(error: WaError): boolean {
  return PASSING_ERRORS.has(error.code);
}

const FORGET_QUIET_CHAT_MS = 60_000;

export type EnqueueOutcome<C> = { accepted: true; item: OutgoingItem<C>; coalesced: boolean } | { accepted: false; error: WaError };

interface ChatLine<C> {
  items: OutgoingItem<C>[];
  /** Earliest time the next message of this chat may go. */
  nextAllowedAt: number;
  /** When this chat last had a message sent; chats take turns by it. */
  lastSentAt: number;
  busy: boolean;
}

export class SendPacer<C> {
  private readonly chats = new Map<string, ChatLine<C>>();
  private total = 0;
  private nextGlobalAt = 0;
  private timer: TimerHandle | undefined;
  private timerDueAt = Number.POSITIVE_INFINITY;
  private closed = false;
  private tickQueued = false;
  private enqueueChain: Promise<void> = Promise.resolve();
  private sequence = 0;
  private sentCount = 0;
  private failedCount = 0;

  constructor(
    private readonly options: PacerOptions,
    private readonly world: PacerWorld<C>,
  ) {
    validatePacerOptions(options);
  }

  get depth(): number {
    return this.total;
  }

  stats(): { queued: number; chats: number; sent: number; failed: number; etaMs: number } {
    return { queued: this.total, chats: this.chats.size, sent: this.sentCount, failed: this.failedCount, etaMs: this.etaMs() };
  }

  /** Rough time until everything queued now has gone: the busiest chat's gaps, or the global rate. */
  etaMs(): number {
    const meanGap = (this.options.perChatGapMs[0] + this.options.perChatGapMs[1]) / 2;
    const now = this.world.clock.now();
    let longest = 0;
    for (const line of this.chats.values()) {
      const first = Math.max(0, line.nextAllowedAt - now);
      longest = Math.max(longest, first + Math.max(0, line.items.length - 1) * meanGap);
    }
    return Math.round(Math.max(longest, (this.total / this.options.globalPerSecond) * 1000));
  }

  /** Queues a text for a chat; refuses with a reason when the outbox is full. */
  enqueue(
    chatId: string,
    text: string,
    context: C,
    quotedId?: string,
    via?: string,
    content?: OutgoingContent,
  ): Promise<EnqueueOutcome<C>> {
    // One at a time: each decides (join, bounds) on what the previous ones left, outbox writes included.
    const outcome = this.enqueueChain.then(() => this.enqueueNow(chatId, text, context, quotedId, via, content));
    this.enqueueChain = outcome.then(
      () => undefined,
      () => undefined,
    );
    return outcome;
  }

  private async enqueueNow(
    chatId: string,
    text: string,
    context: C,
    quotedId: string | undefined,
    via: string | undefined,
    content: OutgoingContent | undefined,
  ): Promise<EnqueueOutcome<C>> {
    if (this.closed)
      return { accepted: false, error: new WaError("pacer.closed", "The sender is stopping; the message was not queued", {}) };
    const line = this.line(laneOf(chatId, via));
    const now = this.world.clock.now();
    const last = line.items[line.items.length - 1];
    if (!content && this.canJoin(line, last, text, quotedId, now)) {
      last!.text = `${last!.text}\n${text}`;
      last!.contexts.push(context);
      await this.world.persist?.(last!);
      return { accepted: true, item: last!, coalesced: true };
    }
    if (line.items.length >= this.options.maxQueuedPerChat) {
      return {
        accepted: false,
        error: new WaError("pacer.chatFull", `Chat ${chatId} already has ${this.options.maxQueuedPerChat} messages waiting to be sent`, {
          chatId,
          max: this.options.maxQueuedPerChat,
        }),
      };
    }
    if (this.total >= this.options.maxQueuedTotal) {
      return {
        accepted: false,
        error: new WaError("pacer.full", `${this.options.maxQueuedTotal} messages are already waiting to be sent`, {
          max: this.options.maxQueuedTotal,
        }),
      };
    }
    this.sequence += 1;
    const item: OutgoingItem<C> = {
      id: `${now.toString(36)}-${this.sequence}`,
      chatId,
      text,
      enqueuedAt: now,
      attempts: 0,
      contexts: [context],
      ...(content ? { content } : {}),
      ...(quotedId ? { quotedId } : {}),
      ...(via ? { via } : {}),
    };
    await this.world.persist?.(item);
    this.add(item);
    return { accepted: true, item, coalesced: false };
  }

  /** Puts back items kept in a durable outbox (after a restart), in their order. */
  restore(items: OutgoingItem<C>[]): void {
    for (const item of items) this.add(item);
  }

  /** Stops sending; returns what was still queued (kept in the outbox if there is one). */
  close(): OutgoingItem<C>[] {
    this.closed = true;
    this.world.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const left = [...this.chats.values()].flatMap((line) => line.items);
    this.chats.clear();
    this.total = 0;
    return left;
  }

  private canJoin(line: ChatLine<C>, last: OutgoingItem<C> | undefined, text: string, quotedId: string | undefined, now: number): boolean {
    if (!last || last.content || this.options.coalesceWindowMs <= 0 || last.attempts > 0) return false;
    // The head of a busy chat may be on its way out; never change what is being sent.
    if (line.busy && line.items[0] === last) return false;
    if (now - last.enqueuedAt >= this.options.coalesceWindowMs) return false;
    if (quotedId !== undefined && quotedId !== last.quotedId) return false;
    return last.text.length + 1 + text.length <= this.options.coalesceMaxChars;
  }

  private line(lane: string): ChatLine<C> {
    let line = this.chats.get(lane);
    if (!line) {
      line = { items: [], nextAllowedAt: 0, lastSentAt: Number.NEGATIVE_INFINITY, busy: false };
      this.chats.set(lane, line);
    }
    return line;
  }

  private add(item: OutgoingItem<C>): void {
    // Looked up again: an empty line may have been forgotten while the outbox was being written.
    this.line(laneOf(item.chatId, item.via)).items.push(item);
    this.total += 1;
    this.schedule();
  }

  /** When the next send can happen: the earliest ready chat, but not before the global slot. */
  private schedule(): void {
    if (this.closed) return;
    const now = this.world.clock.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const [lane, line] of this.chats) {
      if (line.busy) continue;
      if (line.items.length === 0) {
        // A quiet chat is forgotten once its gap has passed and it has had no turn for a while
        // (until then its last turn still counts when chats take turns).
        if (line.nextAllowedAt <= now && now - line.lastSentAt >= FORGET_QUIET_CHAT_MS) this.chats.delete(lane);
        continue;
      }
      earliest = Math.min(earliest, this.readyAt(line));
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    const due = Math.max(earliest, this.nextGlobalAt, now);
    if (due <= now) {
      // Due now: no timer round trip (a fake clock would also need a nudge for a 0 ms timer).
      if (!this.tickQueued) {
        this.tickQueued = true;
        queueMicrotask(() => {
          this.tickQueued = false;
          this.tick();
        });
      }
      return;
    }
    if (this.timer !== undefined && this.timerDueAt <= due) return;
    this.world.clock.clearTimeout(this.timer);
    this.timerDueAt = due;
    this.timer = this.world.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerDueAt = Number.POSITIVE_INFINITY;
      this.tick();
    }, due - now);
  }

  private readyAt(line: ChatLine<C>): number {
    const head = line.items[0];
    const held = head.attempts === 0 ? head.enqueuedAt + this.options.coalesceWindowMs : 0;
    return Math.max(line.nextAllowedAt, held);
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.world.clock.now();
    if (now >= this.nextGlobalAt) {
      // Chats take turns (the one served longest ago first), so a chatty customer cannot starve the others.
      let chosen: ChatLine<C> | undefined;
      for (const line of this.chats.values()) {
        if (line.busy || line.items.length === 0 || this.readyAt(line) > now) continue;
        const earlier =
          !chosen ||
          line.lastSentAt < chosen.lastSentAt ||
          (line.lastSentAt === chosen.lastSentAt && line.items[0].enqueuedAt < chosen.items[0].enqueuedAt);
        if (earlier) chosen = line;
      }
      if (chosen) {
        this.nextGlobalAt = now + 1000 / (this.options.globalPerSecond * this.currentPace());
        void this.sendHead(chosen);
      }
    }
    this.schedule();
  }

  private currentPace(): number {
    const pace = this.world.pace?.() ?? 1;
    return pace > 0 && pace <= 1 ? pace : 1;
  }

  private async sendHead(line: ChatLine<C>): Promise<void> {
    const item = line.items[0];
    line.busy = true;
    let notSent: (() => Promise<void>) | undefined;
    try {
      if (this.world.admit) {
        const admission = await this.world.admit(item);
        if (this.closed) {
          if (admission.go) await admission.notSent?.();
          return;
        }
        if (!admission.go && "until" in admission) {
          line.busy = false;
          line.nextAllowedAt = Math.max(admission.until, this.world.clock.now());
          this.schedule();
          return;
        }
        if (!admission.go) throw admission.refuse;
        notSent = admission.notSent;
      }
    } catch (caught) {
      const error = toPacerError(caught);
      if (isPassing(error) && !this.closed) {
        // The caps could not be read (store away): asked again later, no attempt spent.
        line.busy = false;
        line.nextAllowedAt = this.world.clock.now() + this.options.backoffMs;
        this.world.retrying?.(item, error, this.options.backoffMs);
        this.schedule();
        return;
      }
      if (!this.closed) await this.giveUp(line, item, error);
      return;
    }
    item.attempts += 1;
    try {
      const typingMs = Math.min(this.options.typingMaxMs, item.text.length * this.options.typingMsPerChar);
      if (typingMs > 0 && this.world.showTyping) {
        await this.world.showTyping(item.chatId, typingMs, item).catch(() => undefined);
        await new Promise<void>((resolve) => this.world.clock.setTimeout(resolve, typingMs));
      }
      const receipt = await this.world.send(item);
      this.finish(line);
      this.sentCount += 1;
      await this.world.forget?.(item);
      this.world.sent(item, receipt);
    } catch (caught) {
      const error = toPacerError(caught);
      await notSent?.().catch(() => undefined);
      if (this.closed) return;
      if (isPassing(error) && item.attempts < this.options.maxAttempts) {
        const delay = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (item.attempts - 1));
        line.busy = false;
        line.nextAllowedAt = this.world.clock.now() + delay;
        await this.world.persist?.(item);
        this.world.retrying?.(item, error, delay);
        this.schedule();
        return;
      }
      await this.giveUp(line, item, error);
    }
  }

  private async giveUp(line: ChatLine<C>, item: OutgoingItem<C>, error: WaError): Promise<void> {
    this.finish(line);
    this.failedCount += 1;
    await this.world.forget?.(item);
    this.world.failed(item, error);
  }

  private finish(line: ChatLine<C>): void {
    line.items.shift();
    this.total -= 1;
    line.busy = false;
    line.lastSentAt = this.world.clock.now();
    const [min, max] = this.options.perChatGapMs;
    line.nextAllowedAt = this.world.clock.now() + Math.round((min + this.world.random() * (max - min)) / this.currentPace());
    this.schedule();
  }
}

/** A chat's line: its id, or its id on one connection of several. */
function laneOf(chatId: string, via: string | undefined): string {
  return via === undefined ? chatId : `${via}\u0000${chatId}`;
}

function toPacerError(caught: unknown): WaError {
  return caught instanceof WaError
    ? caught
    : new WaError("pacer.sendFailed", `Sending failed: ${caught instanceof Error ? caught.message : String(caught)}`, {
        reason: String(caught),
      });
}

export function validatePacerOptions(options: PacerOptions): void {
  const fail = (field: string, text: string) => new WaError("config.invalid", text, { field });
  const [min, max] = options.perChatGapMs;
  if (!(min >= 0 && max >= min && max <= 3_600_000)) throw fail("gapMin", "Per-chat gap: 0 ≤ shortest ≤ longest ≤ 3600 s");
  if (!(options.globalPerSecond > 0 && options.globalPerSecond <= 1_000))
    throw fail("globalPerSecond", "Messages per second over all chats: more than 0, at most 1000");
  if (!(options.coalesceWindowMs >= 0 && options.coalesceWindowMs <= 60_000)) throw fail("coalesceWindow", "Coalescing window: 0 to 60 s");
  if (!(options.coalesceMaxChars >= 1 && options.coalesceMaxChars <= 65_536))
    throw fail("coalesceMaxChars", "Coalesced length: 1 to 65536 characters");
  if (!(options.typingMsPerChar >= 0 && options.typingMsPerChar <= 1_000 && options.typingMaxMs >= 0 && options.typingMaxMs <= 60_000))
    throw fail("typingMsPerChar", "Typing: 0 to 1000 ms per character, at most 60 s");
  if (!(Number.isInteger(options.maxAttempts) && options.maxAttempts >= 1 && options.maxAttempts <= 20))
    throw fail("maxAttempts", "Attempts: a whole number from 1 to 20");
  if (!(
    Number.isInteger(options.maxQueuedPerChat) &&
    options.maxQueuedPerChat >= 1 &&
    Number.isInteger(options.maxQueuedTotal) &&
    options.maxQueuedTotal >= 1
  )) {
    throw fail("maxQueuedTotal", "Queue limits: whole numbers of at least 1");
  }
}
