import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { Deduplicator } from "../../src/core/resilience/deduplicator";
import { MemoryStore } from "../../src/core/store/memory-store";

describe("Deduplicator", () => {
  it("lets the first claim of a key through and names the rest duplicates until the TTL ends", async () => {
    const clock = new FakeClock(1000);
    const store = new MemoryStore(clock);
    const dedupe = new Deduplicator(store, clock, "orders", 60_000);
    assert.deepEqual(await dedupe.claim("wamid.1"), { first: true, firstSeenAt: 1000 });
    clock.advance(5000);
    assert.deepEqual(await dedupe.claim("wamid.1"), { first: false, firstSeenAt: 1000 });
    assert.equal((await dedupe.claim("wamid.2")).first, true);
    clock.advance(55_000);
    assert.equal((await dedupe.claim("wamid.1")).first, true, "forgotten after the TTL");
  });

  it("a second deduplicator on the same store (another instance) sees the same keys; forget lets a key pass again", async () => {
    const clock = new FakeClock(0);
    const store = new MemoryStore(clock);
    const a = new Deduplicator(store, clock, "orders", 60_000);
    const b = new Deduplicator(store, clock, "orders", 60_000);
    const other = new Deduplicator(store, clock, "replies", 60_000);
    assert.equal((await a.claim("k")).first, true);
    assert.equal((await b.claim("k")).first, false);
    assert.equal((await other.claim("k")).first, true, "names keep their own keys");
    assert.equal(await b.forget("k"), true);
    assert.equal((await a.claim("k")).first, true);
  });

  it("stores a very long key by its hash", async () => {
    const clock = new FakeClock(0);
    const store = new MemoryStore(clock);
    const dedupe = new Deduplicator(store, clock, "n", 1000);
    const long = "x".repeat(100_000);
    assert.equal((await dedupe.claim(long)).first, true);
    assert.equal((await dedupe.claim(long)).first, false);
    const keys = await store.keys("dedupe:n:");
    assert.equal(keys.length, 1);
    assert.ok(keys[0].length < 100, keys[0]);
  });
});
