/**
 * Two Node-RED processes behind a load balancer sharing one Redis: queue + lock throughput end to end
 * (HTTP in, Redis queue, Redis lock, a log line, release, ack), as a bigger installation runs it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { RedisStore } from "../src/core/store/redis-store";
import { REDIS_URL } from "../test/core/redis-available";
import { quantile } from "./stats";
import { loadBalancedFlow, postToIngest } from "../test/e2e/load-balanced";
import { RunningNodeRed, linkedUserDir, repoRoot, startNodeRed, waitFor } from "../test/e2e/runtime";

export const LB_MESSAGES = Number(process.env.BENCH_LB_MESSAGES ?? 5_000);
const LB_CHATS = Number(process.env.BENCH_LB_CHATS ?? 200);
const LB_CONCURRENT_POSTS = Number(process.env.BENCH_LB_CONCURRENCY ?? 32);

export async function deleteRedisKeys(keyPrefix: string): Promise<void> {
  const store = new RedisStore({ url: REDIS_URL, keyPrefix });
  for (const key of await store.keys("")) await store.delete(key);
  await store.close();
}

/** CPU seconds a process has used so far (Linux /proc, user + system); 0 where /proc is not there. */
export function cpuSeconds(pid: number): number {
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
  // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.length > 13 ? (Number(fields[11]) + Number(fields[12])) / 100 : 0;
}

async function redisServerPid(): Promise<number> {
  const client = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  try {
    return Number(/process_id:(\d+)/.exec(await client.info("server"))?.[1] ?? 0);
  } finally {
    client.disconnect();
  }
}

/** Peak resident memory of a process (Linux), in MB; 0 where /proc is not there. */
function peakRssMb(pid: number): number {
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, "utf8") : "";
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/**
 * How long a chat's next message, already waiting, waits once the message before it is done: from the log line of
 * one to the lock of the next (release, ack, the next delivery and lock between them), split by whether the next
 * one ran on the same instance or on the other.
 */
function chatHandovers(records: string[][], sentAt: Map<string, number>) {
  const byChat = new Map<string, { acquiredAt: number; writtenAt: number; instance: string; id: string }[]>();
  for (const [id, chatId, , acquiredAt, writtenAt, instance] of records) {
    const list = byChat.get(chatId) ?? [];
    list.push({ id, acquiredAt: Number(acquiredAt), writtenAt: Number(writtenAt), instance });
    byChat.set(chatId, list);
  }
  const same: number[] = [];
  const other: number[] = [];
  for (const list of byChat.values()) {
    list.sort((a, b) => a.acquiredAt - b.acquiredAt);
    for (let i = 1; i < list.length; i += 1) {
      const [previous, next] = [list[i - 1], list[i]];
      if (sentAt.get(next.id)! > previous.writtenAt) continue;
      (next.instance === previous.instance ? same : other).push(next.acquiredAt - previous.writtenAt);
    }
  }
  const summary = (gaps: number[]) => {
    const sorted = gaps.sort((a, b) => a - b);
    return { count: sorted.length, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: quantile(sorted, 1) };
  };
  return { sameInstance: summary(same), otherInstance: summary(other) };
}

/**
 * `saturate`: LB_CONCURRENT_POSTS senders post LB_MESSAGES as fast as they are answered, message i to instance i mod n.
 * `pairs`: at a light pace, two messages of one chat at the same moment, one to each instance (both to the one
 * instance when there is one): one of them waits for the other, and the handover shows what a freed chat waits.
 */
export type LoadBalancedMode = { kind: "saturate" } | { kind: "pairs"; pairs: number; pairsPerSecond: number };

export async function loadBalancedRun(instanceCount: 1 | 2, mode: LoadBalancedMode = { kind: "saturate" }) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string };
  const dir = mkdtempSync(join(tmpdir(), "wa-bench-lb-"));
  const keyPrefix = `wa-bench-lb-${randomUUID().slice(0, 8)}:`;
  const instances: RunningNodeRed[] = [];
  const total = mode.kind === "saturate" ? LB_MESSAGES : mode.pairs * 2;
  try {
    const logs = ["A", "B"].slice(0, instanceCount).map((name) => join(dir, `processed-${name}.log`));
    for (const [index, name] of ["A", "B"].slice(0, instanceCount).entries()) {
      const userDir = join(dir, `instance-${name}`);
      mkdirSync(userDir);
      linkedUserDir(userDir, pkg.name);
      writeFileSync(
        join(userDir, "flows.json"),
        JSON.stringify(loadBalancedFlow({ redisUrl: REDIS_URL, keyPrefix, logFile: logs[index] })),
      );
      instances.push(await startNodeRed(userDir, 60_000, { WA_INSTANCE: name }));
    }
    const redisPid = await redisServerPid();
    const cpuBefore = {
      instances: instances.map((instance) => cpuSeconds(instance.pid)),
      redis: cpuSeconds(redisPid),
      sender: process.cpuUsage(),
    };
    const sentAt = new Map<string, number>();
    const post = async (i: number, chatIndex: number, instance: RunningNodeRed) => {
      const chatId = `44770092${String(chatIndex % LB_CHATS).padStart(4, "0")}@c.us`;
      const id = `b${String(i).padStart(6, "0")}`;
      sentAt.set(id, Date.now());
      const status = await postToIngest(instance.url, id, chatId, `message ${i}`);
      if (status !== 202) throw new Error(`POST /ingest answered ${status}`);
    };
    const started = Date.now();
    if (mode.kind === "saturate") {
      let next = 0;
      const poster = async () => {
        while (next < total) {
          const i = next++;
          await post(i, i, instances[i % instanceCount]);
        }
      };
      await Promise.all(Array.from({ length: LB_CONCURRENT_POSTS }, poster));
    } else {
      const posts: Promise<void>[] = [];
      for (let pair = 0; pair < mode.pairs; pair += 1) {
        const dueAt = started + (pair * 1000) / mode.pairsPerSecond;
        if (dueAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueAt - Date.now()));
        posts.push(post(2 * pair, pair, instances[0]), post(2 * pair + 1, pair, instances[1 % instanceCount]));
      }
      await Promise.all(posts);
    }
    const count = () => logs.reduce((sum, file) => sum + lines(file).length, 0);
    await waitFor(() => count() >= total, 300_000, `${total} processed messages`);
    const seconds = (Date.now() - started) / 1000;
    const senderUsage = process.cpuUsage(cpuBefore.sender);
    // Where the machine's cores went: Node-RED, Redis and this process posting the messages share them.
    const coresUsed = {
      nodeRed: instances.reduce((sum, instance, i) => sum + cpuSeconds(instance.pid) - cpuBefore.instances[i], 0) / seconds,
      redis: (cpuSeconds(redisPid) - cpuBefore.redis) / seconds,
      sender: (senderUsage.user + senderUsage.system) / 1e6 / seconds,
    };
    const errors = logs.flatMap((file) => lines(`${file}.errors`));
    if (errors.length > 0) throw new Error(`pipeline errors in the load-balanced run: ${errors.slice(0, 3).join("; ")}`);
    const records = logs.flatMap((file) => lines(file).map((line) => line.split(" ")));
    if (new Set(records.map(([id]) => id)).size !== total || records.length !== total)
      throw new Error("a message was lost or processed twice");
    const latencies = records.map(([id, , , , writtenAt]) => Number(writtenAt) - sentAt.get(id)!).sort((a, b) => a - b);
    const processes = instanceCount === 2 ? "two Node-RED processes" : "one Node-RED process";
    return {
      scenario:
        mode.kind === "saturate"
          ? `${processes} sharing Redis (HTTP in, queue, lock, release, ack; ${LB_CHATS} chats, ${LB_CONCURRENT_POSTS} concurrent posts)`
          : `${processes} sharing Redis, two messages of a chat at once (${mode.pairsPerSecond} pairs/s)`,
      inFlight: mode.kind === "saturate" ? LB_CONCURRENT_POSTS : 2,
      messages: total,
      seconds,
      msgPerSec: total / seconds,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: latencies[latencies.length - 1],
      peakRssMb: Math.max(...instances.map((instance) => peakRssMb(instance.pid))),
      coresUsed,
      handover: chatHandovers(records, sentAt),
    };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    rmSync(dir, { recursive: true, force: true });
    await deleteRedisKeys(keyPrefix);
  }
}
