import { randomUUID } from "node:crypto";
import { Clock, TimerHandle } from "../clock";
import { WaError, isWaError } from "../errors";
import { Store } from "../store/store";

/**
 * A per-chat FIFO kept in a Store, so it survives restarts (embedded store) and is shared by
 * several instances (Redis). One message per chat is in flight across all instances: the
 * instance that sets the chat's lease delivers its head. A lease not acked in time (ack
 * timeout, or the instance died) is redelivered with a higher delivery count: at least once.
 */
/** Orphan sweeps run every ack timeout, but not more often than this: each reads every stored key of the queue. */
const MIN_SWEEP_INTERVAL_MS = 60_000;

export interface StoreQueueOptions {
  name: string;
  maxPerChat: number;
  maxTotal: number;
  overflow: "reject" | "drop-oldest";
  /** How long a delivery may stay unacknowledged before it is redelivered. */
  leaseMs: number;
  /** Deliveries of one message before it is given up on (reported, removed). */
  maxDeliveries: number;
  /** How often to look for chats another instance freed, or left behind when it died. */
  pollMs: number;
  /**
   * Stable name of this instance and node (host, user directory, node id): after a restart
   * the instance takes back its own unacknowledged deliveries at once instead of waiting.
   */
  owner: string;
}

export interface StoredDelivery {
  deliveryId: string;
  chatId: string;
  enqueuedAt: number;
  deliveredAt: number;
  deliveryCount: number;
  /** The message as accepted (serialised by the caller). */
  body: string;
}

export interface StoreQueueHandlers {
  deliver(delivery: StoredDelivery): void;
  /** The delivery was not acknowledged within the lease; it will be delivered again unless given up. */
  ackTimedOut(delivery: StoredDelivery, givenUp: boolean): void;
  /** A waiting message pushed out by drop-oldest. */
  dropped(delivery: Omit<StoredDelivery, "deliveredAt">, reason: WaError): void;
  /** A store operation failed outside a caller's request (poll, redelivery); the queue retries. */
  storeFailed(error: unknown): void;
}

interface Lease {
  deliveryId: string;
  owner: string;
  boot: string;
}

interface StoredItem {
  deliveryId: string;
  chatId: string;
  enqueuedAt: number;
  deliveryCount: number;
  body: string;
}

export type StoreEnqueueOutcome = { accepted: true; deliveryId: string } | { accepted: false; error: WaError };

export class StoreQueue {
  private readonly boot = randomUUID();
  private sequence = 0;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly leaseTimers = new Map<string, TimerHandle>();
  private readonly ownLeases = new Map<string, { deliveryId: string; raw: string }>();
  private pollTimer: TimerHandle | undefined;
  private sweepTimer: TimerHandle | undefined;
  private polling = false;
  private closed = false;
  private readonly prefix: string;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: StoreQueueOptions,
    private readonly handlers: StoreQueueHandlers,
  ) {
    if (!(options.leaseMs > 0))
      throw new WaError("config.invalid", "The ack timeout of a stored queue must be greater than 0", { field: "ackTimeout" });
    if (!(options.maxDeliveries >= 1)) throw new WaError("config.invalid", "Deliveries must be at least 1", { field: "maxDeliveries" });
    this.prefix = `wa:q:${options.name}:`;
  }

  /** Recounts what is stored, takes back this instance's unacknowledged deliveries, starts polling. */
  async start(): Promise<void> {
    const chats = await this.chatsWithItems();
    let total = 0;
    for (const chatId of chats) total += await this.store.listLength(this.chatKey(chatId));
    await this.store.set(this.countKey(), String(total));
    for (const chatId of chats) {
      const raw = await this.store.get(this.leaseKey(chatId));
      const lease = raw === undefined ? undefined : (JSON.parse(raw) as Lease);
      if (lease && lease.owner === this.options.owner && lease.boot !== this.boot) {
        await this.store.compareAndSet(this.leaseKey(chatId), raw, undefined);
      }
      this.pump(chatId);
    }
    await this.sweepOrphans();
    this.pollTimer = this.clock.setInterval(() => void this.poll(), this.options.pollMs);
    this.sweepTimer = this.clock.setInterval(
      () => void this.sweepOrphans().catch((error: unknown) => this.handlers.storeFailed(error)),
      Math.max(this.options.leaseMs, MIN_SWEEP_INTERVAL_MS),
    );
  }

  /**
   * Deletes stored messages no chat lists: left by a crash between storing a message and queueing
   * its id (never accepted) or between dropping the oldest and deleting it. Only those older than
   * the ack timeout, so an enqueue in progress in another instance keeps its message.
   */
  async sweepOrphans(): Promise<number> {
    const itemPrefix = `${this.prefix}item:`;
    const itemIds = (await this.store.keys(itemPrefix)).map((key) => key.slice(itemPrefix.length));
    if (itemIds.length === 0) return 0;
    const listed = new Set<string>();
    for (const chatId of await this.chatsWithItems())
      for (const id of await this.store.listRange(this.chatKey(chatId), 0, -1)) listed.add(id);
    let swept = 0;
    for (const id of itemIds) {
      if (listed.has(id)) continue;
      const raw = await this.store.get(this.itemKey(id));
      if (raw === undefined) continue;
      const item = JSON.parse(raw) as StoredItem;
      if (this.clock.now() - item.enqueuedAt < this.options.leaseMs) continue;
      if (await this.store.compareAndSet(this.itemKey(id), raw, undefined)) swept += 1;
    }
    return swept;
  }

  /** Stores the message; `onAccepted` runs once it is stored and before it can be delivered. */
  async enqueue(chatId: string, body: string, onAccepted?: (deliveryId: string) => void): Promise<StoreEnqueueOutcome> {
    if (this.closed)
      return {
        accepted: false,
        error: new WaError("queue.closed", `The queue stopped before this message of chat ${chatId} was processed`, { chatId }),
      };
    const chatKey = this.chatKey(chatId);
    // Bounds are taken as reservations (increment, push) and given back on refusal, so that
    // concurrent enqueues, here or in another instance, cannot both slip under a bound.
    if ((await this.store.increment(this.countKey(), 1)) > this.options.maxTotal) {
      await this.store.increment(this.countKey(), -1);
      return {
        accepted: false,
        error: new WaError("queue.full", `Queue ${this.options.name} is full (${this.options.maxTotal} messages)`, {
          max: this.options.maxTotal,
        }),
      };
    }
    this.sequence += 1;
    const item: StoredItem = { deliveryId: `${this.boot}-${this.sequence}`, chatId, enqueuedAt: this.clock.now(), deliveryCount: 0, body };
    // Item first, then its place in line: a crash in between leaves an orphan item, never a dangling id.
    await this.store.set(this.itemKey(item.deliveryId), JSON.stringify(item));
    const length = await this.store.listPush(chatKey, item.deliveryId);
    if (length > this.options.maxPerChat) {
      const made = this.options.overflow === "drop-oldest" && (await this.dropOldestWaiting(chatId, item.deliveryId));
      if (!made) {
        // The item before its id, here as in ack: a crash in between leaves an id without item, which delivery skips.
        await this.store.delete(this.itemKey(item.deliveryId));
        // Removed already by a delivery that found the id without item: that delivery gave the reservation back.
        if ((await this.store.listRemove(chatKey, item.deliveryId, 1)) > 0) await this.store.increment(this.countKey(), -1);
        return {
          accepted: false,
          error: new WaError("queue.chatFull", `Chat ${chatId} already has ${this.options.maxPerChat} messages queued`, {
            chatId,
            max: this.options.maxPerChat,
          }),
        };
      }
    }
    try {
      await this.store.replicated?.();
    } catch (error) {
      // Queued all the same (it will be delivered unless a failover loses it): the sender learns it is not known to be safe.
      this.pump(chatId);
      if (isWaError(error)) return { accepted: false, error };
      throw error;
    }
    onAccepted?.(item.deliveryId);
    this.pump(chatId);
    return { accepted: true, deliveryId: item.deliveryId };
  }

  /** Acknowledges a delivery: removes it and lets the chat's next message go. False if it was not in flight. */
  async ack(chatId: string, deliveryId: string): Promise<boolean> {
    const leaseKey = this.leaseKey(chatId);
    // The lease this instance set for the delivery, while its timer runs, is the stored one: no need to read it back.
    const own = this.ownLeases.get(chatId);
    const raw = own?.deliveryId === deliveryId ? own.raw : await this.store.get(leaseKey);
    if (raw === undefined || (JSON.parse(raw) as Lease).deliveryId !== deliveryId) return false;
    this.clock.clearTimeout(this.leaseTimers.get(chatId));
    this.leaseTimers.delete(chatId);
    this.ownLeases.delete(chatId);
    await this.store.delete(this.itemKey(deliveryId));
    const removed = await this.store.listRemove(this.chatKey(chatId), deliveryId, 1);
    if (removed > 0) await this.store.increment(this.countKey(), -1);
    await this.store.compareAndSet(leaseKey, raw, undefined);
    this.pump(chatId);
    return true;
  }

  async depth(): Promise<number> {
    return Number((await this.store.get(this.countKey())) ?? "0");
  }

  close(): void {
    this.closed = true;
    this.clock.clearInterval(this.pollTimer);
    this.clock.clearInterval(this.sweepTimer);
    for (const timer of this.leaseTimers.values()) this.clock.clearTimeout(timer);
    this.leaseTimers.clear();
    this.ownLeases.clear();
  }

  /** Runs one delivery attempt per chat at a time, in order. */
  private pump(chatId: string): void {
    const previous = this.chains.get(chatId) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliverHead(chatId))
      .catch((error: unknown) => this.handlers.storeFailed(error))
      .finally(() => {
        if (this.chains.get(chatId) === next) this.chains.delete(chatId);
      });
    this.chains.set(chatId, next);
  }

  private async deliverHead(chatId: string): Promise<void> {
    if (this.closed) return;
    for (;;) {
      const [head] = await this.store.listRange(this.chatKey(chatId), 0, 0);
      if (head === undefined) return;
      const lease: Lease = { deliveryId: head, owner: this.options.owner, boot: this.boot };
      const leaseRaw = JSON.stringify(lease);
      if (!(await this.store.setIfAbsent(this.leaseKey(chatId), leaseRaw, { ttlMs: this.options.leaseMs }))) return;
      const itemRaw = await this.store.get(this.itemKey(head));
      if (itemRaw === undefined) {
        // An id whose item is gone (an ack or refusal racing with us, or cut short by a crash): drop it, look again.
        if ((await this.store.listRemove(this.chatKey(chatId), head, 1)) > 0) await this.store.increment(this.countKey(), -1);
        await this.store.compareAndSet(this.leaseKey(chatId), leaseRaw, undefined);
        continue;
      }
      const item = JSON.parse(itemRaw) as StoredItem;
      item.deliveryCount += 1;
      await this.store.set(this.itemKey(head), JSON.stringify(item));
      if (this.closed) return;
      const delivery: StoredDelivery = { ...item, deliveredAt: this.clock.now() };
      this.clock.clearTimeout(this.leaseTimers.get(chatId));
      this.leaseTimers.set(
        chatId,
        this.clock.setTimeout(() => void this.leaseExpired(delivery, leaseRaw), this.options.leaseMs),
      );
      this.ownLeases.set(chatId, { deliveryId: head, raw: leaseRaw });
      this.handlers.deliver(delivery);
      return;
    }
  }

  private async leaseExpired(delivery: StoredDelivery, leaseRaw: string): Promise<void> {
    this.leaseTimers.delete(delivery.chatId);
    if (this.ownLeases.get(delivery.chatId)?.raw === leaseRaw) this.ownLeases.delete(delivery.chatId);
    try {
      const current = await this.store.get(this.leaseKey(delivery.chatId));
      // Gone by its TTL, or still ours: give the delivery up or let it go again. Someone else's: not ours to touch.
      if (current !== undefined && current !== leaseRaw) return;
      const givenUp = delivery.deliveryCount >= this.options.maxDeliveries;
      if (givenUp) {
        await this.store.delete(this.itemKey(delivery.deliveryId));
        const removed = await this.store.listRemove(this.chatKey(delivery.chatId), delivery.deliveryId, 1);
        if (removed > 0) await this.store.increment(this.countKey(), -1);
      }
      await this.store.compareAndSet(this.leaseKey(delivery.chatId), leaseRaw, undefined);
      this.handlers.ackTimedOut(delivery, givenUp);
      this.pump(delivery.chatId);
    } catch (error) {
      this.handlers.storeFailed(error);
    }
  }

  private async dropOldestWaiting(chatId: string, arriving: string): Promise<boolean> {
    const ids = await this.store.listRange(this.chatKey(chatId), 0, 1);
    const leaseRaw = await this.store.get(this.leaseKey(chatId));
    const inFlight = leaseRaw === undefined ? undefined : (JSON.parse(leaseRaw) as Lease).deliveryId;
    const victim = ids.find((id) => id !== inFlight && id !== arriving);
    if (victim === undefined) return false;
    const raw = await this.store.get(this.itemKey(victim));
    if ((await this.store.listRemove(this.chatKey(chatId), victim, 1)) === 0) return false;
    await this.store.delete(this.itemKey(victim));
    await this.store.increment(this.countKey(), -1);
    if (raw !== undefined) {
      const item = JSON.parse(raw) as StoredItem;
      this.handlers.dropped(
        item,
        new WaError(
          "queue.droppedOldest",
          `Dropped the oldest waiting message of chat ${chatId}: the chat reached ${this.options.maxPerChat} messages`,
          { chatId },
        ),
      );
    }
    return true;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      for (const chatId of await this.chatsWithItems()) {
        if (!this.chains.has(chatId) && !this.leaseTimers.has(chatId)) this.pump(chatId);
      }
    } catch (error) {
      this.handlers.storeFailed(error);
    } finally {
      this.polling = false;
    }
  }

  private async chatsWithItems(): Promise<string[]> {
    const chatPrefix = `${this.prefix}chat:`;
    return (await this.store.keys(chatPrefix)).map((key) => key.slice(chatPrefix.length));
  }

  private chatKey(chatId: string): string {
    return `${this.prefix}chat:${chatId}`;
  }

  private leaseKey(chatId: string): string {
    return `${this.prefix}lease:${chatId}`;
  }

  private itemKey(id: string): string {
    return `${this.prefix}item:${id}`;
  }

  private countKey(): string {
    return `${this.prefix}count`;
  }
}
