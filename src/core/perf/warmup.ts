import { Clock } from "../clock";
import { WaError, invalidSetting } from "../errors";
import { Store } from "../store/store";

/**
 * Ban protection for a WhatsApp number: caps on sending that grow over the number's first weeks
 * (warm-up), limits on writing to people who never wrote to the number, and a slow-down while
 * WhatsApp shows signs of displeasure (rate limits, messages that stop being delivered).
 *
 * Counters live in a Store so that every sender on one number shares them, across restarts and
 * instances: a send reserves its place with an atomic increment before it goes, and gives it back
 * when it does not go. The slow-down is the sender's own (it follows what this sender saw).
 */

export const DAY_MS = 24 * 60 * 60 * 1000;
export const HOUR_MS = 60 * 60 * 1000;

export interface WarmupStep {
  /** The first day of the number's use (1 = its first day) this step applies from. */
  fromDay: number;
  /** Messages per day; 0 for no cap. */
  perDay: number;
  /** Messages per hour; 0 for no cap. */
  perHour: number;
}

export interface SlowDownOptions {
  /** Each rate-limit answer (or burst of undelivered messages) multiplies the pace by this (0 < f < 1). */
  factor: number;
  /** The pace never drops below this share of the configured one. */
  floor: number;
  /** A quiet period after which the pace steps back up (by 1 / factor) towards the configured one. */
  recoverAfterMs: number;
  /** A sent message not delivered after this long counts as undelivered. */
  undeliveredAfterMs: number;
  /** The share of undelivered messages, among the judged recent ones, that slows sending. */
  undeliveredShare: number;
  /** Judged only once this many sent messages are old enough to judge. */
  minJudged: number;
}

export interface WarmupOptions {
  /** Caps by the number's age; empty for none. Sorted by fromDay when read. */
  schedule: WarmupStep[];
  /** When the number started sending (Unix ms); undefined: the first time this guard ran on it. */
  startedAt?: number;
  /** New chats (that never wrote to the number) written to per day; 0 for no cap. */
  newChatsPerDay: number;
  /** Messages to a chat that has not written back; 0 for no cap. */
  unansweredPerChat: number;
  slowDown: SlowDownOptions;
}

export const DEFAULT_SLOW_DOWN: SlowDownOptions = {
  factor: 0.5,
  floor: 0.1,
  recoverAfterMs: 10 * 60 * 1000,
  undeliveredAfterMs: 10 * 60 * 1000,
  undeliveredShare: 0.5,
  minJudged: 20,
};

export type Admission =
  | { go: true; ticket: WarmupTicket }
  | { go: false; until: number; reason: "dailyCap" | "hourlyCap" | "newChatsCap" }
  | { go: false; refuse: WaError };

/** What a send reserved, to be given back when it does not go. */
export interface WarmupTicket {
  reserved: string[];
}

export interface WarmupSnapshot {
  day: number;
  perDay: number;
  sentToday: number;
  perHour: number;
  sentThisHour: number;
  newChatsToday: number;
  /** 1 = the configured pace; less while slowed down. */
  pace: number;
  slowedBy?: "rateLimited" | "undelivered";
  /** What holds sending now, if anything. */
  holding?: "dailyCap" | "hourlyCap" | "newChatsCap";
}

const MAX_TRACKED_SENDS = 2_000;
const KNOWN_CHAT_TTL_MS = 90 * DAY_MS;
const UNANSWERED_TTL_MS = 30 * DAY_MS;

/** Reads "day: N/day M/hour" lines ("29: no cap" lifts both caps). */
export function parseWarmupSchedule(text: string): WarmupStep[] {
  const steps: WarmupStep[] = [];
  const lines = text
    .split(/[\n;]+/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  for (const line of lines) {
    const match = /^(\d{1,4})\s*:\s*(.*)$/.exec(line);
    const fail = (text: string, reason: string, params: Record<string, string | number> = {}) =>
      invalidSetting("warmupSchedule", text, `Warm-up schedule, line "${line.slice(0, 60)}": ${reason}`, {
        line: line.slice(0, 60),
        ...params,
      });
    if (!match) throw fail("warmupShape", 'write it as "day: 50/day 10/hour"');
    const fromDay = Number(match[1]);
    if (fromDay < 1) throw fail("warmupDayZero", "days start at 1");
    const rest = match[2].toLowerCase().trim();
    let perDay = 0;
    let perHour = 0;
    if (!/^(no cap|none|-)$/.test(rest)) {
      const parts = rest.split(/[\s,]+/).filter((part) => part !== "");
      if (parts.length === 0) throw fail("warmupNoCaps", 'give caps such as "50/day 10/hour", or "no cap"');
      for (const part of parts) {
        const cap = /^(\d{1,7})\/(day|hour)$/.exec(part);
        if (!cap) throw fail("warmupCap", `"${part}" is not "N/day" or "N/hour"`, { part: part.slice(0, 40) });
        if (cap[2] === "day") perDay = Number(cap[1]);
        else perHour = Number(cap[1]);
      }
    }
    if (steps.some((step) => step.fromDay === fromDay)) throw fail("warmupTwice", `day ${fromDay} is given twice`, { day: fromDay });
    steps.push({ fromDay, perDay, perHour });
  }
  steps.sort((a, b) => a.fromDay - b.fromDay);
  if (steps.length > 0 && steps[0].fromDay !== 1) {
    throw invalidSetting("warmupSchedule", "warmupFirstDay", "Warm-up schedule: the first line must be for day 1");
  }
  return steps;
}

export function validateWarmupOptions(options: WarmupOptions): void {
  const fail = (field: string, text: string) => new WaError("config.invalid", text, { field });
  const whole = (value: number) => Number.isInteger(value) && value >= 0;
  if (!whole(options.newChatsPerDay)) throw fail("newChatsPerDay", "New chats per day: a whole number, 0 for no cap");
  if (!whole(options.unansweredPerChat)) throw fail("unansweredPerChat", "Messages before an answer: a whole number, 0 for no cap");
  const slow = options.slowDown;
  if (!(slow.factor > 0 && slow.factor < 1)) throw fail("slowFactor", "Slow-down factor: more than 0 and less than 1");
  if (!(slow.floor > 0 && slow.floor <= 1)) throw fail("slowFloor", "Slowest pace: more than 0, at most 1");
  if (!(slow.undeliveredShare > 0 && slow.undeliveredShare <= 1))
    throw fail("undeliveredShare", "Undelivered share: more than 0, at most 1");
  if (!(slow.recoverAfterMs > 0 && slow.undeliveredAfterMs > 0)) throw fail("recoverAfter", "Times: more than 0");
}

interface TrackedSend {
  sentAt: number;
  delivered: boolean;
  failed: boolean;
}

export class WarmupGuard {
  private readonly schedule: WarmupStep[];
  private startedAt: number | undefined;
  private pace = 1;
  private slowedBy: WarmupSnapshot["slowedBy"];
  private lastIncidentAt = Number.NEGATIVE_INFINITY;
  private lastStepUpAt = Number.NEGATIVE_INFINITY;
  private readonly sends = new Map<string, TrackedSend>();
  private acksSeen = false;
  private holding: WarmupSnapshot["holding"];
  private counts = { sentToday: 0, sentThisHour: 0, newChatsToday: 0 };

  constructor(
    private readonly options: WarmupOptions,
    private readonly world: { clock: Clock; store: Store; prefix: string },
  ) {
    validateWarmupOptions(options);
    this.schedule = [...options.schedule].sort((a, b) => a.fromDay - b.fromDay);
    this.startedAt = options.startedAt;
  }

  /** The number's first day of use: configured, or recorded the first time any guard on it ran. */
  async start(): Promise<number> {
    if (this.startedAt !== undefined) return this.startedAt;
    const key = this.key("startedAt");
    await this.world.store.setIfAbsent(key, String(this.world.clock.now()));
    const stored = Number(await this.world.store.get(key));
    this.startedAt = Number.isFinite(stored) ? stored : this.world.clock.now();
    return this.startedAt;
  }

  /** Remembers that a chat wrote to the number: it is no longer a first contact. */
  async chatWrote(chatId: string): Promise<void> {
    await this.world.store.set(this.key(`known:${chatId}`), "1", { ttlMs: KNOWN_CHAT_TTL_MS });
    await this.world.store.delete(this.key(`unanswered:${chatId}`));
  }

  /**
   * Whether a message to `chatId` may go now. On yes its place under every cap is reserved:
   * `sent` keeps it, `notSent` gives it back.
   */
  async admit(chatId: string): Promise<Admission> {
    const now = this.world.clock.now();
    const startedAt = await this.start();
    const dayIndex = Math.max(0, Math.floor((now - startedAt) / DAY_MS));
    const nextDayAt = startedAt + (dayIndex + 1) * DAY_MS;
    const hourIndex = Math.floor(now / HOUR_MS);
    const step = this.stepFor(dayIndex + 1);
    const ticket: WarmupTicket = { reserved: [] };
    // What this admission counted: shown as it stands after it (less its own place when held).
    const counted: Partial<typeof this.counts> = {};
    const hold = async (until: number, reason: "dailyCap" | "hourlyCap" | "newChatsCap"): Promise<Admission> => {
      await this.notSent(ticket);
      for (const [name, value] of Object.entries(counted) as [keyof typeof this.counts, number][]) this.counts[name] = value - 1;
      this.holding = reason;
      return { go: false, until, reason };
    };

    // A refusal is for good, so it is decided before any cap could merely hold the message.
    const limitsFirstContact = this.options.unansweredPerChat > 0 || this.options.newChatsPerDay > 0;
    const firstContact = limitsFirstContact && (await this.world.store.get(this.key(`known:${chatId}`))) === undefined;
    let unanswered = 0;
    if (firstContact) {
      unanswered = await this.reserve(ticket, `unanswered:${chatId}`, UNANSWERED_TTL_MS);
      if (this.options.unansweredPerChat > 0 && unanswered > this.options.unansweredPerChat) {
        await this.notSent(ticket);
        return {
          go: false,
          refuse: new WaError(
            "pacer.firstContactLimit",
            `Chat ${chatId} has not written to this number, and ${this.options.unansweredPerChat} message(s) to it are still unanswered`,
            { chatId, max: this.options.unansweredPerChat },
          ),
        };
      }
    }

    const today = await this.reserve(ticket, `day:${dayIndex}`, 2 * DAY_MS);
    counted.sentToday = today;
    if (step && step.perDay > 0 && today > step.perDay) return hold(nextDayAt, "dailyCap");
    const hour = await this.reserve(ticket, `hour:${hourIndex}`, 2 * HOUR_MS);
    counted.sentThisHour = hour;
    if (step && step.perHour > 0 && hour > step.perHour) return hold((hourIndex + 1) * HOUR_MS, "hourlyCap");

    if (firstContact && unanswered === 1) {
      const newChats = await this.reserve(ticket, `new:${dayIndex}`, 2 * DAY_MS);
      counted.newChatsToday = newChats;
      if (this.options.newChatsPerDay > 0 && newChats > this.options.newChatsPerDay) return hold(nextDayAt, "newChatsCap");
    }
    Object.assign(this.counts, counted);
    this.holding = undefined;
    return { go: true, ticket };
  }

  /** A reserved send did not go (failed, or held): its places are given back. */
  async notSent(ticket: WarmupTicket): Promise<void> {
    const reserved = ticket.reserved.splice(0);
    for (const name of reserved) await this.world.store.increment(this.key(name), -1);
  }

  /** A message went out: followed until delivered, to notice when deliveries stop. */
  sent(messageId: string): void {
    this.sends.set(messageId, { sentAt: this.world.clock.now(), delivered: false, failed: false });
    while (this.sends.size > MAX_TRACKED_SENDS) this.sends.delete(this.sends.keys().next().value as string);
  }

  /** A tick of a sent message, from the transport. */
  delivery(messageId: string, status: "sent" | "delivered" | "read" | "played" | "failed"): void {
    const tracked = this.sends.get(messageId);
    if (!tracked || status === "sent") return;
    this.acksSeen = true;
    if (status === "failed") tracked.failed = true;
    else tracked.delivered = true;
  }

  /** WhatsApp said "too many": the pace drops at once. */
  rateLimited(): void {
    this.slowDown("rateLimited");
  }

  /** The share of the configured pace to send at now (1 = unslowed); looks at deliveries and recovery. */
  paceNow(): number {
    const now = this.world.clock.now();
    const slow = this.options.slowDown;
    if (this.acksSeen && now - this.lastIncidentAt >= slow.undeliveredAfterMs) {
      let judged = 0;
      let undelivered = 0;
      for (const send of this.sends.values()) {
        if (send.failed) {
          judged += 1;
          undelivered += 1;
        } else if (now - send.sentAt >= slow.undeliveredAfterMs) {
          judged += 1;
          if (!send.delivered) undelivered += 1;
        }
      }
      if (judged >= slow.minJudged && undelivered / judged >= slow.undeliveredShare) {
        this.slowDown("undelivered");
        // Judged once: the next judgement is on messages sent after this one.
        this.sends.clear();
      }
    }
    if (this.pace < 1 && now - Math.max(this.lastIncidentAt, this.lastStepUpAt) >= slow.recoverAfterMs) {
      this.pace = Math.min(1, this.pace / slow.factor);
      this.lastStepUpAt = now;
      if (this.pace === 1) this.slowedBy = undefined;
    }
    return this.pace;
  }

  /** For the node status and the metrics. */
  snapshot(): WarmupSnapshot {
    const now = this.world.clock.now();
    const day = this.startedAt === undefined ? 1 : Math.max(0, Math.floor((now - this.startedAt) / DAY_MS)) + 1;
    const step = this.stepFor(day);
    return {
      day,
      perDay: step?.perDay ?? 0,
      perHour: step?.perHour ?? 0,
      ...this.counts,
      pace: this.pace,
      ...(this.slowedBy ? { slowedBy: this.slowedBy } : {}),
      ...(this.holding ? { holding: this.holding } : {}),
    };
  }

  private slowDown(reason: "rateLimited" | "undelivered"): void {
    const slow = this.options.slowDown;
    this.pace = Math.max(slow.floor, this.pace * slow.factor);
    this.slowedBy = reason;
    this.lastIncidentAt = this.world.clock.now();
  }

  private stepFor(day: number): WarmupStep | undefined {
    let found: WarmupStep | undefined;
    for (const step of this.schedule) if (step.fromDay <= day) found = step;
    return found;
  }

  private async reserve(ticket: WarmupTicket, name: string, ttlMs: number): Promise<number> {
    const key = this.key(name);
    const value = await this.world.store.increment(key, 1);
    ticket.reserved.push(name);
    if (value === 1) await this.world.store.expire(key, ttlMs);
    return value;
  }

  private key(name: string): string {
    return `${this.world.prefix}${name}`;
  }
}
