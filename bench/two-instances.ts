/**
 * Two Node-RED processes behind a load balancer sharing one Redis: queue + lock throughput end to end
 * (HTTP in, Redis queue, Redis lock, a log line, release, ack), as a bigger installation runs it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { RedisStore } from "../src/core/store/redis-store";
import { REDIS_URL } from "../test/core/redis-available";
import { loadBalancedFlow } from "../test/e2e/load-balanced";
import { RunningNodeRed, linkedUserDir, repoRoot, startNodeRed, waitFor } from "../test/e2e/runtime";

export const LB_MESSAGES = Number(process.env.BENCH_LB_MESSAGES ?? 5_000);
const LB_CHATS = Number(process.env.BENCH_LB_CHATS ?? 200);
const LB_CONCURRENT_POSTS = Number(process.env.BENCH_LB_CONCURRENCY ?? 32);

export async function deleteRedisKeys(keyPrefix: string): Promise<void> {
  const store = new RedisStore({ url: REDIS_URL, keyPrefix });
  for (const key of await store.keys("")) await store.delete(key);
  await store.close();
}

/** Peak resident memory of a process (Linux), in MB; 0 where /proc is not there. */
function peakRssMb(pid: number): number {
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, "utf8") : "";
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

export async function twoInstanceRun() {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string };
  const dir = mkdtempSync(join(tmpdir(), "wa-bench-lb-"));
  const keyPrefix = `wa-bench-lb-${randomUUID().slice(0, 8)}:`;
  const instances: RunningNodeRed[] = [];
  try {
    const logs = ["A", "B"].map((name) => join(dir, `processed-${name}.log`));
    for (const [index, name] of ["A", "B"].entries()) {
      const userDir = join(dir, `instance-${name}`);
      mkdirSync(userDir);
      linkedUserDir(userDir, pkg.name);
      writeFileSync(
        join(userDir, "flows.json"),
        JSON.stringify(loadBalancedFlow({ redisUrl: REDIS_URL, keyPrefix, logFile: logs[index] })),
      );
      instances.push(await startNodeRed(userDir, 60_000, { WA_INSTANCE: name }));
    }
    const sentAt = new Map<string, number>();
    let next = 0;
    const started = Date.now();
    const poster = async () => {
      while (next < LB_MESSAGES) {
        const i = next++;
        const chatId = `44770092${String(i % LB_CHATS).padStart(4, "0")}@c.us`;
        const id = `b${String(i).padStart(6, "0")}`;
        const envelope = {
          message: {
            id,
            chatId,
            from: chatId,
            body: `message ${i}`,
            type: "chat",
            timestamp: Date.now(),
            receivedAt: Date.now(),
            isGroup: false,
            fromMe: false,
            transport: "http",
          },
          trace: [],
        };
        sentAt.set(id, Date.now());
        const response = await fetch(`${instances[i % 2].url}/ingest`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(envelope),
        });
        if (response.status !== 202) throw new Error(`POST /ingest answered ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: LB_CONCURRENT_POSTS }, poster));
    const count = () => logs.reduce((sum, file) => sum + lines(file).length, 0);
    await waitFor(() => count() >= LB_MESSAGES, 300_000, `${LB_MESSAGES} processed messages`);
    const seconds = (Date.now() - started) / 1000;
    const errors = logs.flatMap((file) => lines(`${file}.errors`));
    if (errors.length > 0) throw new Error(`pipeline errors in the two-instance run: ${errors.slice(0, 3).join("; ")}`);
    const records = logs.flatMap((file) => lines(file).map((line) => line.split(" ")));
    if (new Set(records.map(([id]) => id)).size !== LB_MESSAGES || records.length !== LB_MESSAGES)
      throw new Error("a message was lost or processed twice");
    const latencies = records.map(([id, , , , writtenAt]) => Number(writtenAt) - sentAt.get(id)!).sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
    return {
      scenario: `two Node-RED processes sharing Redis (HTTP in, queue, lock, release, ack; ${LB_CHATS} chats, ${LB_CONCURRENT_POSTS} concurrent posts)`,
      inFlight: LB_CONCURRENT_POSTS,
      messages: LB_MESSAGES,
      seconds,
      msgPerSec: LB_MESSAGES / seconds,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: latencies[latencies.length - 1],
      peakRssMb: Math.max(...instances.map((instance) => peakRssMb(instance.pid))),
    };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    rmSync(dir, { recursive: true, force: true });
    await deleteRedisKeys(keyPrefix);
  }
}
