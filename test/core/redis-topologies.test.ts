import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { systemClock } from "../../src/core/clock";
import { SessionLockManager } from "../../src/core/session/session-lock";
import { RedisStore, RedisStoreOptions, parseRedisAddresses } from "../../src/core/store/redis-store";
import { describeStoreConformance } from "./store-conformance";
import { requirePrerequisite } from "../support/prerequisite";
import {
  ClusterSet,
  SentinelSet,
  askServer,
  redisServerInstalled,
  sentinelStoreOptions,
  startCluster,
  startSentinelSet,
  untilReplicaHas,
} from "../support/redis-servers";

function conformanceOn(name: string, options: () => Omit<RedisStoreOptions, "keyPrefix">): void {
  describeStoreConformance(name, async () => {
    const store = new RedisStore({ ...options(), keyPrefix: `wa-test:${randomUUID()}:` });
    return {
      store,
      exactTime: false,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      cleanup: async () => {
        for (const key of await store.keys("")) await store.delete(key);
        await store.close();
      },
    };
  });
}

describe("Redis Sentinel (1 primary, 1 replica, 3 sentinels on loopback, with passwords)", function () {
  this.timeout(60_000);
  let set: SentinelSet | undefined;
  const options = (): Omit<RedisStoreOptions, "keyPrefix"> => sentinelStoreOptions(set!);

  before(async function () {
    requirePrerequisite(this, redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");
    set = await startSentinelSet();
  });
  after(async () => set?.stop());

  conformanceOn("Redis through Sentinel", options);

  describe("settings", () => {
    it("confirms writes on the replica when asked to (WAIT), and says when too few replicas have them", async () => {
      const one = new RedisStore({ ...options(), keyPrefix: "wa-wait:", waitReplicas: 1, waitTimeoutMs: 200 });
      const two = new RedisStore({ ...options(), keyPrefix: "wa-wait:", waitReplicas: 2, waitTimeoutMs: 5000 });
      const notReplicated = (pattern: RegExp) => (error: Error & { code?: string }) =>
        error.code === "store.notReplicated" && pattern.test(error.message);
      try {
        await one.set("k", "v");
        await one.replicated();
        await two.set("k", "w");
        const asked = Date.now();
        // Only one replica is connected: said at once, not after the 5 s WAIT would have held the connection.
        await assert.rejects(two.replicated(), notReplicated(/only 1 of the 2 replicas asked for have it/));
        assert.ok(Date.now() - asked < 1000, `answered in ${Date.now() - asked} ms`);
        // A replica that is connected but does not answer: WAIT runs out.
        set!.replica.signal("SIGSTOP");
        try {
          await one.set("k", "x");
          await assert.rejects(one.replicated(), notReplicated(/only 0 of the 1 replicas asked for have it \(waited up to 200 ms\)/));
        } finally {
          set!.replica.signal("SIGCONT");
        }
      } finally {
        await one.delete("k");
        await Promise.all([one.close(), two.close()]);
      }
    });

    it("leaves no connection to the sentinels once closed (ioredis' failover detector subscribes to each)", async () => {
      const subscribers = async () => {
        let count = 0;
        for (const sentinel of set!.sentinels) {
          const clients = String(await askServer(sentinel.port, set!.sentinelPassword, "CLIENT", "LIST"));
          count += clients.split("\n").filter((line) => /\bsub=[1-9]/.test(line)).length;
        }
        return count;
      };
      const before = await subscribers();
      const store = new RedisStore({ ...options(), keyPrefix: "wa-close:" });
      await store.set("k", "v");
      await store.delete("k");
      for (let i = 0; i < 50 && (await subscribers()) === before; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok((await subscribers()) > before, "the failover detector subscribed to the sentinels");
      await store.close();
      for (let i = 0; i < 50 && (await subscribers()) > before; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await subscribers(), before);
    });

    it("refuses a wrong sentinel password with an error that says the store cannot reach Redis", async () => {
      const store = new RedisStore({ ...options(), keyPrefix: "x:", commandTimeoutMs: 1000 });
      const wrong = new RedisStore({
        topology: { kind: "sentinel", sentinels: set!.sentinelAddresses, primaryName: set!.primaryName, sentinelPassword: "wrong" },
        password: set!.password,
        keyPrefix: "x:",
        commandTimeoutMs: 1000,
      });
      try {
        await store.set("reachable", "yes");
        await assert.rejects(wrong.get("reachable"), (error: Error & { code?: string }) => error.code === "store.disconnected");
      } finally {
        await store.delete("reachable");
        await Promise.all([store.close(), wrong.close()]);
      }
    });
  });

  // Last: the primary is gone afterwards.
  describe("failover", () => {
    it("keeps working after the primary is killed: Sentinel promotes the replica and the store follows it", async () => {
      const prefix = `wa-failover:${randomUUID()}:`;
      const store = new RedisStore({ ...options(), keyPrefix: prefix, commandTimeoutMs: 2000 });
      try {
        await store.set("before", "1");
        // Replication is asynchronous: wait until the replica has what the primary has, so nothing written is lost here.
        await untilReplicaHas(set!, `${prefix}before`);
        const killedAt = Date.now();
        await set!.primary.kill("SIGKILL");
        let writes = 0;
        let failures = 0;
        for (;;) {
          try {
            await store.increment("counter");
            writes += 1;
            if ((await set!.currentPrimaryPort()) === set!.replica.port && writes > 0) break;
          } catch {
            failures += 1;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.ok(Date.now() - killedAt < 30_000, "the store writes again within 30 s of the kill");
        }
        const pauseMs = Date.now() - killedAt;
        assert.equal(await set!.currentPrimaryPort(), set!.replica.port, "Sentinel names the old replica as primary");
        assert.equal(await store.get("before"), "1", "what was replicated before the kill is still there");
        // A write cut off by the kill may still have been applied: at least once, never lost once answered.
        const counted = await store.increment("counter");
        assert.ok(counted >= writes + 1 && counted <= writes + 1 + failures, `${counted} counts for ${writes + 1} answered writes`);
        console.log(`      failover: writes again ${pauseMs} ms after kill -9 of the primary (${failures} failed attempts meanwhile)`);
      } finally {
        await store.close();
      }
    });
  });
});

describe("a chat lock released while Sentinel fails the primary over (real Redis, kill -9)", function () {
  this.timeout(90_000);
  let set: SentinelSet | undefined;

  before(async function () {
    requirePrerequisite(this, redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");
    set = await startSentinelSet();
  });
  after(async () => set?.stop());

  it("finishes the release on the promoted replica, so the chat's next message does not wait out the lock's TTL", async () => {
    const prefix = `wa-lock-failover:${randomUUID()}:`;
    const store = new RedisStore({ ...sentinelStoreOptions(set!), keyPrefix: prefix, commandTimeoutMs: 2000 });
    const locks = new SessionLockManager({ store, clock: systemClock }, { lockName: "rows", pollIntervalMs: 100 });
    try {
      const held = await locks.acquire("chat-1", { owner: "write", ttlMs: 60_000 }, 0);
      await untilReplicaHas(set!, `${prefix}wa:lock:rows:chat-1`);
      const next = locks.acquire("chat-1", { owner: "next message", ttlMs: 60_000 }, 60_000);
      await set!.primary.kill("SIGKILL");
      assert.equal(await locks.release(held), true, "released once the store reached the promoted replica");
      assert.equal(await set!.currentPrimaryPort(), set!.replica.port);
      const grant = await next;
      assert.equal(grant.owner, "next message");
      assert.ok(Date.now() < held.expiresAt, "the next holder got the chat before the first lock's TTL ran out");
      assert.equal(await locks.release(grant), true);
    } finally {
      locks.close();
      await store.close();
    }
  });
});

describe("Redis Cluster (3 primaries on loopback, with a password)", function () {
  this.timeout(60_000);
  let set: ClusterSet | undefined;
  const options = (): Omit<RedisStoreOptions, "keyPrefix"> => ({
    topology: { kind: "cluster", seeds: set!.seeds },
    password: set!.password,
  });

  before(async function () {
    requirePrerequisite(this, redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");
    set = await startCluster();
  });
  after(async () => set?.stop());

  conformanceOn("Redis Cluster", options);

  it("asks every primary for its replicas' confirmation (none here: each has no replica)", async () => {
    const store = new RedisStore({ ...options(), keyPrefix: "wa-wait:", waitReplicas: 1, waitTimeoutMs: 50 });
    try {
      await store.set("k", "v");
      await assert.rejects(store.replicated(), (error: Error & { code?: string }) => error.code === "store.notReplicated");
    } finally {
      await store.delete("k");
      await store.close();
    }
  });

  it("spreads keys over every primary and still finds them all, each operation atomic on its own slot", async () => {
    const prefix = `wa-spread:${randomUUID()}:`;
    const store = new RedisStore({ ...options(), keyPrefix: prefix });
    try {
      const keys = Array.from({ length: 60 }, (_, i) => `chat:${i}`);
      await Promise.all(keys.map((key) => store.set(key, key)));
      await Promise.all(keys.map((key) => store.compareAndSet(key, key, `${key}!`)));
      const perNode: number[] = [];
      for (const node of set!.nodes) {
        const direct = new Redis({ host: "127.0.0.1", port: node.port, password: set!.password });
        try {
          const [, found] = await direct.scan("0", "MATCH", `${prefix}*`, "COUNT", 1000);
          perNode.push(found.length);
        } finally {
          direct.disconnect();
        }
      }
      assert.ok(
        perNode.every((count) => count > 0),
        `every primary holds some keys (${perNode.join(", ")})`,
      );
      assert.deepEqual((await store.keys("chat:")).sort(), [...keys].sort());
      assert.deepEqual(await Promise.all(keys.slice(0, 3).map((key) => store.get(key))), ["chat:0!", "chat:1!", "chat:2!"]);
    } finally {
      for (const key of await store.keys("")) await store.delete(key);
      await store.close();
    }
  });
});

describe("Redis addresses in a store's settings", () => {
  it("reads host:port lists separated by commas or spaces, IPv6 in brackets", () => {
    assert.deepEqual(parseRedisAddresses(" 10.0.0.1:26379, redis-b:26380 [::1]:26381", "sentinels"), [
      { host: "10.0.0.1", port: 26379 },
      { host: "redis-b", port: 26380 },
      { host: "::1", port: 26381 },
    ]);
  });

  it("refuses a missing port, a port out of range or an empty list, naming the field", () => {
    for (const text of ["redis-a", "redis-a:0", "redis-a:70000", "  ", "a:1,http://b:2"])
      assert.throws(
        () => parseRedisAddresses(text, "clusterNodes"),
        (error: Error & { code?: string; params?: { field?: string } }) =>
          error.code === "config.invalid" && error.params?.field === "clusterNodes",
        text,
      );
  });
});
