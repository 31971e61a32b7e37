import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisStore } from "../../src/core/store/redis-store";
import { REDIS_URL, redisReachable } from "../core/redis-available";
import { loadBalancedFlow, postToIngest } from "./load-balanced";
import { RunningNodeRed, linkedUserDir, repoRoot, startNodeRed, waitFor } from "./runtime";
import { requirePrerequisite } from "../support/prerequisite";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string };
const MESSAGES = 2000;
const CHATS = 50;

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

describe("two Node-RED instances behind a load balancer, sharing Redis", function () {
  this.timeout(240_000);
  let dir: string;
  const instances: RunningNodeRed[] = [];
  const keyPrefix = `wa-lb-${randomUUID().slice(0, 8)}:`;

  before(async function () {
    requirePrerequisite(this, await redisReachable(), `no Redis reachable at ${REDIS_URL}`);
    dir = mkdtempSync(join(tmpdir(), "wa-lb-"));
  });
  after(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (await redisReachable()) {
      const store = new RedisStore({ url: REDIS_URL, keyPrefix });
      for (const key of await store.keys("")) await store.delete(key);
      await store.close();
    }
  });

  it(`processes ${MESSAGES} messages over ${CHATS} chats exactly once, in order per chat, one lock holder at a time`, async () => {
    const logs = ["A", "B"].map((name) => join(dir, `processed-${name}.log`));
    for (const [index, name] of ["A", "B"].entries()) {
      const userDir = join(dir, `instance-${name}`);
      mkdirSync(userDir);
      linkedUserDir(userDir, pkg.name);
      writeFileSync(
        join(userDir, "flows.json"),
        JSON.stringify(loadBalancedFlow({ redisUrl: REDIS_URL, logFile: logs[index], keyPrefix, workMs: [1, 5] })),
      );
      instances.push(await startNodeRed(userDir, 60_000, { WA_INSTANCE: name }));
    }

    // The load balancer: each message to one instance at random, in stream order.
    let seed = 42;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const started = Date.now();
    const ingest = async (id: string, chatId: string, target: RunningNodeRed) =>
      assert.equal(await postToIngest(target.url, id, chatId, `message ${id}`), 202);
    const chatOf = (i: number) => `44770091${String(i % CHATS).padStart(4, "0")}@c.us`;
    for (let i = 0; i < MESSAGES; i += 1) await ingest(`m${String(i).padStart(5, "0")}`, chatOf(i), instances[random() < 0.5 ? 0 : 1]);
    await waitFor(() => logs.reduce((sum, file) => sum + lines(file).length, 0) >= MESSAGES, 180_000, `${MESSAGES} processed messages`);
    const seconds = (Date.now() - started) / 1000;
    // One last message per chat: each chat's messages are processed in order, so once every marker is
    // logged nothing sent before it (a second processing included) can still come.
    for (let chat = 0; chat < CHATS; chat += 1) await ingest(`z-marker-${chat}`, chatOf(chat), instances[chat % 2]);
    const markers = () => logs.flatMap((file) => lines(file)).filter((line) => line.startsWith("z-marker-")).length;
    await waitFor(() => markers() >= CHATS, 60_000, "a marker processed in every chat");

    const records = logs.flatMap((file) =>
      lines(file)
        .filter((line) => !line.startsWith("z-marker-"))
        .map((line) => {
          const [id, chatId, token, acquiredAt, writtenAt, instance] = line.split(" ");
          return { id, chatId, token: Number(token), acquiredAt: Number(acquiredAt), writtenAt: Number(writtenAt), instance };
        }),
    );
    assert.deepEqual(lines(`${logs[0]}.errors`).concat(lines(`${logs[1]}.errors`)), [], "no pipeline errors");
    assert.equal(records.length, MESSAGES, "nothing processed twice");
    assert.equal(new Set(records.map((r) => r.id)).size, MESSAGES, "every message processed exactly once");
    const byInstance = { A: records.filter((r) => r.instance === "A").length, B: records.filter((r) => r.instance === "B").length };
    assert.ok(byInstance.A > 0 && byInstance.B > 0, `both instances worked: ${JSON.stringify(byInstance)}`);

    for (let chat = 0; chat < CHATS; chat += 1) {
      const chatId = `44770091${String(chat).padStart(4, "0")}@c.us`;
      const held = records.filter((r) => r.chatId === chatId).sort((a, b) => a.token - b.token);
      assert.equal(new Set(held.map((r) => r.token)).size, held.length, `${chatId}: every grant has its own token`);
      assert.deepEqual(
        held.map((r) => r.id),
        held.map((r) => r.id).sort(),
        `${chatId}: processed in the order sent`,
      );
      for (let k = 1; k < held.length; k += 1) {
        assert.ok(
          held[k].acquiredAt >= held[k - 1].writtenAt,
          `${chatId}: token ${held[k].token} was granted before token ${held[k - 1].token} finished`,
        );
      }
    }
    console.log(
      `      ${MESSAGES} messages in ${seconds.toFixed(1)} s (${(MESSAGES / seconds).toFixed(0)} msg/s end to end); instance A ${byInstance.A}, B ${byInstance.B}`,
    );
  });
});
