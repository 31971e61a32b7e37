import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { Store } from "../../src/core/store/store";

export interface StoreUnderTest {
  store: Store;
  /** Moves the store's notion of time forward (a fake clock where the store takes one, real waiting for Redis). */
  advance(ms: number): Promise<void>;
  /** True when time is the test's fake clock, so TTL edges can be checked to the millisecond. */
  exactTime: boolean;
  cleanup(): Promise<void>;
}

/** TTLs short enough to wait for when the backend keeps real time. */
function ttlFor(subject: StoreUnderTest): { ttl: number; past: number } {
  return subject.exactTime ? { ttl: 1000, past: 1001 } : { ttl: 80, past: 250 };
}

/** The contract every Store backend meets: memory now, embedded and Redis with the stores issue. */
export function describeStoreConformance(name: string, create: (clock: FakeClock) => Promise<StoreUnderTest>): void {
  describe(`Store conformance: ${name}`, () => {
    let clock: FakeClock;
    let subject: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      clock = new FakeClock();
      subject = await create(clock);
      store = subject.store;
    });
    afterEach(async () => subject.cleanup());

    it("gets what was set and nothing for unknown keys", async () => {
      await store.set("a", "1");
      assert.equal(await store.get("a"), "1");
      assert.equal(await store.get("missing"), undefined);
    });

    it("expires values after their TTL", async () => {
      const { ttl, past } = ttlFor(subject);
      await store.set("ttl", "x", { ttlMs: ttl });
      const left = (await store.ttl("ttl"))!;
      assert.ok(left > 0 && left <= ttl, `ttl ${left} within (0, ${ttl}]`);
      if (subject.exactTime) {
        await subject.advance(ttl - 1);
        assert.equal(await store.get("ttl"), "x");
        assert.equal(await store.ttl("ttl"), 1);
        await subject.advance(past - ttl + 1);
      } else {
        await subject.advance(past);
      }
      assert.equal(await store.get("ttl"), undefined);
      assert.equal(await store.ttl("ttl"), undefined);
    });

    it("sets only absent keys with setIfAbsent", async () => {
      assert.equal(await store.setIfAbsent("k", "first"), true);
      assert.equal(await store.setIfAbsent("k", "second"), false);
      assert.equal(await store.get("k"), "first");
    });

    it("swaps atomically with compareAndSet, including create and delete", async () => {
      assert.equal(await store.compareAndSet("c", undefined, "v1"), true);
      assert.equal(await store.compareAndSet("c", undefined, "v2"), false);
      assert.equal(await store.compareAndSet("c", "wrong", "v2"), false);
      assert.equal(await store.compareAndSet("c", "v1", "v2", { ttlMs: 500 }), true);
      assert.equal(await store.get("c"), "v2");
      assert.equal(await store.compareAndSet("c", "v2", undefined), true);
      assert.equal(await store.get("c"), undefined);
    });

    it("lets exactly one of many concurrent compareAndSet calls win", async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.compareAndSet("race", undefined, `w${i}`)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it("counts with increment, also concurrently", async () => {
      assert.equal(await store.increment("n"), 1);
      assert.equal(await store.increment("n", 5), 6);
      await Promise.all(Array.from({ length: 50 }, () => store.increment("n")));
      assert.equal(await store.get("n"), "56");
    });

    it("changes a TTL with expire and reports absent keys", async () => {
      const { ttl, past } = ttlFor(subject);
      await store.set("e", "v");
      assert.equal(await store.ttl("e"), undefined);
      assert.equal(await store.expire("e", ttl), true);
      assert.equal(await store.expire("nope", ttl), false);
      await subject.advance(past);
      assert.equal(await store.get("e"), undefined);
    });

    it("keeps a list's TTL and expires the whole list", async () => {
      const { ttl, past } = ttlFor(subject);
      await store.listPush("tl", "a", "b");
      assert.equal(await store.expire("tl", ttl), true);
      await subject.advance(past);
      assert.equal(await store.listLength("tl"), 0);
      assert.deepEqual(await store.listRange("tl", 0, -1), []);
    });

    it("refuses to mix values and lists under one key", async () => {
      await store.listPush("mixed", "a");
      await assert.rejects(store.increment("mixed"), /does not hold a counter/);
      assert.equal(await store.compareAndSet("mixed", undefined, "x"), false);
      await store.set("plain", "1");
      await assert.rejects(store.listPush("plain", "a"), /does not hold a list/);
    });

    it("keeps lists in FIFO order with push, shift, range, length and remove", async () => {
      assert.equal(await store.listPush("l", "a", "b", "c"), 3);
      assert.equal(await store.listPush("l", "b"), 4);
      assert.deepEqual(await store.listRange("l", 0, -1), ["a", "b", "c", "b"]);
      assert.deepEqual(await store.listRange("l", 1, 2), ["b", "c"]);
      assert.deepEqual(await store.listRange("l", -2, -1), ["c", "b"]);
      assert.equal(await store.listRemove("l", "b", 1), 1);
      assert.deepEqual(await store.listRange("l", 0, -1), ["a", "c", "b"]);
      assert.equal(await store.listShift("l"), "a");
      assert.equal(await store.listLength("l"), 2);
      assert.equal(await store.listRemove("l", "b"), 1);
      assert.equal(await store.listShift("l"), "c");
      assert.equal(await store.listShift("l"), undefined);
      assert.equal(await store.listLength("l"), 0);
    });

    it("deletes keys and lists keys by prefix", async () => {
      const { ttl, past } = ttlFor(subject);
      await store.set("p:1", "x");
      await store.set("p:2", "y", { ttlMs: ttl });
      await store.listPush("p:3", "z");
      await store.set("q:1", "w");
      await store.set("p*glob", "v");
      await subject.advance(past);
      assert.deepEqual((await store.keys("p:")).sort(), ["p:1", "p:3"]);
      assert.deepEqual(await store.keys("p*"), ["p*glob"], "a prefix is matched literally, not as a pattern");
      assert.equal(await store.delete("p:1"), true);
      assert.equal(await store.delete("p:1"), false);
    });

    it("refuses values over the size limit", async () => {
      await assert.rejects(store.set("big", "x".repeat(1024 * 1024 + 1)), /larger than/);
    });
  });
}
