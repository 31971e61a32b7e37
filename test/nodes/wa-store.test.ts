import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lockNode from "../../src/nodes/wa-session-lock";
import storeNode from "../../src/nodes/wa-store";
import { RedisStore } from "../../src/core/store/redis-store";
import { REDIS_URL, redisReachable } from "../core/redis-available";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness } from "./harness";
import { requirePrerequisite } from "../support/prerequisite";
import {
  ClusterSet,
  SentinelSet,
  TlsRedis,
  redisServerInstalled,
  startCluster,
  startSentinelSet,
  startTlsRedis,
} from "../support/redis-servers";

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

  describe("on Redis Sentinel, Redis Cluster and Redis over TLS (real servers started by the test)", function () {
    this.timeout(60_000);
    let sentinelSet: SentinelSet | undefined;
    let cluster: ClusterSet | undefined;
    let tlsRedis: TlsRedis | undefined;
    before(async function () {
      requirePrerequisite(this, redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");
      [sentinelSet, cluster, tlsRedis] = await Promise.all([startSentinelSet(), startCluster(), startTlsRedis()]);
    });
    after(async () => Promise.all([sentinelSet?.stop(), cluster?.stop(), tlsRedis?.stop()]));

    it("finds the primary through the sentinels, with the servers' and the sentinels' passwords from the credentials", async () => {
      const sentinels = sentinelSet!.sentinelAddresses.map((a) => `${a.host}:${a.port}`);
      const config = {
        backend: "redis-sentinel",
        sentinels: `${sentinels[0]}, ${sentinels[1]} ${sentinels[2]}`,
        primaryName: sentinelSet!.primaryName,
        keyPrefix: `wa-node-${randomUUID().slice(0, 8)}:`,
      };
      await helper.load(nodes, flow(config), { st1: { password: sentinelSet!.password, sentinelPassword: sentinelSet!.sentinelPassword } });
      const tokens = await lockReleaseLock();
      assert.equal(tokens[1], tokens[0] + 1);
    });

    it("works on a cluster from one seed node", async () => {
      const seed = cluster!.seeds[1];
      const config = {
        backend: "redis-cluster",
        clusterNodes: `${seed.host}:${seed.port}`,
        keyPrefix: `wa-node-${randomUUID().slice(0, 8)}:`,
      };
      await helper.load(nodes, flow(config), { st1: { password: cluster!.password } });
      const tokens = await lockReleaseLock();
      assert.equal(tokens[1], tokens[0] + 1);
    });

    it("trusts a server signed by a private authority given as the CA file, and only then", async () => {
      helper.settings({ userDir: dir });
      writeFileSync(join(dir, "redis-ca.pem"), tlsRedis!.ca);
      const url = `rediss://127.0.0.1:${tlsRedis!.port}`;
      await helper.load(nodes, flow({ backend: "redis", url, tls: true, tlsCaFile: "redis-ca.pem", keyPrefix: "wa-tls:" }));
      const tokens = await lockReleaseLock();
      assert.equal(tokens[1], tokens[0] + 1);
      await helper.unload();

      await helper.load(nodes, flow({ backend: "redis", url, tls: true, tlsCaFile: "", keyPrefix: "wa-tls:" }));
      const errors = collect("errors");
      getNode("lock1").receive(envelope("447700900123@c.us", "untrusted"));
      await untilReal(() => errors.length === 1, 10_000);
      assert.match((errors[0].error as { message: string }).message, /Redis is not reachable .*(certificate|self.signed)/i);
    });

    it("says which setting is wrong when a sentinel address has no port", async () => {
      await helper.load(nodes, flow({ backend: "redis-sentinel", sentinels: "10.0.0.1", primaryName: "mymaster", keyPrefix: "x:" }));
      const errors = collect("errors");
      getNode("lock1").receive(envelope("447700900123@c.us"));
      await until(() => errors.length === 1);
      assert.match(
        (errors[0].error as { message: string }).message,
        /store is not available \(redis-sentinel\): Sentinels: host:port of each sentinel/,
      );
    });
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
