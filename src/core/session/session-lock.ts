import { Clock, TimerHandle } from "../clock";
import { LockGrantInfo } from "../envelope";
import { WaError, isWaError } from "../errors";
import { MetricsSink, nullMetrics } from "../perf/metrics";
import { Store } from "../store/store";

export type LockGrant = LockGrantInfo;

export interface SessionLockOptions {
  /** Namespace of the locks, so independent flows can lock the same chat separately. */
  lockName: string;
  /** How often a waiter re-checks a lock held elsewhere (another instance sharing the store). */
  pollIntervalMs?: number;
  /**
   * This runtime among those sharing the store, the same after a restart (host and user directory). A lock
   * it held before a restart belongs to a message that is gone: it is taken over at once, not waited out.
   */
  instance?: string;
  /** This start of the runtime; a random one by default. */
  boot?: string;
}

export interface SessionLockWorld {
  store: Store;
  clock: Clock;
  metrics?: MetricsSink;
}

export interface LockRequest {
  owner: string;
  /** A lock not released within this time is freed and reported as expired. */
  ttlMs: number;
  /**
   * Keep extending the lock (every ttl/3) while it is held, for at most this long in all;
   * a stuck holder still loses it then. Undefined: no renewal.
   */
  renewForMs?: number;
  /** Anything the caller wants back if the grant expires (the message that holds it). */
  context?: unknown;
}

interface Waiter {
  request: LockRequest;
  resolve(grant: LockGrant): void;
  reject(error: Error): void;
  timeout?: TimerHandle;
}

interface StoredLock {
  owner: string;
  token: number;
  acquiredAt: number;
  expiresAt: number;
  instance?: string;
  boot?: string;
}

/** Chats remembered as found locked; past this many the memory starts again (it only saves a read). */
const SEEN_BUSY_LIMIT = 10_000;

/**
 * Gaps between tries of a release that found the store away (a Redis failover, a restart): the lock would
 * otherwise keep its chat waiting for the whole TTL. The last gap repeats while the lock has time left.
 */
export const RELEASE_RETRY_GAPS_MS = [200, 500, 1000, 2000];

/** How long a chat's token counter is kept after its last grant. */
export const FENCE_COUNTER_TTL_MS = 24 * 60 * 60 * 1000;

function validateRequest(request: LockRequest): void {
  if (!(request.ttlMs > 0)) throw new WaError("config.invalid", "Lock TTL must be greater than 0", { field: "ttl" });
}

function serialise(record: StoredLock): string {
  return JSON.stringify({
    owner: record.owner,
    token: record.token,
    acquiredAt: record.acquiredAt,
    expiresAt: record.expiresAt,
    ...(record.instance !== undefined ? { instance: record.instance, boot: record.boot } : {}),
  });
}

/**
 * Per-chat mutual exclusion with a TTL and a fencing token. The lock itself lives in the
 * store (so instances sharing a store exclude each other); waiters queue here in arrival
 * order and are woken by a local release, by expiry, or by polling for remote releases.
 */
export class SessionLockManager {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly held = new Map<string, { grant: LockGrant; expiryTimer: TimerHandle; renewTimer?: TimerHandle; context: unknown }>();
  private readonly pumping = new Set<string>();
  private readonly pumpAgain = new Set<string>();
  private readonly pollTimers = new Map<string, TimerHandle>();
  private readonly seenBusy = new Set<string>();
  /** Grants in `held` per chat (one, but for a grant not yet forgotten beside its successor). */
  private readonly heldPerChat = new Map<string, number>();
  private readonly expiredListeners = new Set<(grant: LockGrant, context: unknown) => void>();
  private readonly countListeners = new Set<() => void>();
  private readonly metrics: MetricsSink;
  private closed = false;
  private readonly boot: string;

  constructor(
    private readonly world: SessionLockWorld,
    private readonly options: SessionLockOptions,
  ) {
    this.metrics = world.metrics ?? nullMetrics;
    this.boot = options.boot ?? Math.random().toString(36).slice(2);
  }

  /** A lock this runtime held before it restarted: its message is gone, nobody will release it. */
  private leftByEarlierStart(stored: StoredLock): boolean {
    return this.options.instance !== undefined && stored.instance === this.options.instance && stored.boot !== this.boot;
  }

  get lockName(): string {
    return this.options.lockName;
  }

  /** Called when a grant made here reaches its TTL without being released. */
  onExpired(listener: (grant: LockGrant, context: unknown) => void): () => void {
    this.expiredListeners.add(listener);
    return () => this.expiredListeners.delete(listener);
  }

  /** Called when a lock held here is let go (released, expired, taken over) or a waiter stops waiting. */
  onCountsChanged(listener: () => void): () => void {
    this.countListeners.add(listener);
    return () => this.countListeners.delete(listener);
  }

  /** Grants the lock only if it is free now and nobody here is waiting for it. */
  async tryAcquire(chatId: string, request: LockRequest): Promise<LockGrant | undefined> {
    validateRequest(request);
    if ((this.waiters.get(chatId)?.length ?? 0) > 0) return undefined;
    return this.attempt(chatId, request);
  }

  /** Waits up to `waitTimeoutMs` for the lock (0: fail at once when busy). Rejects with lock.timeout. */
  acquire(chatId: string, request: LockRequest, waitTimeoutMs: number): Promise<LockGrant> {
    if (this.closed) return Promise.reject(new WaError("lock.closed", "The lock manager is closed"));
    try {
      validateRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutError = () =>
      new WaError("lock.timeout", `Chat ${chatId} stayed locked for more than ${waitTimeoutMs} ms`, { chatId, waitMs: waitTimeoutMs });
    if (waitTimeoutMs <= 0) {
      return this.tryAcquire(chatId, request).then((grant) => {
        if (grant) return grant;
        this.metrics.increment("lock_timeouts_total", 1, { lock: this.lockName });
        throw timeoutError();
      });
    }
    return new Promise<LockGrant>((resolve, reject) => {
      const waiter: Waiter = { request, resolve, reject };
      const queue = this.waiters.get(chatId) ?? [];
      queue.push(waiter);
      this.waiters.set(chatId, queue);
      waiter.timeout = this.world.clock.setTimeout(() => {
        this.removeWaiter(chatId, waiter);
        this.metrics.increment("lock_timeouts_total", 1, { lock: this.lockName });
        reject(timeoutError());
      }, waitTimeoutMs);
      void this.pump(chatId);
    });
  }

  /**
   * Frees a lock if `grant` still holds it. Returns false when it had expired or was taken over. A store that is
   * away is tried again until the lock would have expired anyway; only then does store.disconnected come out.
   */
  async release(grant: Pick<LockGrant, "chatId" | "token" | "owner" | "acquiredAt" | "expiresAt">): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.releaseOnce(grant, attempt > 0);
      } catch (error) {
        const gap = RELEASE_RETRY_GAPS_MS[Math.min(attempt, RELEASE_RETRY_GAPS_MS.length - 1)];
        const worthRetrying =
          isWaError(error) && error.code === "store.disconnected" && !this.closed && this.world.clock.now() + gap < this.expiryOf(grant);
        if (!worthRetrying) {
          // The store's TTL frees the record; reporting it again as expired would blame the flow's wiring.
          this.forget(grant.chatId, grant.token);
          void this.pump(grant.chatId);
          throw error;
        }
        this.metrics.increment("lock_release_retries_total", 1, { lock: this.lockName });
        await new Promise<void>((resolve) => this.world.clock.setTimeout(resolve, gap));
      }
    }
  }

  /** When the grant's lock runs out: later than the grant says if this manager has renewed it since. */
  private expiryOf(grant: Pick<LockGrant, "chatId" | "token" | "expiresAt">): number {
    return this.held.get(this.heldKey(grant.chatId, grant.token))?.grant.expiresAt ?? grant.expiresAt;
  }

  /** `again`: an earlier try lost its connection, perhaps after the store had already freed the lock. */
  private async releaseOnce(
    grant: Pick<LockGrant, "chatId" | "token" | "owner" | "acquiredAt" | "expiresAt">,
    again: boolean,
  ): Promise<boolean> {
    const key = this.lockKey(grant.chatId);
    // Held here: the stored record is the one this manager wrote (renewals included), so one swap frees it.
    const entry = this.held.get(this.heldKey(grant.chatId, grant.token));
    let released =
      entry !== undefined &&
      entry.grant.owner === grant.owner &&
      (await this.world.store.compareAndSet(key, this.storedFormOf(entry.grant), undefined));
    if (!released) {
      // Held elsewhere, or renewed since the grant was handed out: match holder and token only.
      const current = await this.world.store.get(key);
      const stored = current === undefined ? undefined : (JSON.parse(current) as StoredLock);
      released =
        stored !== undefined &&
        stored.token === grant.token &&
        stored.owner === grant.owner &&
        (await this.world.store.compareAndSet(key, current, undefined));
      // Nobody else holds it and it had not expired: the lost try freed it (or the failover lost the record).
      if (!released && again && current === undefined && this.world.clock.now() < this.expiryOf(grant)) released = true;
    }
    this.forget(grant.chatId, grant.token);
    if (released) this.metrics.increment("lock_releases_total", 1, { lock: this.lockName });
    void this.pump(grant.chatId);
    return released;
  }

  /** Whether `token` is still the current holder of the chat's lock (for fencing late writers). */
  async isCurrent(chatId: string, token: number): Promise<boolean> {
    const raw = await this.world.store.get(this.lockKey(chatId));
    if (raw === undefined) return false;
    const record = JSON.parse(raw) as StoredLock;
    return record.token === token && record.expiresAt > this.world.clock.now();
  }

  heldCount(): number {
    return this.held.size;
  }

  waitingCount(): number {
    let count = 0;
    for (const queue of this.waiters.values()) count += queue.length;
    return count;
  }

  /** Rejects every waiter and stops timers. Held locks stay in the store until their TTL. */
  close(): void {
    this.closed = true;
    for (const [chatId, queue] of this.waiters) {
      for (const waiter of queue) {
        this.world.clock.clearTimeout(waiter.timeout);
        waiter.reject(new WaError("lock.closed", `Stopped waiting for chat ${chatId}: the flow is stopping`, { chatId }));
      }
    }
    this.waiters.clear();
    for (const entry of this.held.values()) {
      this.world.clock.clearTimeout(entry.expiryTimer);
      this.world.clock.clearInterval(entry.renewTimer);
    }
    this.held.clear();
    this.heldPerChat.clear();
    for (const timer of this.pollTimers.values()) this.world.clock.clearTimeout(timer);
    this.pollTimers.clear();
    this.expiredListeners.clear();
    this.countListeners.clear();
  }

  private lockKey(chatId: string): string {
    return `wa:lock:${this.lockName}:${chatId}`;
  }

  private heldKey(chatId: string, token: number): string {
    return `${chatId}\u0000${token}`;
  }

  /** This manager holds the chat's lock now: no need to ask the store. */
  private heldHere(chatId: string): boolean {
    return (this.heldPerChat.get(chatId) ?? 0) > 0;
  }

  /** A stored lock that still excludes everyone else: not expired, and not one this runtime left behind before a restart. */
  private stillHeld(raw: string): boolean {
    const stored = JSON.parse(raw) as StoredLock;
    return stored.expiresAt > this.world.clock.now() && !this.leftByEarlierStart(stored);
  }

  /** Notes that the chat's lock was found taken, so the next attempt reads it before spending a token. */
  private foundBusy(chatId: string): undefined {
    if (this.seenBusy.size >= SEEN_BUSY_LIMIT) this.seenBusy.clear();
    this.seenBusy.add(chatId);
    return undefined;
  }

  private async attempt(chatId: string, request: LockRequest): Promise<LockGrant | undefined> {
    const { store, clock } = this.world;
    const key = this.lockKey(chatId);
    // Where nothing here saw the lock taken (the usual case: the queue already hands out one message per chat),
    // swap straight into an absent record; the record is read only when that fails or the chat was seen busy.
    if (this.heldHere(chatId)) return undefined;
    const optimistic = !this.seenBusy.has(chatId);
    let current = optimistic ? undefined : await store.get(key);
    if (current !== undefined && this.stillHeld(current)) return this.foundBusy(chatId);
    // Tokens only grow, so a writer holding an older token can always be told apart. The
    // counter outlives any lock that used it by far, then goes, so idle chats leave no keys.
    const fenceKey = `wa:lockfence:${this.lockName}:${chatId}`;
    const token = await store.increment(fenceKey);
    await store.expire(fenceKey, Math.max(FENCE_COUNTER_TTL_MS, request.ttlMs * 100));
    const acquiredAt = clock.now();
    const record: StoredLock = {
      owner: request.owner,
      token,
      acquiredAt,
      expiresAt: acquiredAt + request.ttlMs,
      ...(this.options.instance !== undefined ? { instance: this.options.instance, boot: this.boot } : {}),
    };
    let swapped = await store.compareAndSet(key, current, serialise(record), { ttlMs: request.ttlMs });
    if (!swapped && optimistic) {
      // A record was there: held, or expired, or left by an earlier start of this runtime (those two are taken over).
      current = await store.get(key);
      if (current !== undefined && this.stillHeld(current)) return this.foundBusy(chatId);
      swapped = await store.compareAndSet(key, current, serialise(record), { ttlMs: request.ttlMs });
    }
    if (!swapped) return this.foundBusy(chatId);
    this.seenBusy.delete(chatId);
    const grant: LockGrant = {
      lockName: this.lockName,
      chatId,
      owner: record.owner,
      token: record.token,
      acquiredAt: record.acquiredAt,
      expiresAt: record.expiresAt,
    };
    const expiryTimer = clock.setTimeout(() => this.expire(grant), request.ttlMs);
    const entry: { grant: LockGrant; expiryTimer: TimerHandle; renewTimer?: TimerHandle; context: unknown } = {
      grant,
      expiryTimer,
      context: request.context,
    };
    this.held.set(this.heldKey(chatId, token), entry);
    this.heldPerChat.set(chatId, (this.heldPerChat.get(chatId) ?? 0) + 1);
    if (request.renewForMs !== undefined && request.renewForMs > 0) {
      const renewUntil = acquiredAt + request.renewForMs;
      entry.renewTimer = clock.setInterval(
        () => void this.renew(chatId, token, request.ttlMs, renewUntil),
        Math.max(1, Math.floor(request.ttlMs / 3)),
      );
    }
    this.metrics.increment("lock_grants_total", 1, { lock: this.lockName });
    return grant;
  }

  /** Extends a held lock by its TTL, up to `renewUntil`. A lock found taken over is reported as expired. */
  private async renew(chatId: string, token: number, ttlMs: number, renewUntil: number): Promise<void> {
    const entry = this.held.get(this.heldKey(chatId, token));
    if (!entry) return;
    const now = this.world.clock.now();
    const expiresAt = Math.min(now + ttlMs, Math.max(renewUntil, entry.grant.expiresAt));
    if (expiresAt <= entry.grant.expiresAt) {
      this.world.clock.clearInterval(entry.renewTimer);
      return;
    }
    const renewed: LockGrant = { ...entry.grant, expiresAt };
    try {
      const ok = await this.world.store.compareAndSet(this.lockKey(chatId), this.storedFormOf(entry.grant), this.storedFormOf(renewed), {
        ttlMs: expiresAt - now,
      });
      if (!ok || !this.held.has(this.heldKey(chatId, token))) {
        if (!ok) this.expire(entry.grant);
        return;
      }
      entry.grant = renewed;
      this.world.clock.clearTimeout(entry.expiryTimer);
      entry.expiryTimer = this.world.clock.setTimeout(() => this.expire(renewed), expiresAt - now);
      this.metrics.increment("lock_renewals_total", 1, { lock: this.lockName });
    } catch {
      // The store is away: the lock keeps its current expiry, and the next renewal tries again.
    }
  }

  /** The record this manager wrote for `grant`, byte for byte, so a compare-and-set matches it. */
  private storedFormOf(grant: LockGrant): string {
    return serialise({
      ...grant,
      ...(this.options.instance !== undefined ? { instance: this.options.instance, boot: this.boot } : {}),
    });
  }

  private expire(grant: LockGrant): void {
    const entry = this.held.get(this.heldKey(grant.chatId, grant.token));
    if (!entry) return;
    this.forget(grant.chatId, grant.token);
    this.metrics.increment("lock_expired_total", 1, { lock: this.lockName });
    for (const listener of this.expiredListeners) listener(grant, entry.context);
    void this.pump(grant.chatId);
  }

  private forget(chatId: string, token: number): void {
    const key = this.heldKey(chatId, token);
    const entry = this.held.get(key);
    if (!entry) return;
    this.world.clock.clearTimeout(entry.expiryTimer);
    this.world.clock.clearInterval(entry.renewTimer);
    this.held.delete(key);
    const left = (this.heldPerChat.get(chatId) ?? 1) - 1;
    if (left > 0) this.heldPerChat.set(chatId, left);
    else this.heldPerChat.delete(chatId);
    for (const listener of this.countListeners) listener();
  }

  private removeWaiter(chatId: string, waiter: Waiter): void {
    const queue = this.waiters.get(chatId);
    if (!queue) return;
    const index = queue.indexOf(waiter);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) {
      this.waiters.delete(chatId);
      this.world.clock.clearTimeout(this.pollTimers.get(chatId));
      this.pollTimers.delete(chatId);
    }
    for (const listener of this.countListeners) listener();
  }

  /** Hands the lock to the first waiter of a chat, if it is free. One pump per chat at a time. */
  private async pump(chatId: string): Promise<void> {
    if (this.closed) return;
    if (this.pumping.has(chatId)) {
      this.pumpAgain.add(chatId);
      return;
    }
    this.pumping.add(chatId);
    try {
      do {
        this.pumpAgain.delete(chatId);
        await this.handOver(chatId);
      } while (this.pumpAgain.has(chatId) && !this.closed);
    } finally {
      this.pumping.delete(chatId);
    }
  }

  private async handOver(chatId: string): Promise<void> {
    const queue = this.waiters.get(chatId);
    const first = queue?.[0];
    if (!first) return;
    try {
      const grant = await this.attempt(chatId, first.request);
      if (this.closed) return;
      if (grant && queue[0] === first) {
        this.world.clock.clearTimeout(first.timeout);
        this.removeWaiter(chatId, first);
        first.resolve(grant);
      } else if (grant) {
        // The waiter timed out while we were acquiring: give the lock straight back.
        await this.world.store.compareAndSet(this.lockKey(chatId), this.storedFormOf(grant), undefined);
        this.forget(chatId, grant.token);
        this.pumpAgain.add(chatId);
      } else {
        this.schedulePoll(chatId);
      }
    } catch (error) {
      for (const waiter of this.waiters.get(chatId) ?? []) {
        this.world.clock.clearTimeout(waiter.timeout);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
      }
      this.waiters.delete(chatId);
    }
  }

  private schedulePoll(chatId: string): void {
    if (this.pollTimers.has(chatId)) return;
    const timer = this.world.clock.setTimeout(() => {
      this.pollTimers.delete(chatId);
      void this.pump(chatId);
    }, this.options.pollIntervalMs ?? 250);
    this.pollTimers.set(chatId, timer);
  }
}
