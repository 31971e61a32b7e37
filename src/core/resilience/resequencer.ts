import { Clock, TimerHandle } from "../clock";

export type OrderBy = "sequence" | "timestamp";

export interface ResequencerOptions {
  /** `sequence`: consecutive integers, the next one is released at once; `timestamp`: every message waits the window. */
  orderBy: OrderBy;
  /** Longest a message is held waiting for earlier ones. */
  maxWaitMs: number;
  /** Held messages per chat; beyond it the earliest is released at once. */
  maxHeldPerChat: number;
  /** Message ids remembered per chat to recognise exact duplicates. */
  rememberIds: number;
  /** A chat with nothing held and no arrival for this long is forgotten. */
  idleForgetMs: number;
}

export interface Arrival<T> {
  chatId: string;
  /** The message's own id; a repeat of an id seen recently in the chat is an exact duplicate. */
  id?: string;
  /** Sequence number or timestamp. */
  order: number;
  item: T;
}

export interface Release<T> {
  item: T;
  chatId: string;
  order: number;
  /** Arrived after a later message of its chat was already released. */
  late: boolean;
  waitedMs: number;
  /** Sequence numbers given up on just before this one (sequence mode). */
  gapBefore: number;
}

export interface ResequencerWorld<T> {
  clock: Clock;
  release(release: Release<T>): void;
  duplicate(item: T, chatId: string, id: string): void;
}

interface Held<T> {
  order: number;
  arrival: number;
  arrivedAt: number;
  id?: string;
  item: T;
}

interface ChatLine<T> {
  held: Held<T>[];
  lastReleased?: number;
  recentIds: string[];
  recentSet: Set<string>;
  lastActivity: number;
  timer?: TimerHandle;
}

/**
 * Puts each chat's messages back in order: holds a message until the ones before it arrive
 * or the wait window runs out, releases in order, flags late arrivals, and drops exact
 * duplicates. Chats are independent; one chat's gap never holds up another.
 */
export class Resequencer<T> {
  private readonly chats = new Map<string, ChatLine<T>>();
  private arrivals = 0;
  private heldCount = 0;
  readonly stats = { released: 0, late: 0, duplicates: 0, gaps: 0, forcedByBound: 0 };

  constructor(
    private readonly options: ResequencerOptions,
    private readonly world: ResequencerWorld<T>,
    /** Sequence mode: the number a new chat starts at, so its first message need not wait. */
    private readonly startAt?: number,
  ) {}

  get held(): number {
    return this.heldCount;
  }

  get chatCount(): number {
    return this.chats.size;
  }

  offer(arrival: Arrival<T>): "released" | "held" | "late" | "duplicate" {
    const now = this.world.clock.now();
    const line = this.lineOf(arrival.chatId, now);
    line.lastActivity = now;
    const id = arrival.id;
    const isDuplicate =
      id !== undefined ? line.recentSet.has(id) : this.options.orderBy === "sequence" && line.held.some((h) => h.order === arrival.order);
    if (isDuplicate) {
      this.stats.duplicates += 1;
      this.world.duplicate(arrival.item, arrival.chatId, id ?? String(arrival.order));
      return "duplicate";
    }
    if (id !== undefined) this.remember(line, id);
    const held: Held<T> = { order: arrival.order, arrival: (this.arrivals += 1), arrivedAt: now, id, item: arrival.item };
    if (line.lastReleased !== undefined && arrival.order < line.lastReleased) {
      this.stats.late += 1;
      this.emit(arrival.chatId, held, now, true, 0);
      return "late";
    }
    if (this.options.orderBy === "sequence" && line.lastReleased !== undefined && arrival.order === line.lastReleased + 1) {
      this.emit(arrival.chatId, held, now, false, 0);
      line.lastReleased = arrival.order;
      this.drainConsecutive(arrival.chatId, line, now);
      this.schedule(arrival.chatId, line);
      return "released";
    }
    if (this.options.maxWaitMs === 0) {
      this.emitInOrder(arrival.chatId, line, held, now);
      return "released";
    }
    insertSorted(line.held, held);
    this.heldCount += 1;
    if (line.held.length > this.options.maxHeldPerChat) {
      this.stats.forcedByBound += 1;
      this.releaseThrough(arrival.chatId, line, line.held[0].order, now);
    }
    this.schedule(arrival.chatId, line);
    return line.held.includes(held) ? "held" : "released";
  }

  /** Releases everything held, in order per chat (when the flow stops: nothing is kept back). */
  flush(): void {
    const now = this.world.clock.now();
    for (const [chatId, line] of this.chats) {
      this.world.clock.clearTimeout(line.timer);
      line.timer = undefined;
      if (line.held.length > 0) this.releaseThrough(chatId, line, line.held[line.held.length - 1].order, now);
    }
  }

  /** Forgets chats with nothing held that have been quiet for the idle time. */
  sweep(): number {
    const now = this.world.clock.now();
    let forgotten = 0;
    for (const [chatId, line] of this.chats) {
      if (line.held.length === 0 && now - line.lastActivity >= this.options.idleForgetMs) {
        this.chats.delete(chatId);
        forgotten += 1;
      }
    }
    return forgotten;
  }

  close(): void {
    for (const line of this.chats.values()) this.world.clock.clearTimeout(line.timer);
    this.chats.clear();
    this.heldCount = 0;
  }

  private lineOf(chatId: string, now: number): ChatLine<T> {
    let line = this.chats.get(chatId);
    if (!line) {
      line = {
        held: [],
        recentIds: [],
        recentSet: new Set(),
        lastActivity: now,
        ...(this.startAt !== undefined && this.options.orderBy === "sequence" ? { lastReleased: this.startAt - 1 } : {}),
      };
      this.chats.set(chatId, line);
    }
    return line;
  }

  private remember(line: ChatLine<T>, id: string): void {
    line.recentIds.push(id);
    line.recentSet.add(id);
    if (line.recentIds.length > this.options.rememberIds) line.recentSet.delete(line.recentIds.shift()!);
  }

  private emit(chatId: string, held: Held<T>, now: number, late: boolean, gapBefore: number): void {
    this.stats.released += 1;
    if (gapBefore > 0) this.stats.gaps += 1;
    this.world.release({ item: held.item, chatId, order: held.order, late, waitedMs: now - held.arrivedAt, gapBefore });
  }

  /** With no window, a message that is not late goes straight out. */
  private emitInOrder(chatId: string, line: ChatLine<T>, held: Held<T>, now: number): void {
    this.emit(chatId, held, now, false, this.gapBefore(line, held.order));
    line.lastReleased = held.order;
  }

  private gapBefore(line: ChatLine<T>, order: number): number {
    if (this.options.orderBy !== "sequence" || line.lastReleased === undefined) return 0;
    return Math.max(0, order - line.lastReleased - 1);
  }

  private drainConsecutive(chatId: string, line: ChatLine<T>, now: number): void {
    while (line.held.length > 0 && line.lastReleased !== undefined && line.held[0].order === line.lastReleased + 1) {
      const next = line.held.shift()!;
      this.heldCount -= 1;
      this.emit(chatId, next, now, false, 0);
      line.lastReleased = next.order;
    }
  }

  private releaseThrough(chatId: string, line: ChatLine<T>, order: number, now: number): void {
    while (line.held.length > 0 && line.held[0].order <= order) {
      const next = line.held.shift()!;
      this.heldCount -= 1;
      this.emit(chatId, next, now, false, this.gapBefore(line, next.order));
      line.lastReleased = Math.max(line.lastReleased ?? next.order, next.order);
    }
    if (this.options.orderBy === "sequence") this.drainConsecutive(chatId, line, now);
  }

  private schedule(chatId: string, line: ChatLine<T>): void {
    this.world.clock.clearTimeout(line.timer);
    line.timer = undefined;
    if (line.held.length === 0) return;
    const earliest = Math.min(...line.held.map((h) => h.arrivedAt));
    const delay = Math.max(0, earliest + this.options.maxWaitMs - this.world.clock.now());
    line.timer = this.world.clock.setTimeout(() => this.expire(chatId), delay);
  }

  private expire(chatId: string): void {
    const line = this.chats.get(chatId);
    if (!line) return;
    line.timer = undefined;
    const now = this.world.clock.now();
    const expired = line.held.filter((h) => h.arrivedAt + this.options.maxWaitMs <= now);
    if (expired.length > 0) this.releaseThrough(chatId, line, Math.max(...expired.map((h) => h.order)), now);
    this.schedule(chatId, line);
  }
}

function insertSorted<T>(held: Held<T>[], item: Held<T>): void {
  let index = held.length;
  while (
    index > 0 &&
    (held[index - 1].order > item.order || (held[index - 1].order === item.order && held[index - 1].arrival > item.arrival))
  )
    index -= 1;
  held.splice(index, 0, item);
}
