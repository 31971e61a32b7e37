/**
 * The scaling curve: 1, 2, 3 and 4 Node-RED processes behind a load balancer sharing one Redis, and the same on a
 * Redis Cluster of 3 primaries, each under the same offered load (HTTP in, Redis queue, Redis lock, a log line,
 * release, ack). Reports what each kept up with, the cores Node-RED, Redis and the sender used, and what one
 * message costs Redis (commands and bytes), so the curve can be carried over to a bigger machine.
 * Writes bench/results/scaling.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { REDIS_URL } from "../test/core/redis-available";
import { loadBalancedFlow, postToIngest } from "../test/e2e/load-balanced";
import { RunningNodeRed, linkedUserDir, repoRoot, startNodeRed, waitFor } from "../test/e2e/runtime";
import { ClusterSet, redisServerInstalled, startCluster } from "../test/support/redis-servers";
import { provenance } from "./provenance";
import { quantile } from "./stats";
import { cpuSeconds, deleteRedisKeys, lines } from "./two-instances";

const RATE = Number(process.env.SCALING_RATE ?? 500);
const SECONDS = Number(process.env.SCALING_SECONDS ?? 15);
const CHATS = Number(process.env.SCALING_CHATS ?? 500);
const INSTANCES = [1, 2, 3, 4];

interface RedisServer {
  host: string;
  port: number;
}

interface RedisCounters {
  commands: number;
  bytesIn: number;
  bytesOut: number;
  cpu: number;
}

/** Commands run, bytes in and out, and CPU seconds, summed over the servers (INFO and /proc). */
async function redisCounters(servers: RedisServer[]): Promise<RedisCounters> {
  const total: RedisCounters = { commands: 0, bytesIn: 0, bytesOut: 0, cpu: 0 };
  for (const server of servers) {
    const client = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1 });
    try {
      const info = await client.info("all");
      const number = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
      for (const match of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total.commands += Number(match[1]);
      total.bytesIn += number("total_net_input_bytes");
      total.bytesOut += number("total_net_output_bytes");
      total.cpu += cpuSeconds(number("process_id"));
    } finally {
      client.disconnect();
    }
  }
  return total;
}

async function offeredLoadRun(instanceCount: number, servers: RedisServer[], store: Record<string, unknown> | undefined) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string };
  const dir = mkdtempSync(join(tmpdir(), "wa-bench-scale-"));
  const keyPrefix = `wa-bench-scale-${randomUUID().slice(0, 8)}:`;
  const instances: RunningNodeRed[] = [];
  const total = RATE * SECONDS;
  try {
    const logs = Array.from({ length: instanceCount }, (_, i) => join(dir, `processed-${i}.log`));
    for (let i = 0; i < instanceCount; i += 1) {
      const userDir = join(dir, `instance-${i}`);
      mkdirSync(userDir);
      linkedUserDir(userDir, pkg.name);
      writeFileSync(
        join(userDir, "flows.json"),
        JSON.stringify(loadBalancedFlow({ redisUrl: REDIS_URL, keyPrefix, logFile: logs[i], store })),
      );
      instances.push(await startNodeRed(userDir, 60_000, { WA_INSTANCE: String(i) }));
    }
    const before = {
      redis: await redisCounters(servers),
      instances: instances.map((instance) => cpuSeconds(instance.pid)),
      sender: process.cpuUsage(),
    };
    const sentAt = new Map<string, number>();
    const posts: Promise<void>[] = [];
    let refused = 0;
    const started = Date.now();
    for (let i = 0; i < total; i += 1) {
      const dueAt = started + (i * 1000) / RATE;
      if (dueAt > Date.now() + 2) await new Promise((resolve) => setTimeout(resolve, dueAt - Date.now()));
      const id = `s${String(i).padStart(7, "0")}`;
      const chatId = `44770093${String(i % CHATS).padStart(4, "0")}@c.us`;
      sentAt.set(id, Date.now());
      posts.push(
        postToIngest(instances[i % instanceCount].url, id, chatId, `message ${i}`).then(
          (status) => void (status === 202 || (refused += 1)),
          () => void (refused += 1),
        ),
      );
    }
    await Promise.all(posts);
    const offeredSeconds = (Date.now() - started) / 1000;
    const count = () => logs.reduce((sum, file) => sum + lines(file).length, 0);
    await waitFor(() => count() >= total - refused, 600_000, `${total} processed messages`);
    const seconds = (Date.now() - started) / 1000;
    const after = await redisCounters(servers);
    const sender = process.cpuUsage(before.sender);
    const records = logs.flatMap((file) => lines(file).map((line) => line.split(" ")));
    if (new Set(records.map(([id]) => id)).size !== records.length) throw new Error("a message was processed twice");
    const latencies = records.map(([id, , , , writtenAt]) => Number(writtenAt) - sentAt.get(id)!).sort((a, b) => a - b);
    const processed = records.length;
    return {
      instances: instanceCount,
      offeredPerSec: RATE,
      offeredSeconds: Math.round(offeredSeconds * 10) / 10,
      processed,
      refused,
      msgPerSec: Math.round(processed / seconds),
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: latencies[latencies.length - 1],
      // Kept up: everything done within a second of the last post, and p99 under a second.
      keptUp: refused === 0 && seconds - offeredSeconds <= 1 && quantile(latencies, 0.99) < 1000,
      coresUsed: {
        nodeRed:
          Math.round((instances.reduce((sum, instance, i) => sum + cpuSeconds(instance.pid) - before.instances[i], 0) / seconds) * 100) /
          100,
        redis: Math.round(((after.cpu - before.redis.cpu) / seconds) * 100) / 100,
        sender: Math.round(((sender.user + sender.system) / 1e6 / seconds) * 100) / 100,
      },
      perMessage: {
        redisCommands: Math.round(((after.commands - before.redis.commands) / processed) * 10) / 10,
        bytesToRedis: Math.round((after.bytesIn - before.redis.bytesIn) / processed),
        bytesFromRedis: Math.round((after.bytesOut - before.redis.bytesOut) / processed),
        redisCpuMicroseconds: Math.round(((after.cpu - before.redis.cpu) / processed) * 1e6),
      },
    };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    rmSync(dir, { recursive: true, force: true });
    if (!store) await deleteRedisKeys(keyPrefix);
  }
}

async function main(): Promise<void> {
  const url = new URL(REDIS_URL);
  const single = [{ host: url.hostname, port: Number(url.port || 6379) }];
  const curves: Record<string, unknown[]> = { redis: [], cluster: [] };
  for (const n of INSTANCES) {
    console.log(`one Redis, ${n} Node-RED process(es), ${RATE} msg/s offered for ${SECONDS} s over ${CHATS} chats`);
    const run = await offeredLoadRun(n, single, undefined);
    console.log(JSON.stringify(run));
    curves.redis.push(run);
  }
  if (!redisServerInstalled()) throw new Error("redis-server is not installed: the cluster curve needs it");
  let cluster: ClusterSet | undefined;
  try {
    cluster = await startCluster(3, "");
    const store = { backend: "redis-cluster", clusterNodes: cluster.seeds.map((seed) => `${seed.host}:${seed.port}`).join(",") };
    for (const n of INSTANCES) {
      console.log(`Redis Cluster of 3 primaries, ${n} Node-RED process(es), ${RATE} msg/s offered`);
      const run = await offeredLoadRun(n, cluster.seeds, store);
      console.log(JSON.stringify(run));
      curves.cluster.push(run);
    }
  } finally {
    await cluster?.stop();
  }
  const result = { ...provenance(), command: "npm run bench", rate: RATE, seconds: SECONDS, chats: CHATS, curves };
  mkdirSync(join(__dirname, "results"), { recursive: true });
  writeFileSync(join(__dirname, "results", "scaling.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("written to bench/results/scaling.json");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
