import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lockNode from "../../src/nodes/wa-session-lock";
import storeNode from "../../src/nodes/wa-store";
import { RedisStore } from "../../src/core/store/redis-store";
import { REDIS_URL, redisReachable } from "../core/redis-available";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness } from "./harness";
import { requirePrerequisite } from "../support/prerequisite";

const nodes = [storeNode, lockNode];

describe("wa-store config node with the lock", () => {
  useNodeHarness();
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "wa-store-node-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function flow(store: Record<string, unknown>) {
    return inTab([
      { id: "st1", type: "wa-store", ...store },
      {
        id: "lock1",
        type: "wa-session-lock",
        store: "st1",
        mode: "acquire",
        lockName: "default",
        key: "wa.message.chatId",
        ttl: 30,
        wait: 10,
        onTimeout: "output",
        wires: [["locked"], ["busy"]],
      },
      { id: "unlock1", type: "wa-session-lock", store: "st1", mode: "release", lockName: "default", wires: [["released"]] },
      helperNode("locked"),
      helperNode("busy"),
      helperNode("released"),
      catchNode(),
      helperNode("errors"),
    ]);
  }

  async function lockReleaseLock(): Promise<number[]> {
    const locked = collect("locked");
    getNode("lock1").receive(envelope("447700900123@c.us", "one"));
    getNode("lock1").receive(envelope("447700900123@c.us", "two"));
    // Real stores answer in real time (Redis over a socket): wait with a deadline, not by spinning.
    await untilReal(() => locked.length === 1, 5000);
    getNode("unlock1").receive(locked[0]);
    await untilReal(() => locked.length === 2, 5000);
    return locked.map((m) => (m.wa as { session: { lock: { token: number } } }).session.lock.token);
  }

  it("keeps locks in an embedded file (SQLite) under the user directory", async () => {
    helper.settings({ userDir: dir });
    await helper.load(nodes, flow({ backend: "sqlite", file: "pipeline/locks.db", synchronous: "NORMAL" }));
    const tokens = await lockReleaseLock();
    assert.equal(tokens[1], tokens[0] + 1);
  });

  it("keeps locks in Redis, with the password from the credentials", async function () {
    requirePrerequisite(this, await redisReachable(), `no Redis reachable at ${REDIS_URL}`);
    const keyPrefix = `wa-node-test-${randomUUID().slice(0, 8)}:`;
    await helper.load(nodes, flow({ backend: "redis", url: REDIS_URL, keyPrefix }), { st1: { password: "" } });
    const tokens = await lockReleaseLock();
    assert.equal(tokens[1], tokens[0] + 1);
    await helper.unload();
    const cleaner = new RedisStore({ url: REDIS_URL, keyPrefix });
    const left = await cleaner.keys("");
    assert.ok(
      left.every((key) => key.startsWith("wa:lock")),
      `only lock keys remain: ${left.join(", ")}`,
    );
    assert.ok(left.every((key) => key.startsWith("wa:lockfence:") || key.startsWith("wa:lock:")));
    for (const key of left) {
      assert.ok((await cleaner.ttl(key)) !== undefined, `${key} expires`);
      await cleaner.delete(key);
    }
    await cleaner.close();
  });

  it("sends each message to the Catch node with store.disconnected while Redis is unreachable", async () => {
    await helper.load(nodes, flow({ backend: "redis", url: "redis://127.0.0.1:1", keyPrefix: "x:" }));
    const errors = collect("errors");
    getNode("lock1").receive(envelope("447700900123@c.us", "lost?"));
    await untilReal(() => errors.length === 1, 10_000);
    assert.equal(errors[0].payload, "lost?");
    assert.match((errors[0].error as { message: string }).message, /Redis is not reachable/);
  });

  it("puts the lock out of action with the reason when its store cannot open", async () => {
    await helper.load(nodes, flow({ backend: "redis", url: "http://wrong", keyPrefix: "x:" }));
    const errors = collect("errors");
    getNode("lock1").receive(envelope("447700900123@c.us"));
    await until(() => errors.length === 1);
    assert.match(
      (errors[0].error as { message: string }).message,
      /store is not available \(redis\): Redis URL: redis:\/\/host:port or rediss:\/\/host:port/,
    );
  });
});
