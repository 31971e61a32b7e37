import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runRedisFailover } from "../test/support/redis-failover";
import { provenance } from "./provenance";

// kill -9 of the Redis primary in the middle of a stream through queue, lock and Sheets write on Redis Sentinel
// (1 primary, 1 replica, 3 sentinels started from redis-server), in a real Node-RED: with one replica to confirm
// each accepted message and without. Writes bench/results/failover.json.

async function main(): Promise<void> {
  const messages = Number(process.env.FAILOVER_MESSAGES ?? 1200);
  const rate = Number(process.env.FAILOVER_RATE ?? 40);
  const runs = [];
  for (const waitReplicas of [1, 0]) {
    console.log(
      `failover: ${messages} messages at ${rate}/s over 40 chats, primary killed after 200 rows, ${waitReplicas} replica(s) to confirm`,
    );
    const result = await runRedisFailover({ waitReplicas, messages, chats: 40, rate, killAfterRows: 200, timeoutMs: 300_000 });
    console.log(JSON.stringify(result));
    runs.push(result);
  }
  const result = { ...provenance(), command: "npm run bench", messages, rate, runs };
  mkdirSync(join(__dirname, "results"), { recursive: true });
  writeFileSync(join(__dirname, "results", "failover.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("written to bench/results/failover.json");
  if (runs.some((run) => run.duplicateRows > 0) || runs[0].lost > 0) {
    console.error("a failover wrote a row twice, or lost a message confirmed by a replica: see the figures above");
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
