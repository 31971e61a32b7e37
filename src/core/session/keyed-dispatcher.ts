import { Clock, TimerHandle } from "../clock";
import { WaError } from "../errors";

/**
 * Keyed concurrency: items wait per key (a chat) in arrival order; at most `maxInFlightPerKey`
 * of one key and `maxInFlightTotal` overall are out at once; an item is out until acked.
 * The message queue uses it with one per chat; the parallelizer with K per chat and N overall.
 */
export type OverflowPolicy = "reject" | "drop-oldest";

export interface KeyedDispatcherOptions {
  name: string;
  maxInFlightPerKey: number;
  maxInFlightTotal: number;
  /** Most items (waiting + in flight) one key may hold. */
  maxPerKey: number;
  /** Most items (waiting + in flight) overall. */
  maxTotal: number;
  overflow: OverflowPolicy;
  /** An item not acked within this time is given up on (0: wait for ever). */
  ackTimeoutMs: number;
}

export interface DispatchItem<T> {
  deliveryId: string;
  /** Arrival order across all keys. */
  sequence: number;
  key: string;
  payload: T;
  enqueuedAt: number;
  deliveredAt?: number;
  deliveryCount: number;
}

export interface DispatcherHandlers<T> {
  /** The item may be processed now. */
  deliver(item: DispatchItem<T>): void;
  /** The item was out longer than the ack timeout; its slot has been freed. */
  ackTimedOut(item: DispatchItem<T>): void;
  /** The item was pushed out by the drop-oldest policy. */
  dropped(item: DispatchItem<T>, reason: WaError): void;
}

export type EnqueueOutcome<T> = { accepted: true; item: DispatchItem<T>; delivered: boolean } | { accepted: false; error: WaError };

interface KeyState<T> {
  waiting: DispatchItem<T>[];
  inFlight: number;
}

interface InFlight<T> {
  item: DispatchItem<T>;
  timer?: TimerHandle;
}

export interface DispatcherStats {
  waiting: number;
  inFlight: number;
  keys: number;
  delivered: number;
  acked: number;
  rejected: number;
  dropped: number;
  ackTimeouts: number;
}

export function validateDispatcherOptions(options: KeyedDispatcherOptions): void {
  const positive: (keyof KeyedDispatcherOptions)[] = ["maxInFlightPerKey", "maxInFlightTotal", "maxPerKey", "maxTotal"];
  for (const field of positive) {
    const value = options[field] as number;
    if (!(value >= 1)) throw new WaError("config.invalid", `${field} must be at least 1`, { field });
  }
  if (!(options.ackTimeoutMs >= 0)) throw new WaError("config.invalid", "ackTimeoutMs must not be negative", { field: "ackTimeoutMs" });
  if (options.overflow !== "reject" && options.overflow !== "drop-oldest") {
    throw new WaError("config.invalid", `Unknown overflow policy: ${String(options.overflow)}`, { field: "overflow" });
  }
}

export class KeyedDispatcher<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  private readonly inFlight = new Map<string, InFlight<T>>();
  private sequence = 0;
  private waitingTotal = 0;
  private closed = false;
  private readonly counters = { delivered: 0, acked: 0, rejected: 0, dropped: 0, ackTimeouts: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly options: KeyedDispatcherOptions,
    private readonly handlers: DispatcherHandlers<T>,
  ) {
    validateDispatcherOptions(options);
  }

  enqueue(key: string, payload: T): EnqueueOutcome<T> {
    if (this.closed)
      return this.reject(
        new WaError("queue.closed", `The queue stopped before this message of chat ${key} was processed`, { chatId: key }),
      );
    const state = this.keys.get(key) ?? { waiting: [], inFlight: 0 };
    if (state.waiting.length + state.inFlight >= this.options.maxPerKey) {
      const made = this.makeRoom(state, key, "queue.chatFull");
      if (!made) {
        return this.reject(
          new WaError("queue.chatFull", `Chat ${key} already has ${this.options.maxPerKey} messages queued`, {
            chatId: key,
            max: this.options.maxPerKey,
          }),
        );
      }
    }
    if (this.waitingTotal + this.inFlight.size >= this.options.maxTotal) {
      const oldest = this.oldestWaitingKey();
      const made = oldest ? this.makeRoom(this.keys.get(oldest)!, oldest, "queue.full") : false;
      if (!made) {
        return this.reject(
          new WaError("queue.full", `Queue ${this.options.name} is full (${this.options.maxTotal} messages)`, {
            max: this.options.maxTotal,
          }),
        );
      }
    }
    this.sequence += 1;
    const item: DispatchItem<T> = {
      deliveryId: `${this.options.name}:${this.sequence}`,
      sequence: this.sequence,
      key,
      payload,
      enqueuedAt: this.clock.now(),
      deliveryCount: 0,
    };
    state.waiting.push(item);
    this.keys.set(key, state);
    this.waitingTotal += 1;
    this.dispatchKey(key);
    return { accepted: true, item, delivered: item.deliveredAt !== undefined };
  }

  /** Frees the item's slot and delivers what waits. Returns false for an unknown or already-acked id. */
  ack(deliveryId: string): boolean {
    const entry = this.inFlight.get(deliveryId);
    if (!entry) return false;
    this.finish(entry);
    this.counters.acked += 1;
    this.dispatchAfterFree(entry.item.key);
    return true;
  }

  isInFlight(deliveryId: string): boolean {
    return this.inFlight.has(deliveryId);
  }

  stats(): DispatcherStats {
    return { waiting: this.waitingTotal, inFlight: this.inFlight.size, keys: this.keys.size, ...this.counters };
  }

  /** Stops delivering and hands back everything not yet acked (in flight first, then waiting). */
  close(): DispatchItem<T>[] {
    this.closed = true;
    const left: DispatchItem<T>[] = [];
    for (const entry of this.inFlight.values()) {
      this.clock.clearTimeout(entry.timer);
      left.push(entry.item);
    }
    for (const state of this.keys.values()) left.push(...state.waiting);
    this.inFlight.clear();
    this.keys.clear();
    this.waitingTotal = 0;
    return left;
  }

  private reject(error: WaError): EnqueueOutcome<T> {
    this.counters.rejected += 1;
    return { accepted: false, error };
  }

  private makeRoom(state: KeyState<T>, key: string, code: "queue.chatFull" | "queue.full"): boolean {
    if (this.options.overflow !== "drop-oldest" || state.waiting.length === 0) return false;
    const victim = state.waiting.shift()!;
    this.waitingTotal -= 1;
    this.counters.dropped += 1;
    this.cleanupKey(key, state);
    const why =
      code === "queue.chatFull"
        ? `chat ${key} reached ${this.options.maxPerKey} messages`
        : `the queue reached ${this.options.maxTotal} messages`;
    this.handlers.dropped(
      victim,
      new WaError("queue.droppedOldest", `Dropped the oldest waiting message of chat ${key}: ${why}`, { chatId: key }),
    );
    return true;
  }

  private oldestWaitingKey(): string | undefined {
    let best: DispatchItem<T> | undefined;
    for (const state of this.keys.values()) {
      const head = state.waiting[0];
      if (head && (!best || head.enqueuedAt < best.enqueuedAt)) best = head;
    }
    return best?.key;
  }

  private dispatchKey(key: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    while (
      state.waiting.length > 0 &&
      state.inFlight < this.options.maxInFlightPerKey &&
      this.inFlight.size < this.options.maxInFlightTotal &&
      !this.closed
    ) {
      this.deliver(state, state.waiting.shift()!);
    }
    this.cleanupKey(key, state);
  }

  private dispatchAfterFree(key: string): void {
    // With a global limit the freed slot goes to the longest-waiting item of any chat;
    // without one only the freed chat can have become deliverable.
    if (Number.isFinite(this.options.maxInFlightTotal)) this.dispatchAll();
    else this.dispatchKey(key);
  }

  /** Fills free global slots with the longest-waiting items whose chat has room. */
  private dispatchAll(): void {
    while (this.inFlight.size < this.options.maxInFlightTotal && this.waitingTotal > 0 && !this.closed) {
      let bestKey: string | undefined;
      let bestSeq = Number.POSITIVE_INFINITY;
      for (const [key, state] of this.keys) {
        const head = state.waiting[0];
        if (!head || state.inFlight >= this.options.maxInFlightPerKey) continue;
        if (head.sequence < bestSeq) {
          bestSeq = head.sequence;
          bestKey = key;
        }
      }
      if (bestKey === undefined) return;
      const state = this.keys.get(bestKey)!;
      this.deliver(state, state.waiting.shift()!);
    }
  }

  private deliver(state: KeyState<T>, item: DispatchItem<T>): void {
    this.waitingTotal -= 1;
    state.inFlight += 1;
    item.deliveredAt = this.clock.now();
    item.deliveryCount += 1;
    const entry: InFlight<T> = { item };
    if (this.options.ackTimeoutMs > 0) {
      entry.timer = this.clock.setTimeout(() => this.timeOut(item.deliveryId), this.options.ackTimeoutMs);
    }
    this.inFlight.set(item.deliveryId, entry);
    this.counters.delivered += 1;
    this.handlers.deliver(item);
  }

  private timeOut(deliveryId: string): void {
    const entry = this.inFlight.get(deliveryId);
    if (!entry) return;
    this.finish(entry);
    this.counters.ackTimeouts += 1;
    this.handlers.ackTimedOut(entry.item);
    this.dispatchAfterFree(entry.item.key);
  }

  private finish(entry: InFlight<T>): void {
    this.clock.clearTimeout(entry.timer);
    this.inFlight.delete(entry.item.deliveryId);
    const state = this.keys.get(entry.item.key);
    if (state) {
      state.inFlight -= 1;
      this.cleanupKey(entry.item.key, state);
    }
  }

  private cleanupKey(key: string, state: KeyState<T>): void {
    if (state.waiting.length === 0 && state.inFlight === 0) this.keys.delete(key);
  }
}
