import { Clock } from "../clock";

const HOUR_MS = 3_600_000;
const WEEK_SLOTS = 7 * 24;
/** Connected hours of one hour-of-week slot that count; beyond it older weeks are scaled down, so the profile follows change. */
const MAX_SLOT_HOURS = 8;
/** A slot watched for less than this is not judged: an hour nobody has seen counts as quiet. */
const MIN_SLOT_HOURS = 0.5;
/** A chat's messages closer together than this are one arrival: chats come in bursts, arrivals far less so. */
export const ARRIVAL_GAP_MS = 10 * 60_000;

export interface TrafficProfileJson {
  version: 1;
  messages: number[];
  hours: number[];
}

/**
 * Arrivals (a chat writing after ten quiet minutes) per hour of the week (UTC), learned from what a
 * connection actually received while it was connected. UTC keeps the slots fixed; a business's
 * week is the same shape shifted.
 */
export class TrafficProfile {
  private readonly messages = new Array<number>(WEEK_SLOTS).fill(0);
  private readonly hours = new Array<number>(WEEK_SLOTS).fill(0);

  static slotOf(at: number): number {
    const date = new Date(at);
    return date.getUTCDay() * 24 + date.getUTCHours();
  }

  /**
   * Adds a saved profile to this one (what was learned before a restart, on top of what came in
   * since). Returns false, adding nothing, for anything that is not a profile.
   */
  merge(value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    const { version, messages, hours } = value as Partial<TrafficProfileJson>;
    const valid = (list: unknown): list is number[] =>
      Array.isArray(list) && list.length === WEEK_SLOTS && list.every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0);
    if (version !== 1 || !valid(messages) || !valid(hours)) return false;
    for (let slot = 0; slot < WEEK_SLOTS; slot += 1) {
      this.messages[slot] += messages[slot];
      this.hours[slot] += hours[slot];
      this.capSlot(slot);
    }
    return true;
  }

  toJson(): TrafficProfileJson {
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return { version: 1, messages: this.messages.map(round), hours: this.hours.map(round) };
  }

  /** Counts the connected time [from, to), hour slot by hour slot. */
  addConnectedTime(from: number, to: number): void {
    for (const { slot, hours } of slotPieces(from, to)) {
      this.hours[slot] += hours;
      this.capSlot(slot);
    }
  }

  private capSlot(slot: number): void {
    if (this.hours[slot] <= MAX_SLOT_HOURS) return;
    this.messages[slot] *= MAX_SLOT_HOURS / this.hours[slot];
    this.hours[slot] = MAX_SLOT_HOURS;
  }

  addArrival(at: number): void {
    this.messages[TrafficProfile.slotOf(at)] += 1;
  }

  learnedHours(): number {
    return this.hours.reduce((sum, h) => sum + h, 0);
  }

  /** Expected arrivals an hour in the slot of `at`. */
  ratePerHour(at: number): number {
    return this.slotRate(TrafficProfile.slotOf(at));
  }

  /** How many arrivals the learned traffic expects over [from, to). */
  expectedBetween(from: number, to: number): number {
    let expected = 0;
    for (const { slot, hours } of slotPieces(from, to)) expected += this.slotRate(slot) * hours;
    return expected;
  }

  private slotRate(slot: number): number {
    return this.hours[slot] < MIN_SLOT_HOURS ? 0 : this.messages[slot] / this.hours[slot];
  }
}

function* slotPieces(from: number, to: number): Generator<{ slot: number; hours: number }> {
  let at = from;
  while (at < to) {
    const hourEnd = (Math.floor(at / HOUR_MS) + 1) * HOUR_MS;
    const end = Math.min(hourEnd, to);
    yield { slot: TrafficProfile.slotOf(at), hours: (end - at) / HOUR_MS };
    at = end;
  }
}

export interface DeafDetectorOptions {
  /** A silence shorter than this is never suspect, however busy the hour. */
  floorMs: number;
  /** A silence the learned traffic gives this chance or less is suspect (e.g. 0.001: one in a thousand). */
  unlikely: number;
  /** Connected hours to learn from before any silence is judged. */
  minLearnedHours: number;
}

/**
 * learning: too little history to judge; listening: nothing odd; suspect: a silence the traffic
 * makes unlikely, with no way to probe; probing: asking the connection; deaf: the probe failed.
 */
export type DeafPhase = "learning" | "listening" | "suspect" | "probing" | "deaf";

export interface ProbeOutcome {
  at: number;
  ok: boolean;
  detail?: string;
}

export interface DeafReading {
  phase: DeafPhase;
  /** Since the last message in, or since the connection came up. */
  silenceMs: number | null;
  /** Arrivals the learned traffic expected over the silence being judged. */
  expectedArrivals: number;
  /** Chance of a silence that long under the learned traffic (Poisson: e^-expected). */
  chance: number;
  learnedHours: number;
  /** Arrivals an hour the learned traffic expects at this hour of the week. */
  expectedPerHour: number;
  lastProbe?: ProbeOutcome;
  /** Probes that failed: each one a deaf episode found. */
  deafEpisodes: number;
}

/**
 * Finds a connection that says it is connected but receives nothing ("connected but deaf"):
 * a silence is suspect when the connection's own traffic for those hours of the week makes it
 * unlikely. The adapter probes the connection when told to, and reports back.
 */
export class DeafDetector {
  private connectedSince: number | undefined;
  /** Connected time not yet added to the profile: it is added when the silence proves genuine. */
  private pendingFrom: number | undefined;
  private lastMessageAt: number | undefined;
  /** Silences are judged from here: the last message, the connection coming up, or a probe that passed. */
  private judgedFrom: number | undefined;
  private probing = false;
  private deaf = false;
  private lastProbe: ProbeOutcome | undefined;
  private deafEpisodes = 0;
  private readonly lastByChat = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly options: DeafDetectorOptions,
    readonly profile: TrafficProfile = new TrafficProfile(),
  ) {}

  connected(): void {
    if (this.connectedSince !== undefined) return;
    const now = this.clock.now();
    this.connectedSince = now;
    this.pendingFrom = now;
    this.judgedFrom = now;
    this.deaf = false;
  }

  disconnected(): void {
    if (this.connectedSince === undefined) return;
    // A drop ends what we know: the silence up to it was connected time, unless the connection was found deaf.
    if (!this.deaf) this.commitPending();
    this.connectedSince = undefined;
    this.pendingFrom = undefined;
    this.judgedFrom = undefined;
    this.probing = false;
  }

  /** A message came in, from `chatId` (one chat's burst counts as one arrival). */
  message(chatId = ""): void {
    const now = this.clock.now();
    if (this.connectedSince === undefined) this.connected();
    if (!this.deaf) this.commitPending();
    const previous = this.lastByChat.get(chatId);
    if (previous === undefined || now - previous >= ARRIVAL_GAP_MS) this.profile.addArrival(now);
    this.lastByChat.set(chatId, now);
    if (this.lastByChat.size > 1000) {
      for (const [chat, at] of this.lastByChat) if (now - at >= ARRIVAL_GAP_MS) this.lastByChat.delete(chat);
    }
    this.lastMessageAt = now;
    this.pendingFrom = now;
    this.judgedFrom = now;
    this.deaf = false;
  }

  /** Whether the adapter should probe now: a suspect silence, not already probed or being probed. */
  shouldProbe(): boolean {
    return !this.probing && this.judge().phase === "suspect";
  }

  probeStarted(): void {
    this.probing = true;
  }

  probePassed(detail?: string): void {
    const now = this.clock.now();
    this.probing = false;
    this.lastProbe = { at: now, ok: true, ...(detail ? { detail } : {}) };
    // The connection answers, so the silence was real traffic: learn it, and judge afresh from here.
    this.commitPending();
    this.judgedFrom = now;
  }

  probeFailed(detail?: string): void {
    const now = this.clock.now();
    this.probing = false;
    this.lastProbe = { at: now, ok: false, ...(detail ? { detail } : {}) };
    this.deafEpisodes += 1;
    this.deaf = true;
    // The silence was the connection's fault, not the customers': it must not teach the profile quiet hours.
    this.pendingFrom = now;
  }

  reading(): DeafReading {
    const now = this.clock.now();
    const judged = this.judge();
    const silenceFrom =
      this.lastMessageAt !== undefined && this.connectedSince !== undefined
        ? Math.max(this.lastMessageAt, this.connectedSince)
        : this.connectedSince;
    return {
      phase: judged.phase,
      silenceMs: silenceFrom === undefined ? null : now - silenceFrom,
      expectedArrivals: judged.expected,
      chance: Math.exp(-judged.expected),
      learnedHours: this.profile.learnedHours(),
      expectedPerHour: this.profile.ratePerHour(now),
      ...(this.lastProbe ? { lastProbe: this.lastProbe } : {}),
      deafEpisodes: this.deafEpisodes,
    };
  }

  private judge(): { phase: DeafPhase; expected: number } {
    const now = this.clock.now();
    if (this.deaf) return { phase: "deaf", expected: 0 };
    if (this.connectedSince === undefined || this.judgedFrom === undefined) return { phase: "listening", expected: 0 };
    const learning = this.profile.learnedHours() < this.options.minLearnedHours;
    const expected = this.profile.expectedBetween(this.judgedFrom, now);
    if (this.probing) return { phase: "probing", expected };
    if (learning) return { phase: "learning", expected };
    const suspect = now - this.judgedFrom >= this.options.floorMs && Math.exp(-expected) <= this.options.unlikely;
    return { phase: suspect ? "suspect" : "listening", expected };
  }

  private commitPending(): void {
    const now = this.clock.now();
    if (this.pendingFrom !== undefined && now > this.pendingFrom) this.profile.addConnectedTime(this.pendingFrom, now);
    this.pendingFrom = this.connectedSince === undefined ? undefined : now;
  }
}
