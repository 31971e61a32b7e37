import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { RecordingMetrics } from "../../src/core/perf/metrics";
import { LockGrant, RELEASE_RETRY_GAPS_MS, SessionLockManager } from "../../src/core/session/session-lock";
import { mkdtempSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "../../src/core/store/memory-store";
import { RedisStore } from "../../src/core/store/redis-store";
import { SqliteStore } from "../../src/core/store/sqlite-store";
import { Store } from "../../src/core/store/store";
import { REDIS_URL, redisReachable } from "./redis-available";
import { requirePrerequisite } from "../support/prerequisite";

/** Each backend the lock runs on: the store, and how to throw it away after a test. */
const BACKENDS: { name: string; open(clock: FakeClock): Promise<{ store: Store; dispose(): Promise<void> } | undefined> }[] = [
  { name: "memory", open: async (clock) => ({ store: new MemoryStore(clock), dispose: async () => undefined }) },
  {
    name: "embedded (SQLite)",
    open: async (clock) => {
      const dir = mkdtempSync(join(tmpdir(), "wa-lock-"));
      const store = new SqliteStore({ file: join(dir, "locks.db"), clock });
      return {
        store,
        dispose: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "Redis",
    open: async () => {
      if (!(await redisReachable())) return undefined;
      const store = new RedisStore({ url: REDIS_URL, keyPrefix: `wa-lock-test:${randomUUID()}:` });
      return {
        store,
        dispose: async () => {
          for (const key of await store.keys("")) await store.delete(key);
          await store.close();
        },
      };
    },
  },
];

for (const backend of BACKENDS)
  describe(`SessionLockManager on ${backend.name}`, () => {
    let clock: FakeClock;
    let store: Store;
    let dispose: () => Promise<void>;
    let metrics: RecordingMetrics;
    let locks: SessionLockManager;
    const chat = "447700900123@c.us";
    const request = (owner: string, ttlMs = 1000, context?: unknown) => ({ owner, ttlMs, context });
    /**
     * Moves fake time; with a store behind a socket, in steps that let each step's commands finish:
     * Redis answers one connection's commands in order, so a few round trips of our own after a step
     * come back only once what the step sent (and what those answers set off) has been answered.
     */
    const advance = async (ms: number) => {
      if (backend.name !== "Redis") return clock.advanceAsync(ms);
      for (let done = 0; done < ms; done += 100) {
        await clock.advanceAsync(Math.min(100, ms - done));
        for (let trip = 0; trip < 3; trip += 1) await store.ttl("session-lock-test:sync");
      }
    };

    beforeEach(async function () {
      clock = new FakeClock(1_000_000);
      const opened = await backend.open(clock);
      requirePrerequisite(this, opened, `no Redis reachable at ${REDIS_URL}`);
      ({ store, dispose } = opened);
      metrics = new RecordingMetrics();
      locks = new SessionLockManager({ store, clock, metrics }, { lockName: "test", pollIntervalMs: 100 });
    });
    afterEach(async () => {
      locks?.close();
      await dispose?.();
    });

    it("grants a free lock with a fencing token and refuses a second holder", async () => {
      const grant = await locks.acquire(chat, request("a"), 0);
      assert.equal(grant.chatId, chat);
      assert.equal(grant.token, 1);
      assert.equal(grant.expiresAt - grant.acquiredAt, 1000);
      assert.equal(await locks.tryAcquire(chat, request("b")), undefined);
      assert.equal(await locks.isCurrent(chat, grant.token), true);
    });

    it("fails at once with lock.timeout when the wait is 0 and the chat is busy", async () => {
      await locks.acquire(chat, request("a"), 0);
      const second = assert.rejects(locks.acquire(chat, request("b"), 0), (error: WaError) => error.code === "lock.timeout");
      await clock.advanceAsync(0);
      await second;
    });

    it("hands the lock to waiters in arrival order, each with a higher token", async () => {
      const first = await locks.acquire(chat, request("a"), 0);
      const order: string[] = [];
      const waiting = ["b", "c", "d"].map((owner) =>
        locks.acquire(chat, request(owner), 5000).then((grant) => {
          order.push(`${owner}:${grant.token}`);
          return grant;
        }),
      );
      await flushMicrotasks();
      assert.equal(locks.waitingCount(), 3);
      let current: LockGrant = first;
      for (let i = 0; i < 3; i += 1) {
        await locks.release(current);
        current = await waiting[i];
      }
      assert.deepEqual(order, ["b:2", "c:3", "d:4"]);
    });

    it("keeps other chats independent", async () => {
      await locks.acquire(chat, request("a"), 0);
      const other = await locks.acquire("447700900456@c.us", request("b"), 0);
      assert.equal(other.token, 1);
    });

    it("times a waiter out after the wait and then grants the next one", async () => {
      const first = await locks.acquire(chat, request("a", 60_000), 0);
      const impatient = assert.rejects(
        locks.acquire(chat, request("b"), 200),
        (error: WaError) => error.code === "lock.timeout" && error.params.waitMs === 200,
      );
      const patient = locks.acquire(chat, request("c"), 10_000);
      await clock.advanceAsync(200);
      await impatient;
      await locks.release(first);
      const grant = await patient;
      assert.equal(grant.owner, "c");
      assert.equal(metrics.counter("lock_timeouts_total", { lock: "test" }), 1);
    });

    it("expires an unreleased lock after its TTL, reports it with its context, and frees the chat", async () => {
      const expired: unknown[] = [];
      locks.onExpired((grant, context) => expired.push([grant.owner, context]));
      const stale = await locks.acquire(chat, request("a", 1000, "msg-1"), 0);
      const next = locks.acquire(chat, request("b"), 5000);
      await clock.advanceAsync(999);
      assert.equal(expired.length, 0);
      await clock.advanceAsync(1);
      assert.deepEqual(expired, [["a", "msg-1"]]);
      const grant = await next;
      assert.equal(grant.token, stale.token + 1);
      // The late holder can no longer release or write: its token is fenced off.
      assert.equal(await locks.isCurrent(chat, stale.token), false);
      assert.equal(await locks.release(stale), false);
      assert.equal(await locks.isCurrent(chat, grant.token), true);
    });

    it("sees a lock released by another manager sharing the store (by polling)", async () => {
      const otherInstance = new SessionLockManager({ store, clock }, { lockName: "test", pollIntervalMs: 100 });
      const remote = await otherInstance.acquire(chat, request("remote", 60_000), 0);
      const local = locks.acquire(chat, request("local"), 10_000);
      await clock.advanceAsync(300);
      await otherInstance.release(remote);
      await clock.advanceAsync(100);
      assert.equal((await local).owner, "local");
      otherInstance.close();
    });

    it("takes over at once a lock this runtime held before it restarted, and still waits for another runtime's", async () => {
      const before = new SessionLockManager({ store, clock }, { lockName: "test", instance: "host-a:/data" });
      const stale = await before.acquire(chat, request("queue-node", 60_000), 0);
      before.close();
      const other = new SessionLockManager({ store, clock }, { lockName: "test", instance: "host-b:/data" });
      assert.equal(await other.tryAcquire(chat, request("queue-node")), undefined, "another runtime waits out the TTL");
      other.close();
      const restarted = new SessionLockManager({ store, clock }, { lockName: "test", instance: "host-a:/data" });
      const taken = await restarted.tryAcquire(chat, request("queue-node"));
      assert.ok(taken, "the restarted runtime takes it over without waiting");
      assert.ok(taken.token > stale.token, "with a newer fencing token");
      assert.equal(await restarted.tryAcquire(chat, request("queue-node")), undefined, "and holds it like any lock");
      restarted.close();
    });

    it("rejects waiters with lock.closed when closed", async () => {
      await locks.acquire(chat, request("a"), 0);
      const waiting = assert.rejects(locks.acquire(chat, request("b"), 5000), (error: WaError) => error.code === "lock.closed");
      await flushMicrotasks();
      locks.close();
      await waiting;
      await assert.rejects(locks.acquire(chat, request("c"), 0), (error: WaError) => error.code === "lock.closed");
    });

    it("refuses a TTL of zero", async () => {
      await assert.rejects(locks.acquire(chat, request("a", 0), 0), (error: WaError) => error.code === "config.invalid");
    });

    it("renews a held lock while its holder works, up to the renewal limit, then lets it expire", async () => {
      const expired: number[] = [];
      locks.onExpired((grant) => {
        if (grant.owner === "a") expired.push(clock.now());
      });
      const start = clock.now();
      const grant = await locks.acquire(chat, { owner: "a", ttlMs: 1000, renewForMs: 5000 }, 0);
      const waiter = locks.acquire(chat, request("b"), 60_000);
      await advance(4000);
      assert.equal(await locks.isCurrent(chat, grant.token), true, "still held after 4 TTLs");
      assert.equal(expired.length, 0);
      await advance(2500);
      assert.equal(expired.length, 1, "the renewal limit ran out");
      assert.ok(expired[0] - start <= 5000 + 1000, `expired at +${expired[0] - start} ms`);
      assert.equal((await waiter).owner, "b");
    });

    it("renews a lock held by a manager that names its instance (as every node's does)", async () => {
      const named = new SessionLockManager({ store, clock }, { lockName: "named", instance: "host-a:/data" });
      const grant = await named.acquire(chat, { owner: "a", ttlMs: 1000, renewForMs: 5000 }, 0);
      await advance(3000);
      assert.equal(await named.isCurrent(chat, grant.token), true, "still held after 3 TTLs");
      named.close();
    });

    it("gives the lock straight back when its waiter timed out while the store was granting it (named instance too)", async () => {
      const named = new SessionLockManager({ store, clock }, { lockName: "named", instance: "host-a:/data" });
      const late = named.acquire(chat, request("a"), 50);
      const rejected = assert.rejects(late, (error: WaError) => error.code === "lock.timeout");
      // The wait runs out while the grant is on its way through the store.
      clock.advance(50);
      await rejected;
      for (let i = 0; i < 20 && (await store.get("wa:lock:named:" + chat)) !== undefined; i += 1) await flushMicrotasks();
      assert.equal(await store.get("wa:lock:named:" + chat), undefined, "nobody holds the lock its waiter gave up on");
      const other = new SessionLockManager({ store, clock }, { lockName: "named", instance: "host-b:/data" });
      assert.ok(await other.tryAcquire(chat, request("b")), "another runtime gets it at once");
      other.close();
      named.close();
    });

    it("releases a renewed lock by holder and token, from another manager too", async () => {
      const grant = await locks.acquire(chat, { owner: "a", ttlMs: 1000, renewForMs: 10_000 }, 0);
      await advance(1500);
      const elsewhere = new SessionLockManager({ store, clock }, { lockName: "test" });
      assert.equal(await elsewhere.release(grant), true, "the grant as first handed out still releases it");
      assert.equal(await locks.isCurrent(chat, grant.token), false);
      elsewhere.close();
    });
  });

describe("SessionLockManager store round trips", () => {
  /** A memory store that counts the operations asked of it, by name. */
  function countingStore(clock: FakeClock): { store: Store; calls: Map<string, number> } {
    const calls = new Map<string, number>();
    const inner = new MemoryStore(clock);
    const store = new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return { store, calls };
  }

  it("grants and releases a free lock in four store operations, without reading it first", async () => {
    const clock = new FakeClock(0);
    const { store, calls } = countingStore(clock);
    const locks = new SessionLockManager({ store, clock }, { lockName: "count", instance: "host:/data" });
    const grant = await locks.acquire("chat-1", { owner: "a", ttlMs: 1000 }, 1000);
    assert.equal(await locks.release(grant), true);
    assert.deepEqual(Object.fromEntries(calls), { increment: 1, expire: 1, compareAndSet: 2 });
    locks.close();
  });

  it("a waiter behind a lock held here asks the store nothing until it is released", async () => {
    const clock = new FakeClock(0);
    const { store, calls } = countingStore(clock);
    const locks = new SessionLockManager({ store, clock }, { lockName: "count", pollIntervalMs: 100 });
    const first = await locks.acquire("chat-1", { owner: "a", ttlMs: 10_000 }, 1000);
    calls.clear();
    const second = locks.acquire("chat-1", { owner: "b", ttlMs: 10_000 }, 5000);
    await clock.advanceAsync(1000);
    assert.equal(
      [...calls.values()].reduce((sum, n) => sum + n, 0),
      0,
      "ten polls, none of them to the store",
    );
    await locks.release(first);
    assert.equal((await second).owner, "b");
    locks.close();
  });
});

describe("SessionLockManager when the store is away at release (a Redis failover)", () => {
  type FailureCode = "store.disconnected" | "store.closed";
  /** A memory store whose operations fail while `away` is set; `applyThenFail` does a compare-and-set, then loses the answer. */
  function flakyStore(clock: FakeClock): { store: Store; state: { away: boolean; applyThenFail: number; code: FailureCode } } {
    const state = { away: false, applyThenFail: 0, code: "store.disconnected" as FailureCode };
    const inner = new MemoryStore(clock);
    const store = new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          const failure = () => new WaError(state.code, "Redis is not reachable (Connection is closed.)");
          if (state.away) throw failure();
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (state.applyThenFail > 0 && property === "compareAndSet") {
            state.applyThenFail -= 1;
            throw failure();
          }
          return result;
        };
      },
    });
    return { store, state };
  }

  it("tries the release again until the store is back, and the chat's next waiter gets the lock long before the TTL", async () => {
    const clock = new FakeClock(0);
    const { store, state } = flakyStore(clock);
    const metrics = new RecordingMetrics();
    const locks = new SessionLockManager({ store, clock, metrics }, { lockName: "failover", pollIntervalMs: 100 });
    const expired: string[] = [];
    locks.onExpired((grant) => expired.push(grant.owner));
    const first = await locks.acquire("chat-1", { owner: "a", ttlMs: 30_000 }, 0);
    const next = locks.acquire("chat-1", { owner: "b", ttlMs: 30_000 }, 20_000);
    state.away = true;
    let outcome: boolean | Error | undefined;
    locks.release(first).then(
      (released) => (outcome = released),
      (error: Error) => (outcome = error),
    );
    await clock.advanceAsync(RELEASE_RETRY_GAPS_MS[0] + RELEASE_RETRY_GAPS_MS[1]);
    assert.equal(outcome, undefined, "still trying while the store is away");
    state.away = false;
    await clock.advanceAsync(RELEASE_RETRY_GAPS_MS[2]);
    assert.equal(outcome, true);
    const grant = await next;
    assert.equal(grant.owner, "b");
    assert.ok(clock.now() < 3000, `the waiter got the lock after ${clock.now()} ms, not after the 30 s TTL`);
    assert.deepEqual(expired, []);
    assert.ok(metrics.counter("lock_release_retries_total", { lock: "failover" }) >= 2);
    locks.close();
  });

  it("counts a release whose answer was lost as done when the store no longer holds the lock", async () => {
    const clock = new FakeClock(0);
    const { store, state } = flakyStore(clock);
    const locks = new SessionLockManager({ store, clock }, { lockName: "failover" });
    const grant = await locks.acquire("chat-1", { owner: "a", ttlMs: 30_000 }, 0);
    state.applyThenFail = 1;
    const released = locks.release(grant);
    await clock.advanceAsync(RELEASE_RETRY_GAPS_MS[0]);
    assert.equal(await released, true);
    assert.equal(await store.get("wa:lock:failover:chat-1"), undefined);
    locks.close();
  });

  it("gives up with store.disconnected once the lock would have expired, without blaming the flow for an unreleased lock", async () => {
    const clock = new FakeClock(0);
    const { store, state } = flakyStore(clock);
    const locks = new SessionLockManager({ store, clock }, { lockName: "failover" });
    const expired: string[] = [];
    locks.onExpired((grant) => expired.push(grant.owner));
    const grant = await locks.acquire("chat-1", { owner: "a", ttlMs: 3000 }, 0);
    state.away = true;
    let failure: unknown;
    const released = locks.release(grant).catch((error: unknown) => (failure = error));
    await clock.advanceAsync(5000);
    await released;
    assert.ok(failure instanceof WaError && failure.code === "store.disconnected", String(failure));
    assert.ok(clock.now() >= 2000, "it kept trying while the lock had time left");
    assert.deepEqual(expired, [], "no lock.expired on top of the store error");
    assert.equal(locks.heldCount(), 0);
    locks.close();
  });

  it("does not retry other errors: a closed store fails the release at once", async () => {
    const clock = new FakeClock(0);
    const { store, state } = flakyStore(clock);
    const locks = new SessionLockManager({ store, clock }, { lockName: "failover" });
    const grant = await locks.acquire("chat-1", { owner: "a", ttlMs: 30_000 }, 0);
    state.away = true;
    state.code = "store.closed";
    await assert.rejects(locks.release(grant), (error: unknown) => error instanceof WaError && error.code === "store.closed");
    assert.equal(clock.now(), 0);
    locks.close();
  });
});
