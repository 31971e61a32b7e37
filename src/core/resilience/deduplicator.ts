import { createHash } from "node:crypto";
import { Clock } from "../clock";
import { Store } from "../store/store";

export interface DedupeVerdict {
  first: boolean;
  /** When the key was first seen (this time when `first`). */
  firstSeenAt: number;
}

/** Keys longer than this are stored by their SHA-256, so a hostile chat cannot bloat the store. */
const MAX_PLAIN_KEY_LENGTH = 200;

/**
 * Idempotency keys kept with a TTL in a store: the first claim of a key wins, every later
 * claim within the TTL is a duplicate, also across restarts and instances sharing the store
 * (the claim is one atomic set-if-absent).
 */
export class Deduplicator {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly namespace: string,
    private readonly ttlMs: number,
  ) {}

  private storeKey(key: string): string {
    const plain = key.length <= MAX_PLAIN_KEY_LENGTH ? key : `sha256:${createHash("sha256").update(key).digest("hex")}`;
    return `dedupe:${this.namespace}:${plain}`;
  }

  async claim(key: string): Promise<DedupeVerdict> {
    const now = this.clock.now();
    const storeKey = this.storeKey(key);
    if (await this.store.setIfAbsent(storeKey, String(now), { ttlMs: this.ttlMs })) return { first: true, firstSeenAt: now };
    const seen = Number(await this.store.get(storeKey));
    return { first: false, firstSeenAt: Number.isFinite(seen) ? seen : now };
  }

  /** Forgets a key, so the same message may pass again (for example after its write failed). */
  async forget(key: string): Promise<boolean> {
    return this.store.delete(this.storeKey(key));
  }

  async seen(key: string): Promise<boolean> {
    return (await this.store.get(this.storeKey(key))) !== undefined;
  }
}
