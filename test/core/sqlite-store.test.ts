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

describe("SqliteStore errors", () => {
  it("reports a full disk and a file it cannot open as store.unavailable, with SQLite's reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-sqlite-full-"));
    try {
      const store = new SqliteStore({ file: join(dir, "store.db"), clock: new FakeClock(0) });
      // What a full disk looks like to SQLite: no page may be added to the file.
      const db = (store as unknown as { db: { pragma(text: string, options?: { simple: boolean }): unknown } }).db;
      const pages = Number(db.pragma("page_count", { simple: true }));
      db.pragma(`max_page_count = ${pages + 2}`);
      let failure: unknown;
      try {
        for (let i = 0; i < 100; i += 1) await store.set(`big${i}`, "x".repeat(60_000));
      } catch (error) {
        failure = error;
      }
      assert.equal((failure as { code?: string }).code, "store.unavailable");
      assert.match((failure as Error).message, /database or disk is full \(SQLITE_FULL\)/);
      await store.close();
      assert.throws(
        () => new SqliteStore({ file: join(dir, "no-such-folder", "store.db") }),
        (error: { code?: string; message?: string }) =>
          error.code === "store.unavailable" && /unable to open database file|directory does not exist/.test(error.message ?? ""),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
