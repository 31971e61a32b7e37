import Redis, { RedisOptions } from "ioredis";
import { WaError } from "../errors";
import { checkStoreValueSize, SetOptions, Store } from "./store";

export interface RedisStoreOptions {
  /** redis:// or rediss:// (TLS) URL, e.g. redis://127.0.0.1:6379/0 */
  url: string;
  password?: string;
  username?: string;
  /** Force TLS even on a redis:// URL. */
  tls?: boolean;
  /** Prepended to every key, so several pipelines can share one Redis. */
  keyPrefix: string;
  /** How long a command may wait for a connection before it fails with store.disconnected. */
  commandTimeoutMs?: number;
}

// Swaps only when the current value is the expected one; a list under the key never matches.
const COMPARE_AND_SET = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'none' and kind ~= 'string' then return 0 end
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4])
end
return 1
`;

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/** The shared store for several Node-RED instances: every operation is one atomic Redis command or script. */
export class RedisStore implements Store {
  readonly kind = "redis";
  private readonly client: Redis;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.keyPrefix;
    const url = new URL(options.url);
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      throw new WaError("config.invalid", "The Redis URL must start with redis:// or rediss://", { field: "url" });
    }
    const redisOptions: RedisOptions = {
      lazyConnect: false,
      // Commands issued in one event-loop turn go to Redis in one write: many chats at once cost few round trips.
      enableAutoPipelining: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      // Reconnect for ever, backing off to 5 s: the store comes back when Redis does.
      retryStrategy: (attempt) => Math.min(5000, 100 * 2 ** Math.min(attempt, 6)),
    };
    if (options.password) redisOptions.password = options.password;
    if (options.username) redisOptions.username = options.username;
    if (options.tls || url.protocol === "rediss:") redisOptions.tls = { servername: url.hostname };
    this.client = new Redis(options.url, redisOptions);
    // ioredis reports connection problems as events; commands then fail and are mapped below.
    this.client.on("error", () => undefined);
    this.client.defineCommand("waCompareAndSet", { numberOfKeys: 1, lua: COMPARE_AND_SET });
  }

  /** Connection state: connecting, ready, reconnecting, end... */
  get status(): string {
    return this.client.status;
  }

  onStatus(listener: (status: string) => void): () => void {
    const events = ["ready", "close", "reconnecting", "end", "error"] as const;
    const handler = () => listener(this.client.status);
    events.forEach((event) => this.client.on(event, handler));
    return () => events.forEach((event) => this.client.off(event, handler));
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run(() => this.client.get(this.k(key)));
    return value ?? undefined;
  }

  async set(key: string, value: string, options?: SetOptions): Promise<void> {
    checkStoreValueSize(key, value);
    const ttl = options?.ttlMs ?? 0;
    await this.run(() => (ttl > 0 ? this.client.set(this.k(key), value, "PX", Math.ceil(ttl)) : this.client.set(this.k(key), value)));
  }

  async setIfAbsent(key: string, value: string, options?: SetOptions): Promise<boolean> {
    checkStoreValueSize(key, value);
    const ttl = options?.ttlMs ?? 0;
    const reply = await this.run(() =>
      ttl > 0 ? this.client.set(this.k(key), value, "PX", Math.ceil(ttl), "NX") : this.client.set(this.k(key), value, "NX"),
    );
    return reply === "OK";
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.del(this.k(key)))) > 0;
  }

  async compareAndSet(key: string, expected: string | undefined, next: string | undefined, options?: SetOptions): Promise<boolean> {
    if (next !== undefined) checkStoreValueSize(key, next);
    const args = [
      expected === undefined ? "0" : "1",
      expected ?? "",
      next === undefined ? "0" : "1",
      next ?? "",
      String(Math.ceil(options?.ttlMs ?? 0)),
    ];
    const client = this.client as Redis & { waCompareAndSet(key: string, ...args: string[]): Promise<number> };
    return (await this.run(() => client.waCompareAndSet(this.k(key), ...args))) === 1;
  }

  async increment(key: string, by = 1): Promise<number> {
    try {
      return await this.run(() => this.client.incrby(this.k(key), by));
    } catch (error) {
      if (/WRONGTYPE|not an integer/.test((error as Error).message)) {
        throw new WaError("config.invalid", `Store key ${key} does not hold a counter`, { key });
      }
      throw error;
    }
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const reply =
      ttlMs > 0
        ? await this.run(() => this.client.pexpire(this.k(key), Math.ceil(ttlMs)))
        : await this.run(() => this.client.persist(this.k(key)));
    return reply === 1 || (ttlMs <= 0 && (await this.run(() => this.client.exists(this.k(key)))) === 1);
  }

  async ttl(key: string): Promise<number | undefined> {
    const ms = await this.run(() => this.client.pttl(this.k(key)));
    return ms < 0 ? undefined : ms;
  }

  async listPush(key: string, ...values: string[]): Promise<number> {
    values.forEach((value) => checkStoreValueSize(key, value));
    return this.wrongType(key, "list", () => this.run(() => this.client.rpush(this.k(key), ...values)));
  }

  async listShift(key: string): Promise<string | undefined> {
    return (await this.wrongType(key, "list", () => this.run(() => this.client.lpop(this.k(key))))) ?? undefined;
  }

  async listRange(key: string, start: number, stop: number): Promise<string[]> {
    return this.wrongType(key, "list", () => this.run(() => this.client.lrange(this.k(key), start, stop)));
  }

  async listLength(key: string): Promise<number> {
    return this.wrongType(key, "list", () => this.run(() => this.client.llen(this.k(key))));
  }

  async listRemove(key: string, value: string, count = 0): Promise<number> {
    return this.wrongType(key, "list", () => this.run(() => this.client.lrem(this.k(key), count, value)));
  }

  async keys(prefix: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await this.run(() => this.client.scan(cursor, "MATCH", `${escapeGlob(this.k(prefix))}*`, "COUNT", 500));
      cursor = next;
      for (const key of batch) found.push(key.slice(this.prefix.length));
    } while (cursor !== "0");
    return [...new Set(found)];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private k(key: string): string {
    return `${this.prefix}${key}`;
  }

  private async wrongType<T>(key: string, expected: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (/WRONGTYPE/.test((error as Error).message)) {
        throw new WaError("config.invalid", `Store key ${key} does not hold a ${expected}`, { key });
      }
      throw error;
    }
  }

  /** Runs a command; connection failures become store.disconnected with the reason. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new WaError("store.closed", "The store has been closed");
    try {
      return await command();
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (/WRONGTYPE|not an integer|NOSCRIPT|ERR /.test(message)) throw error;
      throw new WaError(
        "store.disconnected",
        `Redis is not reachable (${message}); the store reconnects by itself`,
        { reason: message },
        { cause: error },
      );
    }
  }
}
