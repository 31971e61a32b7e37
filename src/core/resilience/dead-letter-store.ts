import { Clock } from "../clock";
import { WaError } from "../errors";
import { Store } from "../store/store";

export type DeadLetterState = "waiting" | "replaying" | "exhausted";

export interface DeadLetterEntry {
  id: string;
  /** The failed message, serialised. */
  body: string;
  error: { message: string; code?: string };
  /** The node the error came from. */
  source?: { id?: string; type?: string; name?: string };
  chatId?: string;
  /** How many times it has failed. */
  attempts: number;
  firstFailedAt: number;
  lastFailedAt: number;
  state: DeadLetterState;
  /** When the automatic retry is due (waiting entries only). */
  nextRetryAt?: number;
  replayedAt?: number;
  /** The runtime that replayed it (host and user directory), so only it requeues the replay after a restart. */
  replayedBy?: string;
}

export type DeadLetterSummary = Omit<DeadLetterEntry, "body"> & { bytes: number };

export interface DeadLetterOptions {
  namespace: string;
  /** Failures after which automatic retries stop (the entry stays, exhausted, for a person). */
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** A replayed message that has not come back failed within this time is taken as delivered. */
  settleMs: number;
  maxEntries: number;
}

export interface DeadLetterMetrics {
  depth: number;
  waiting: number;
  replaying: number;
  exhausted: number;
  /** Age of the oldest entry's first failure; 0 when empty. */
  oldestAgeMs: number;
}

export interface NewDeadLetter {
  /** Set when a replayed message fails again: its entry is updated instead of a new one made. */
  id?: string;
  body: string;
  error: { message: string; code?: string };
  source?: DeadLetterEntry["source"];
  chatId?: string;
}

/**
 * Failed messages kept in a store (durable with the embedded or Redis backend), with the
 * error, the node, attempts and times; retried automatically with exponential backoff up to a
 * limit, and listed, inspected, replayed or purged by a person. State changes are
 * compare-and-set, so two instances sharing the store never replay the same entry twice.
 */
export class DeadLetterStore {
  private readonly indexKey: string;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly newId: () => string,
    private readonly options: DeadLetterOptions,
  ) {
    this.indexKey = `dlq:${options.namespace}:index`;
  }

  private entryKey(id: string): string {
    return `dlq:${this.options.namespace}:entry:${id}`;
  }

  /** Exponential backoff with jitter (plus or minus 20 %) after the given number of failures. */
  backoffAfter(attempts: number): number {
    const base = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  private schedule(entry: DeadLetterEntry, now: number): DeadLetterEntry {
    if (entry.attempts >= this.options.maxAttempts) {
      const { nextRetryAt: _dropped, ...rest } = entry;
      return { ...rest, state: "exhausted" };
    }
    return { ...entry, state: "waiting", nextRetryAt: now + this.backoffAfter(entry.attempts) };
  }

  async record(failure: NewDeadLetter): Promise<DeadLetterEntry> {
    const now = this.clock.now();
    if (failure.id !== undefined && /^[\w.:-]{1,100}$/.test(failure.id)) {
      for (let tries = 0; tries < 5; tries += 1) {
        const key = this.entryKey(failure.id);
        const current = await this.store.get(key);
        if (current === undefined) break;
        const previous = JSON.parse(current) as DeadLetterEntry;
        const { replayedAt: _at, replayedBy: _by, ...kept } = previous;
        const next = this.schedule(
          {
            ...kept,
            body: failure.body,
            error: failure.error,
            source: failure.source ?? previous.source,
            attempts: previous.attempts + 1,
            lastFailedAt: now,
          },
          now,
        );
        if (await this.store.compareAndSet(key, current, JSON.stringify(next))) return next;
      }
    }
    if ((await this.store.listLength(this.indexKey)) >= this.options.maxEntries) {
      throw new WaError(
        "deadLetter.full",
        `The dead-letter store holds its maximum of ${this.options.maxEntries} messages: replay or purge some`,
        { max: this.options.maxEntries },
      );
    }
    const id = failure.id !== undefined && /^[\w.:-]{1,100}$/.test(failure.id) ? failure.id : this.newId();
    const entry = this.schedule(
      {
        id,
        body: failure.body,
        error: failure.error,
        source: failure.source,
        chatId: failure.chatId,
        attempts: 1,
        firstFailedAt: now,
        lastFailedAt: now,
        state: "waiting",
      },
      now,
    );
    await this.store.set(this.entryKey(id), JSON.stringify(entry));
    await this.store.listPush(this.indexKey, id);
    return entry;
  }

  async get(id: string): Promise<DeadLetterEntry | undefined> {
    const raw = await this.store.get(this.entryKey(id));
    return raw === undefined ? undefined : (JSON.parse(raw) as DeadLetterEntry);
  }

  async all(): Promise<DeadLetterEntry[]> {
    const ids = await this.store.listRange(this.indexKey, 0, -1);
    const entries: DeadLetterEntry[] = [];
    for (const id of ids) {
      const entry = await this.get(id);
      if (entry) entries.push(entry);
      else await this.store.listRemove(this.indexKey, id);
    }
    return entries;
  }

  async list(limit = 100, offset = 0): Promise<{ total: number; entries: DeadLetterSummary[] }> {
    const entries = await this.all();
    return { total: entries.length, entries: entries.slice(offset, offset + limit).map(summarise) };
  }

  /**
   * Takes an entry out for a replay (state `replaying`) and returns it, or undefined when it
   * is gone or another instance took it first. Automatic replays take only due, waiting
   * entries; a person may replay an exhausted one too.
   */
  async claimForReplay(id: string, by: "automatic" | "manual", holder?: string): Promise<DeadLetterEntry | undefined> {
    const now = this.clock.now();
    const key = this.entryKey(id);
    const current = await this.store.get(key);
    if (current === undefined) return undefined;
    const entry = JSON.parse(current) as DeadLetterEntry;
    if (entry.state === "replaying") return undefined;
    if (by === "automatic" && (entry.state !== "waiting" || (entry.nextRetryAt ?? 0) > now)) return undefined;
    const { nextRetryAt: _dropped, ...rest } = entry;
    const next: DeadLetterEntry = { ...rest, state: "replaying", replayedAt: now, ...(holder !== undefined ? { replayedBy: holder } : {}) };
    return (await this.store.compareAndSet(key, current, JSON.stringify(next))) ? next : undefined;
  }

  /** Ids whose automatic retry is due. */
  async due(): Promise<string[]> {
    const now = this.clock.now();
    return (await this.all()).filter((e) => e.state === "waiting" && (e.nextRetryAt ?? 0) <= now).map((e) => e.id);
  }

  async remove(id: string): Promise<boolean> {
    const removed = await this.store.delete(this.entryKey(id));
    await this.store.listRemove(this.indexKey, id);
    return removed;
  }

  async purge(): Promise<number> {
    const ids = await this.store.listRange(this.indexKey, 0, -1);
    let count = 0;
    for (const id of ids) if (await this.remove(id)) count += 1;
    return count;
  }

  /** Replayed entries that did not come back failed within the settle time count as delivered. */
  async settle(): Promise<string[]> {
    const now = this.clock.now();
    const settled: string[] = [];
    for (const entry of await this.all()) {
      if (entry.state === "replaying" && (entry.replayedAt ?? 0) + this.options.settleMs <= now) {
        if (await this.store.compareAndSet(this.entryKey(entry.id), JSON.stringify(entry), undefined)) {
          await this.store.listRemove(this.indexKey, entry.id);
          settled.push(entry.id);
        }
      }
    }
    return settled;
  }

  /**
   * After a restart, this runtime's replays that were in flight have an unknown outcome (the
   * message was in the stopped runtime's memory): they wait again and are retried now. Another
   * instance's replays are its own business.
   */
  async requeueInterruptedReplays(holder?: string): Promise<number> {
    const now = this.clock.now();
    let count = 0;
    for (const entry of await this.all()) {
      if (entry.state !== "replaying" || (entry.replayedBy !== undefined && entry.replayedBy !== holder)) continue;
      const { replayedAt: _dropped, replayedBy: _holder, ...rest } = entry;
      if (
        await this.store.compareAndSet(
          this.entryKey(entry.id),
          JSON.stringify(entry),
          JSON.stringify({ ...rest, state: "waiting", nextRetryAt: now }),
        )
      )
        count += 1;
    }
    return count;
  }

  async metrics(): Promise<DeadLetterMetrics> {
    const now = this.clock.now();
    const entries = await this.all();
    const count = (state: DeadLetterState) => entries.filter((e) => e.state === state).length;
    return {
      depth: entries.length,
      waiting: count("waiting"),
      replaying: count("replaying"),
      exhausted: count("exhausted"),
      oldestAgeMs: entries.length === 0 ? 0 : now - Math.min(...entries.map((e) => e.firstFailedAt)),
    };
  }
}

export function summarise(entry: DeadLetterEntry): DeadLetterSummary {
  const { body, ...rest } = entry;
  return { ...rest, bytes: Buffer.byteLength(body) };
}
