import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import type { RedisTopology } from "../../src/core/store/redis-store";

/**
 * Real Redis set-ups on loopback ports, started from the redis-server binary for the tests:
 * a Sentinel set (one primary, one replica, three sentinels) and a Cluster (three primaries).
 */

export function redisServerInstalled(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

const running = new Set<ChildProcess>();
process.on("exit", () => running.forEach((child) => child.kill("SIGKILL")));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();
/** A loopback port nobody listens on; with `bus`, port + 10000 too (a cluster node's bus). */
async function freePort(bus = false): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if (taken.has(port) || (bus && taken.has(port + 10_000))) continue;
    if ((await portFree(port)) && (!bus || (await portFree(port + 10_000)))) {
      taken.add(port);
      if (bus) taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error("no free loopback port found");
}

export class RedisProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly logFile: string,
  ) {}

  /** `extraArgs` for this start only, e.g. a returning primary started as the new primary's replica. */
  start(extraArgs: string[] = []): void {
    const child = spawn("redis-server", [...this.args, ...extraArgs], { stdio: "ignore" });
    running.add(child);
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    void this.exited.then(() => running.delete(child));
    this.child = child;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGSTOP freezes the server (connections stay open, nothing is answered), SIGCONT lets it go on. */
  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    if (this.alive) this.child!.kill(signal);
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.alive) return;
    this.child!.kill(signal);
    await this.exited;
  }

  logTail(lines = 15): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n") : "(no log)";
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, logs: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ""}\n${logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs one command on one server with a short-lived connection. */
export async function askServer(port: number, password: string | undefined, ...command: string[]): Promise<unknown> {
  const client = new Redis({ host: "127.0.0.1", port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await client.call(command[0], ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

function serverArgs(dir: string, port: number, password: string, extra: string[]): string[] {
  const auth = password === "" ? [] : ["--requirepass", password, "--masterauth", password];
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--logfile",
    join(dir, `redis-${port}.log`),
    ...auth,
    ...extra,
  ];
}

export interface SentinelSet {
  primaryName: string;
  password: string;
  sentinelPassword: string;
  primary: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  sentinelAddresses: { host: string; port: number }[];
  /** The port Sentinel now names as primary. */
  currentPrimaryPort(): Promise<number>;
  /** The last lines of every server's and sentinel's log, for a failure message. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), "wa-sentinel-"));
  const password = "primary-secret";
  const sentinelPassword = "sentinel-secret";
  const primaryName = "wapipe-primary";
  const primaryPort = await freePort();
  const replicaPort = await freePort();
  const primary = new RedisProcess(primaryPort, serverArgs(dir, primaryPort, password, []), join(dir, `redis-${primaryPort}.log`));
  const replica = new RedisProcess(
    replicaPort,
    serverArgs(dir, replicaPort, password, ["--replicaof", "127.0.0.1", String(primaryPort)]),
    join(dir, `redis-${replicaPort}.log`),
  );
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i += 1) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `logfile ${join(dir, `sentinel-${port}.log`)}`,
        `requirepass ${sentinelPassword}`,
        `sentinel sentinel-pass ${sentinelPassword}`,
        `sentinel monitor ${primaryName} 127.0.0.1 ${primaryPort} 2`,
        `sentinel auth-pass ${primaryName} ${password}`,
        `sentinel down-after-milliseconds ${primaryName} 1000`,
        `sentinel failover-timeout ${primaryName} 4000`,
        `sentinel parallel-syncs ${primaryName} 1`,
        "",
      ].join("\n"),
    );
    sentinels.push(new RedisProcess(port, [conf, "--sentinel"], join(dir, `sentinel-${port}.log`)));
  }
  const all = [primary, replica, ...sentinels];
  const logs = (lines = 15) => all.map((p) => `--- ${p.port}\n${p.logTail(lines)}`).join("\n");
  all.forEach((p) => p.start());
  const set: SentinelSet = {
    primaryName,
    password,
    sentinelPassword,
    primary,
    replica,
    sentinels,
    sentinelAddresses: sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
    currentPrimaryPort: async () => {
      for (const sentinel of sentinels) {
        if (!sentinel.alive) continue;
        const answer = (await askServer(sentinel.port, sentinelPassword, "SENTINEL", "get-master-addr-by-name", primaryName)) as string[];
        return Number(answer[1]);
      }
      throw new Error("no sentinel is running");
    },
    logs,
    stop: async () => {
      await Promise.all(all.map((p) => p.kill("SIGKILL")));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await until(
      "the replica to follow the primary",
      async () => (/master_link_status:up/.test(String(await askServer(replicaPort, password, "INFO", "replication"))) ? true : undefined),
      20_000,
      logs,
    );
    // The replica says its link is up before the primary counts it online (on its first acknowledgement); until then
    // the primary's ROLE lists no replica, and a store that asks for one confirmation reports store.notReplicated.
    await until(
      "the primary to count the replica online",
      async () =>
        /slave0:[^\r\n]*state=online/.test(String(await askServer(primaryPort, password, "INFO", "replication"))) ? true : undefined,
      20_000,
      logs,
    );
    // Failover needs every sentinel to know the replica and the two other sentinels (they meet every 2 s).
    for (const sentinel of sentinels)
      await until(
        `sentinel ${sentinel.port} to know the replica and the other sentinels`,
        async () => {
          const replicas = (await askServer(sentinel.port, sentinelPassword, "SENTINEL", "replicas", primaryName)) as unknown[];
          const others = (await askServer(sentinel.port, sentinelPassword, "SENTINEL", "sentinels", primaryName)) as unknown[];
          return replicas.length === 1 && others.length === 2 ? true : undefined;
        },
        30_000,
        logs,
      );
  } catch (error) {
    await set.stop();
    throw error;
  }
  return set;
}

/** A store's settings for the set (without a key prefix). */
export function sentinelStoreOptions(set: SentinelSet): { topology: RedisTopology; password: string } {
  return {
    topology: { kind: "sentinel", sentinels: set.sentinelAddresses, primaryName: set.primaryName, sentinelPassword: set.sentinelPassword },
    password: set.password,
  };
}

/** Replication is asynchronous: waits (up to 5 s) until the replica holds `key`, so a kill of the primary cannot lose it. */
export async function untilReplicaHas(set: SentinelSet, key: string): Promise<void> {
  const replica = new Redis({ host: "127.0.0.1", port: set.replica.port, password: set.password });
  try {
    const deadline = Date.now() + 5000;
    while ((await replica.exists(key)) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    replica.disconnect();
  }
}

export interface ClusterSet {
  password: string;
  nodes: RedisProcess[];
  seeds: { host: string; port: number }[];
  stop(): Promise<void>;
}

/** A cluster of `primaries` primaries; `password` "" for none (a flow file can then name it without credentials). */
export async function startCluster(primaries = 3, password = "cluster-secret"): Promise<ClusterSet> {
  const dir = mkdtempSync(join(tmpdir(), "wa-cluster-"));
  const nodes: RedisProcess[] = [];
  for (let i = 0; i < primaries; i += 1) {
    const port = await freePort(true);
    nodes.push(
      new RedisProcess(
        port,
        serverArgs(dir, port, password, [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout",
          "2000",
        ]),
        join(dir, `redis-${port}.log`),
      ),
    );
  }
  const logs = () => nodes.map((p) => `--- ${p.port}\n${p.logTail()}`).join("\n");
  nodes.forEach((node) => node.start());
  const set: ClusterSet = {
    password,
    nodes,
    seeds: nodes.map((node) => ({ host: "127.0.0.1", port: node.port })),
    stop: async () => {
      await Promise.all(nodes.map((p) => p.kill("SIGKILL")));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const node of nodes) await until(`redis ${node.port} to answer`, async () => askServer(node.port, password, "PING"), 10_000, logs);
    const created = spawnSync(
      "redis-cli",
      [
        ...(password === "" ? [] : ["-a", password, "--no-auth-warning"]),
        "--cluster",
        "create",
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}\n${created.stderr}`);
    for (const node of nodes)
      await until(
        `cluster node ${node.port} to see the cluster ok`,
        async () => (/cluster_state:ok/.test(String(await askServer(node.port, password, "CLUSTER", "INFO"))) ? true : undefined),
        20_000,
        logs,
      );
  } catch (error) {
    await set.stop();
    throw error;
  }
  return set;
}

export interface TlsRedis {
  port: number;
  /** Where the authority's certificate is, and its PEM text. */
  caFile: string;
  ca: string;
  stop(): Promise<void>;
}

/** One Redis that speaks only TLS, its certificate (for 127.0.0.1) signed by an authority made for the test. */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), "wa-redis-tls-"));
  const openssl = (...args: string[]) => {
    const made = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (made.status !== 0) throw new Error(`openssl ${args[0]} failed: ${made.stderr}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=wapipe test authority");
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  const port = await freePort();
  const server = new RedisProcess(
    port,
    [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--dir",
      dir,
      "--logfile",
      join(dir, "redis.log"),
      "--tls-cert-file",
      join(dir, "server.crt"),
      "--tls-key-file",
      join(dir, "server.key"),
      "--tls-ca-cert-file",
      join(dir, "ca.crt"),
      "--tls-auth-clients",
      "no",
    ],
    join(dir, "redis.log"),
  );
  server.start();
  const ca = readFileSync(join(dir, "ca.crt"), "utf8");
  const stop = async () => {
    await server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      "the TLS Redis to answer",
      async () => {
        const client = new Redis({
          host: "127.0.0.1",
          port,
          tls: { ca },
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        client.on("error", () => undefined);
        try {
          await client.connect();
          return await client.ping();
        } finally {
          client.disconnect();
        }
      },
      10_000,
      () => server.logTail(),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, caFile: join(dir, "ca.crt"), ca, stop };
}
