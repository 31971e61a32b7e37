import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import { SqliteStore } from "../../src/core/store/sqlite-store";
import { describeStoreConformance } from "./store-conformance";

describeStoreConformance("embedded (SQLite)", async (clock) => {
  const dir = mkdtempSync(join(tmpdir(), "wa-sqlite-"));
  const store = new SqliteStore({ file: join(dir, "store.db"), clock });
  return {
    store,
    exactTime: true,
    advance: async (ms) => clock.advance(ms),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("SqliteStore", () => {
  it("keeps values, lists and TTLs across a reopen of the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-sqlite-"));
    const file = join(dir, "store.db");
    const clock = new FakeClock(0);
    const first = new SqliteStore({ file, clock });
    await first.set("kept", "1");
    await first.set("short", "2", { ttlMs: 100 });
    await first.listPush("queue", "a", "b");
    await first.close();
    clock.advance(200);
    const second = new SqliteStore({ file, clock });
    assert.equal(await second.get("kept"), "1");
    assert.equal(await second.get("short"), undefined);
    assert.deepEqual(await second.listRange("queue", 0, -1), ["a", "b"]);
    assert.equal(second.purgeExpired(), 0, "the expired key was already dropped on read");
    await second.set("gone", "x", { ttlMs: 10 });
    clock.advance(11);
    assert.equal(second.purgeExpired(), 1);
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
