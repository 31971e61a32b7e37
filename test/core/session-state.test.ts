import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { SessionStateManager } from "../../src/core/session/session-state";
import { MemoryStore } from "../../src/core/store/memory-store";
import { RedisStore } from "../../src/core/store/redis-store";
import { SqliteStore } from "../../src/core/store/sqlite-store";
import { Store } from "../../src/core/store/store";
import { REDIS_URL, redisReachable } from "./redis-available";
import { requirePrerequisite } from "../support/prerequisite";

const chat = "447700900123@c.us";

describe("SessionStateManager", () => {
  let clock: FakeClock;
  let state: SessionStateManager;

  beforeEach(() => {
    clock = new FakeClock(0);
    state = new SessionStateManager(new MemoryStore(clock), clock, { name: "test", ttlMs: 60_000, maxBytes: 4096 });
  });

  it("starts empty, then sets, merges, increments and deletes", async () => {
    const fresh = await state.get(chat);
    assert.equal(fresh.exists, false);
    assert.deepEqual(fresh.state.slots, {});
    await state.set(chat, { stage: "greeting", slots: { product: "hoodie", size: "M" }, language: "en" });
    let current = await state.merge(chat, { stage: "ordering", slots: { size: "L", colour: "blue", product: null }, lastIntent: "order" });
    assert.equal(current.stage, "ordering");
    assert.deepEqual(current.slots, { size: "L", colour: "blue" });
    assert.equal(current.language, "en");
    assert.equal(current.version, 2);
    current = await state.increment(chat, "custom.visits", 1);
    current = await state.increment(chat, "custom.visits", 2);
    assert.equal(current.custom.visits, 3);
    current = await state.merge(chat, { vip: true });
    assert.deepEqual(current.custom, { visits: 3, vip: true }, "unknown keys are kept under custom");
    current = await state.set(chat, { stage: "closed" });
    assert.deepEqual([current.stage, current.slots, current.language], ["closed", {}, null], "set replaces the whole state");
    assert.equal(await state.delete(chat), true);
    assert.equal((await state.get(chat)).exists, false);
  });

  it("forgets a chat left alone for the TTL; every write starts the time again", async () => {
    await state.merge(chat, { stage: "ordering" });
    clock.advance(59_000);
    await state.merge(chat, { slots: { size: "M" } });
    clock.advance(59_000);
    assert.equal((await state.get(chat)).state.stage, "ordering");
    clock.advance(1_001);
    assert.equal((await state.get(chat)).exists, false);
  });

  it("refuses bad values with the reason", async () => {
    const code = async (work: Promise<unknown>) =>
      work.then(
        () => "none",
        (error: WaError) => error.code,
      );
    assert.equal(await code(state.merge(chat, "hello")), "state.badValue");
    assert.equal(await code(state.merge(chat, { stage: 5 })), "state.badValue");
    assert.equal(await code(state.merge(chat, { slots: [1, 2] })), "state.badValue");
    await assert.rejects(state.increment(chat, "visits", 1), /under slots or custom/);
    await assert.rejects(state.increment(chat, "custom.__proto__", 1), /under slots or custom/);
    await state.merge(chat, { custom: { name: "Priya" } });
    await assert.rejects(state.increment(chat, "custom.name", 1), /holds a string/);
    assert.equal(await code(state.merge(chat, { custom: { blob: "x".repeat(5000) } })), "state.tooLarge");
  });
});

const BACKENDS: { name: string; open(clock: FakeClock): Promise<{ store: Store; dispose(): Promise<void> } | undefined> }[] = [
  { name: "memory", open: async (clock) => ({ store: new MemoryStore(clock), dispose: async () => undefined }) },
  {
    name: "embedded (SQLite)",
    open: async (clock) => {
      const dir = mkdtempSync(join(tmpdir(), "wa-state-"));
      const store = new SqliteStore({ file: join(dir, "state.db"), clock });
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
      const store = new RedisStore({ url: REDIS_URL, keyPrefix: `wa-state-test:${randomUUID()}:` });
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

for (const backend of BACKENDS) {
  describe(`SessionStateManager under concurrency on ${backend.name}`, () => {
    it("applies every one of 50 concurrent merges and 50 concurrent increments", async function () {
      const clock = new FakeClock(0);
      const opened = await backend.open(clock);
      requirePrerequisite(this, opened, `no Redis reachable at ${REDIS_URL}`);
      const writers = [0, 1].map(() => new SessionStateManager(opened.store, clock, { name: "race", ttlMs: 60_000, maxBytes: 65_536 }));
      await Promise.all(Array.from({ length: 50 }, (_, i) => writers[i % 2].merge(chat, { slots: { [`item${i}`]: i } })));
      await Promise.all(Array.from({ length: 50 }, (_, i) => writers[i % 2].increment(chat, "custom.count", 1)));
      const { state } = await writers[0].get(chat);
      assert.equal(Object.keys(state.slots).length, 50);
      assert.equal(state.custom.count, 50);
      assert.equal(state.version, 100);
      await opened.dispose();
    });
  });
}
