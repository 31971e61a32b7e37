import { Clock, systemClock } from "../clock";
import { WaError } from "../errors";
import { checkStoreValueSize, SetOptions, Store } from "./store";

type Entry = { kind: "value"; value: string; expiresAt?: number } | { kind: "list"; items: string[]; expiresAt?: number };

/** Store in process memory. Fast and zero-setup; gone on restart. */
export class MemoryStore implements Store {
  readonly kind = "memory";
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly clock: Clock = systemClock) {}

  async get(key: string): Promise<string | undefined> {
    const entry = this.live(key);
    return entry?.kind === "value" ? entry.value : undefined;
  }

  async set(key: string, value: string, options?: SetOptions): Promise<void> {
    this.writeValue(key, value, options);
  }

  async setIfAbsent(key: string, value: string, options?: SetOptions): Promise<boolean> {
    if (this.live(key)) return false;
    this.writeValue(key, value, options);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  async compareAndSet(key: string, expected: string | undefined, next: string | undefined, options?: SetOptions): Promise<boolean> {
    const entry = this.live(key);
    if (entry && entry.kind !== "value") return false;
    const current = entry?.value;
    if (current !== expected) return false;
    if (next === undefined) this.entries.delete(key);
    else this.writeValue(key, next, options);
    return true;
  }

  async increment(key: string, by = 1): Promise<number> {
    const entry = this.live(key);
    const current = entry?.kind === "value" ? Number.parseInt(entry.value, 10) : 0;
    if (entry && (entry.kind !== "value" || !Number.isFinite(current))) {
      throw new WaError("config.invalid", `Store key ${key} does not hold a counter`, { key });
    }
    const next = current + by;
    this.entries.set(key, { kind: "value", value: String(next), expiresAt: entry?.expiresAt });
    return next;
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const entry = this.live(key);
    if (!entry) return false;
    entry.expiresAt = ttlMs > 0 ? this.clock.now() + ttlMs : undefined;
    return true;
  }

  async ttl(key: string): Promise<number | undefined> {
    const entry = this.live(key);
    if (!entry || entry.expiresAt === undefined) return undefined;
    return entry.expiresAt - this.clock.now();
  }

  async listPush(key: string, ...values: string[]): Promise<number> {
    values.forEach((value) => checkStoreValueSize(key, value));
    const list = this.liveList(key, true)!;
    list.items.push(...values);
    return list.items.length;
  }

  async listShift(key: string): Promise<string | undefined> {
    const list = this.liveList(key, false);
    if (!list) return undefined;
    const head = list.items.shift();
    if (list.items.length === 0) this.entries.delete(key);
    return head;
  }

  async listRange(key: string, start: number, stop: number): Promise<string[]> {
    const items = this.liveList(key, false)?.items ?? [];
    const from = start < 0 ? Math.max(0, items.length + start) : start;
    const to = stop < 0 ? items.length + stop : Math.min(stop, items.length - 1);
    return to < from ? [] : items.slice(from, to + 1);
  }

  async listLength(key: string): Promise<number> {
    return this.liveList(key, false)?.items.length ?? 0;
  }

  async listRemove(key: string, value: string, count = 0): Promise<number> {
    const list = this.liveList(key, false);
    if (!list) return 0;
    let removed = 0;
    list.items = list.items.filter((item) => {
      if (item !== value || (count > 0 && removed >= count)) return true;
      removed += 1;
      return false;
    });
    if (list.items.length === 0) this.entries.delete(key);
    return removed;
  }

  async keys(prefix: string): Promise<string[]> {
    this.assertOpen();
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix) && this.live(key));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new WaError("store.closed", "The store has been closed");
  }

  private writeValue(key: string, value: string, options?: SetOptions): void {
    this.assertOpen();
    checkStoreValueSize(key, value);
    const ttlMs = options?.ttlMs ?? 0;
    this.entries.set(key, { kind: "value", value, expiresAt: ttlMs > 0 ? this.clock.now() + ttlMs : undefined });
  }

  private live(key: string): Entry | undefined {
    this.assertOpen();
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private liveList(key: string, create: boolean): { kind: "list"; items: string[] } | undefined {
    const entry = this.live(key);
    if (entry?.kind === "list") return entry;
    if (entry) throw new WaError("config.invalid", `Store key ${key} does not hold a list`, { key });
    if (!create) return undefined;
    const list: Entry = { kind: "list", items: [] };
    this.entries.set(key, list);
    return list;
  }
}
