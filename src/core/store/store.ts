import { WaError } from "../errors";
/**
 * The storage every stateful engine goes through. Values are strings (engines serialise);
 * every operation is atomic on its own key, so the same contract can be met by memory,
 * an embedded database or Redis.
 */
export interface SetOptions {
  /** Time to live in milliseconds; omitted or 0 means no expiry. */
  ttlMs?: number;
}

export interface Store {
  readonly kind: string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: SetOptions): Promise<void>;
  /** Sets only when the key is absent. Returns whether it was set. */
  setIfAbsent(key: string, value: string, options?: SetOptions): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  /**
   * Replaces the value only when the current one equals `expected` (`undefined`: the key is
   * absent). A `next` of `undefined` deletes the key. Returns whether it swapped.
   */
  compareAndSet(key: string, expected: string | undefined, next: string | undefined, options?: SetOptions): Promise<boolean>;
  /** Adds to an integer counter (created at 0) and returns the new value. */
  increment(key: string, by?: number): Promise<number>;
  /** Sets a new TTL on an existing key. Returns false when the key is absent. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Remaining TTL in ms; undefined when the key is absent or never expires. */
  ttl(key: string): Promise<number | undefined>;
  /** Appends to the tail of a list and returns its new length. */
  listPush(key: string, ...values: string[]): Promise<number>;
  /** Removes and returns the head of a list. */
  listShift(key: string): Promise<string | undefined>;
  /** Items from `start` to `stop` inclusive; negative indexes count from the tail, as in Redis. */
  listRange(key: string, start: number, stop: number): Promise<string[]>;
  listLength(key: string): Promise<number>;
  /** Removes up to `count` items equal to `value` (0: all). Returns how many were removed. */
  listRemove(key: string, value: string, count?: number): Promise<number>;
  /** Keys starting with `prefix`, in no particular order. */
  keys(prefix: string): Promise<string[]>;
  /**
   * Resolves once the writes this store made so far are on as many replicas as it was told to
   * wait for (rejects with store.notReplicated otherwise). Absent, or resolving at once, where
   * there are no replicas to wait for.
   */
  replicated?(): Promise<void>;
  close(): Promise<void>;
}

/** Largest value a store accepts; larger values are a caller bug or a hostile chat. */
export const MAX_STORE_VALUE_BYTES = 1024 * 1024;

/** Every store refuses a value over MAX_STORE_VALUE_BYTES (counted in UTF-8 only when it could be). */
export function checkStoreValueSize(key: string, value: string): void {
  if (value.length * 3 > MAX_STORE_VALUE_BYTES && Buffer.byteLength(value) > MAX_STORE_VALUE_BYTES) {
    throw new WaError("store.valueTooLarge", `Value for ${key} is larger than ${MAX_STORE_VALUE_BYTES} bytes`, {
      key,
      max: MAX_STORE_VALUE_BYTES,
    });
  }
}
