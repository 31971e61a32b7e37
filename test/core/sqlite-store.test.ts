import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import { SqliteStore, loadSqliteBinding } from "../../src/core/store/sqlite-store";
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

describe("SqliteStore group commit", () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  // A second connection to the same file sees only what is committed, as another process (or the file after a crash) would.
  let observer: import("better-sqlite3").Database;
  const committed = (key: string) =>
    (observer.prepare("SELECT value FROM entries WHERE key = ?").get(key) as { value: string | null } | undefined)?.value;
  const committedExpiry = (key: string) =>
    (observer.prepare("SELECT expires_at AS expiresAt FROM entries WHERE key = ?").get(key) as { expiresAt: number | null } | undefined)
      ?.expiresAt;
  const committedItems = (key: string) =>
    (observer.prepare("SELECT value FROM list_items WHERE key = ? ORDER BY seq").all(key) as { value: string }[]).map((row) => row.value);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-sqlite-commit-"));
    file = join(dir, "store.db");
    store = new SqliteStore({ file, clock: new FakeClock(0) });
    observer = new (loadSqliteBinding())(file, { readonly: true });
  });
  afterEach(async () => {
    observer.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports each kind of write done only once it is committed, so a crash after that cannot lose it", async () => {
    await store.set("counter", "0");
    await store.listPush("line", "a", "b", "c");
    const writes: [string, () => Promise<unknown>, () => boolean][] = [
      ["set", () => store.set("k", "v"), () => committed("k") === "v"],
      ["setIfAbsent", () => store.setIfAbsent("absent", "1"), () => committed("absent") === "1"],
      ["compareAndSet", () => store.compareAndSet("k", "v", "w"), () => committed("k") === "w"],
      ["increment", () => store.increment("counter", 5), () => committed("counter") === "5"],
      ["expire", () => store.expire("counter", 60_000), () => committedExpiry("counter") === 60_000],
      ["delete", () => store.delete("absent"), () => committed("absent") === undefined],
      ["listPush", () => store.listPush("line", "d"), () => committedItems("line").join("") === "abcd"],
      ["listShift", () => store.listShift("line"), () => committedItems("line").join("") === "bcd"],
      ["listRemove", () => store.listRemove("line", "c"), () => committedItems("line").join("") === "bd"],
    ];
    for (const [name, write, visible] of writes) {
      let done = false;
      const pending = write().then(() => (done = true));
      assert.equal(visible(), false, `${name}: not committed within the turn that made it`);
      await pending;
      assert.ok(done);
      assert.equal(visible(), true, `${name}: committed by the time it is reported done`);
    }
  });

  it("commits the writes of one turn together; one that fails undoes only itself", async () => {
    await store.set("text", "a value, not a list");
    const results = await Promise.allSettled([store.set("one", "1"), store.listPush("text", "x"), store.set("two", "2")]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.equal(committed("one"), "1");
    assert.equal(committed("two"), "2");
    assert.equal(committed("text"), "a value, not a list");
  });

  it("a read in the turn of a write answers once that write is committed", async () => {
    const write = store.set("seen", "yes");
    const read = store.get("seen");
    assert.equal(await read, "yes");
    assert.equal(committed("seen"), "yes", "the read was not answered with a value a crash could still take back");
    await write;
  });

  it("commits what is open when closed", async () => {
    const write = store.set("last", "before close");
    await store.close();
    await write;
    assert.equal(committed("last"), "before close");
    store = new SqliteStore({ file, clock: new FakeClock(0) });
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
