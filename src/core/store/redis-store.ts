import { isIP } from "node:net";
import Redis, { Cluster, ClusterOptions, RedisOptions } from "ioredis";
import { WaError, invalidSetting } from "../errors";
import { checkStoreValueSize, SetOptions, Store } from "./store";

export interface RedisAddress {
  host: string;
  port: number;
}

/** One Redis, a primary found through Sentinels (with failover), or a Redis Cluster. */
export type RedisTopology =
  | { kind: "single"; url: string }
  | { kind: "sentinel"; sentinels: RedisAddress[]; primaryName: string; sentinelPassword?: string }
  | { kind: "cluster"; seeds: RedisAddress[] };

export interface RedisStoreOptions {
  /** redis:// or rediss:// (TLS) URL, e.g. redis://127.0.0.1:6379/0; for one Redis when no topology is given. */
  url?: string;
  topology?: RedisTopology;
  password?: string;
  username?: string;
  /** Force TLS even on a redis:// URL; with Sentinel and Cluster, TLS to every server (and sentinel). */
  tls?: boolean;
  /** PEM certificate(s) of the authority that signed the servers' certificates, when not a public one. */
  tlsCa?: string;
  /** Prepended to every key, so several pipelines can share one Redis. */
  keyPrefix: string;
  /** How long a command may wait for a connection before it fails with store.disconnected. */
  commandTimeoutMs?: number;
  /**
   * Replicas that must confirm a message's writes before a queue accepts it (Redis WAIT), so a
   * failover right after cannot lose it; 0 does not wait. Costs a round trip per accepted message.
   */
  waitReplicas?: number;
  /** How long to wait for them before the message is reported as not confirmed. */
  waitTimeoutMs?: number;
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

const REPLICA_COUNT_TTL_MS = 1000;

function parseRedisUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidSetting("url", "redisUrl", "The Redis URL must start with redis:// or rediss://");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw invalidSetting("url", "redisUrl", "The Redis URL must start with redis:// or rediss://");
  }
  return url;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

const ADDRESS = /^\s*(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})\s*$/;

/** "host:port, host:port" (spaces or commas between) as addresses; refuses anything else, naming the field. */
export function parseRedisAddresses(text: string, field: string): RedisAddress[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const addresses = parts.map((part) => {
    const match = ADDRESS.exec(part);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535)
      throw invalidSetting(field, "notHostPort", `"${part.slice(0, 80)}" is not host:port`, { value: part.slice(0, 80) });
    return { host: match[1].replace(/^\[|\]$/g, ""), port };
  });
  if (addresses.length === 0) throw invalidSetting(field, "noHostPort", "At least one host:port is needed");
  return addresses;
}

/**
 * The shared store for several Node-RED instances: every operation is one atomic Redis command or
 * a script on one key, so each stays atomic on a Redis Cluster too (no operation spans hash slots).
 */
export class RedisStore implements Store {
  readonly kind = "redis";
  readonly topology: RedisTopology["kind"];
  private readonly client: Redis | Cluster;
  private readonly prefix: string;
  private closed = false;
  private lastConnectionError: string | undefined;
  private readonly replicaCounts = new WeakMap<Redis, { count: number; at: number }>();

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.keyPrefix;
    const topology: RedisTopology = options.topology ?? { kind: "single", url: options.url ?? "" };
    this.topology = topology.kind;
    const redisOptions: RedisOptions = {
      lazyConnect: false,
      // Commands issued in one event-loop turn go to Redis in one write: many chats at once cost few round trips.
      enableAutoPipelining: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      // Reconnect for ever, backing off to 5 s: the store comes back when Redis does.
      retryStrategy: (attempt) => Math.min(5000, 100 * 2 ** Math.min(attempt, 6)),
      // A primary demoted by a failover answers writes with READONLY: reconnect (Sentinel names the new one) and retry.
      reconnectOnError: (error) => (/READONLY/.test(error.message) ? 2 : false),
    };
    if (options.password) redisOptions.password = options.password;
    if (options.username) redisOptions.username = options.username;
    const tls = (servername?: string) => ({ ...(servername ? { servername } : {}), ...(options.tlsCa ? { ca: options.tlsCa } : {}) });
    if (topology.kind === "single") {
      const url = parseRedisUrl(topology.url);
      // A certificate names an IP address in its subjectAltName, not as a TLS server name (RFC 6066).
      if (options.tls || url.protocol === "rediss:") redisOptions.tls = tls(isIP(url.hostname) ? undefined : url.hostname);
      this.client = new Redis(topology.url, redisOptions);
    } else if (topology.kind === "sentinel") {
      if (options.tls) redisOptions.tls = tls();
      this.client = new Redis({
        ...redisOptions,
        sentinels: topology.sentinels,
        name: topology.primaryName,
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
        ...(options.tls ? { sentinelTLS: tls(), enableTLSForSentinelMode: true } : {}),
        // Sentinel announces a failover at once; without this the store learns it only when the old primary fails.
        failoverDetector: true,
        sentinelRetryStrategy: (attempt) => Math.min(5000, 100 * 2 ** Math.min(attempt, 6)),
      });
    } else {
      const { retryStrategy, ...perNode } = redisOptions;
      if (options.tls) perNode.tls = tls();
      const clusterOptions: ClusterOptions = {
        redisOptions: perNode,
        enableAutoPipelining: true,
        enableOfflineQueue: true,
        maxRedirections: 16,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        clusterRetryStrategy: retryStrategy,
        // Addresses the nodes announce are used as they are (loopback, or the names a managed service gives).
        slotsRefreshTimeout: 2000,
      };
      this.client = new Cluster(topology.seeds, clusterOptions);
    }
    // ioredis reports connection problems as events; commands then fail and are mapped below, with the last one's reason.
    this.client.on("error", (error: Error) => (this.lastConnectionError = error.message));
    this.client.on("ready", () => (this.lastConnectionError = undefined));
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
    // A cluster's keys are spread over its primaries: each is scanned.
    const servers = this.client instanceof Cluster ? await this.run(async () => this.clusterPrimaries()) : [this.client];
    for (const server of servers) {
      let cursor = "0";
      do {
        const [next, batch] = await this.run(() => server.scan(cursor, "MATCH", `${escapeGlob(this.k(prefix))}*`, "COUNT", 500));
        cursor = next;
        for (const key of batch) found.push(key.slice(this.prefix.length));
      } while (cursor !== "0");
    }
    return [...new Set(found)];
  }

  private clusterPrimaries(): Redis[] {
    const cluster = this.client as Cluster;
    const primaries = cluster.nodes("master");
    if (primaries.length === 0) throw new Error("the cluster has no reachable primary yet");
    return primaries;
  }

  async replicated(): Promise<void> {
    const wanted = this.options.waitReplicas ?? 0;
    if (wanted <= 0) return;
    const timeoutMs = this.options.waitTimeoutMs ?? 500;
    // WAIT counts the writes made on its own connection: on a cluster each primary's connection is asked.
    const servers = this.client instanceof Cluster ? await this.run(async () => this.clusterPrimaries()) : [this.client];
    const confirmed = await Promise.all(
      servers.map(async (server) => {
        // WAIT holds its connection, and every command queued behind it, for the whole timeout when too few
        // replicas are connected (right after a failover): then say so at once instead.
        const connected = await this.connectedReplicas(server);
        return connected < wanted ? connected : this.run(() => server.wait(wanted, timeoutMs));
      }),
    );
    const fewest = Math.min(...confirmed);
    if (fewest < wanted)
      throw new WaError(
        "store.notReplicated",
        `Stored on the Redis primary, but only ${fewest} of the ${wanted} replicas asked for have it (waited up to ${timeoutMs} ms): a failover now could lose it`,
        { confirmed: fewest, wanted, timeoutMs },
      );
  }

  /** Replicas connected to a primary (ROLE), asked at most once a second. */
  private async connectedReplicas(server: Redis): Promise<number> {
    const known = this.replicaCounts.get(server);
    if (known && Date.now() - known.at < REPLICA_COUNT_TTL_MS) return known.count;
    const role = (await this.run(() => server.call("ROLE"))) as [string, number, unknown[]?];
    const count = role[0] === "master" && Array.isArray(role[2]) ? role[2].length : 0;
    this.replicaCounts.set(server, { count, at: Date.now() });
    return count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      // Gone already: disconnect below is all there is to do.
    }
    // QUIT ends the connection but not ioredis' failover detector (its subscriptions to every sentinel),
    // which would otherwise stay open, and reconnect forever once the sentinels are gone; disconnect ends it.
    this.client.disconnect();
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
      // "max retries per request" says nothing a person can act on; the connection's own error does (a refused port, a certificate).
      const reason = this.lastConnectionError && this.lastConnectionError !== message ? `${this.lastConnectionError}; ${message}` : message;
      throw new WaError(
        "store.disconnected",
        `Redis is not reachable (${reason}); the store reconnects by itself`,
        { reason },
        { cause: error },
      );
    }
  }
}
