import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { SheetsReadCache, lookupRows } from "../../src/core/sheets/read-cache";
import { CellValue } from "../../src/core/sheets/sheets-model";
import { MemoryStore } from "../../src/core/store/memory-store";
import { Store } from "../../src/core/store/store";

function setup(store?: Store, clock = new FakeClock(0)) {
  const sheet: Record<string, CellValue[][]> = {
    "Products!A:C": [
      ["sku", "name", "price"],
      ["A1", "Tea", 3],
    ],
  };
  let calls = 0;
  let fail = false;
  const pending: Array<() => void> = [];
  let holdAnswers = false;
  const cache = new SheetsReadCache(
    { namespace: "s1", ttlMs: 60_000, staleMs: 300_000, maxEntries: 2 },
    {
      clock,
      store,
      fetch: async (range) => {
        calls += 1;
        if (holdAnswers) await new Promise<void>((resolve) => pending.push(resolve));
        if (fail) throw new Error("503 from Google");
        return structuredClone(sheet[range] ?? []);
      },
    },
  );
  return {
    clock,
    cache,
    sheet,
    calls: () => calls,
    failNext: (f: boolean) => (fail = f),
    hold: (h: boolean) => (holdAnswers = h),
    answerAll: () => pending.splice(0).forEach((r) => r()),
  };
}

describe("SheetsReadCache", () => {
  it("serves fresh reads from memory, then stale while one refresh runs", async () => {
    const t = setup();
    assert.equal((await t.cache.read("Products!A:C")).source, "fetched");
    assert.equal((await t.cache.read("Products!A:C")).source, "cache");
    t.sheet["Products!A:C"].push(["B2", "Coffee", 4]);
    t.clock.advance(60_001);
    const stale = await t.cache.read("Products!A:C");
    assert.deepEqual([stale.source, stale.values.length], ["stale", 2]);
    await flushMicrotasks();
    const fresh = await t.cache.read("Products!A:C");
    assert.deepEqual([fresh.source, fresh.values.length], ["cache", 3]);
    assert.equal(t.calls(), 2);
    t.clock.advance(60_000 + 300_001);
    assert.equal((await t.cache.read("Products!A:C")).source, "fetched", "too old even to serve stale");
  });

  it("joins concurrent identical reads into one request", async () => {
    const t = setup();
    t.hold(true);
    const reads = Array.from({ length: 20 }, () => t.cache.read("Products!A:C"));
    await flushMicrotasks();
    t.answerAll();
    const results = await Promise.all(reads);
    assert.equal(t.calls(), 1);
    assert.equal(results.filter((r) => r.source === "joined").length, 19);
    assert.equal(t.cache.hitRate(), 19 / 20);
  });

  it("a write to the sheet retires its cached ranges (not other sheets'), across instances sharing the store", async () => {
    const clock = new FakeClock(0);
    const store = new MemoryStore(clock);
    const a = setup(store, clock);
    const b = setup(store, clock);
    a.sheet["Orders!A:B"] = [["1", "x"]];
    b.sheet["Orders!A:B"] = [["1", "x"]];
    await a.cache.read("Products!A:C");
    await a.cache.read("Orders!A:B");
    assert.equal((await b.cache.read("Products!A:C")).source, "shared", "b reads what a fetched");
    await b.cache.invalidate("Orders");
    assert.equal((await a.cache.read("Orders!A:B")).source, "fetched");
    assert.equal((await a.cache.read("Products!A:C")).source, "cache");
  });

  it("serves old values when Google fails and nothing fresher exists; throws when it has none", async () => {
    const t = setup();
    await t.cache.read("Products!A:C");
    t.clock.advance(60_000 + 300_001);
    t.failNext(true);
    assert.equal((await t.cache.read("Products!A:C")).source, "stale-after-error");
    await assert.rejects(t.cache.read("Other!A:A"), /503/);
  });

  it("keeps at most maxEntries ranges in memory", async () => {
    const t = setup();
    await t.cache.read("A!A1");
    await t.cache.read("B!A1");
    await t.cache.read("C!A1");
    assert.equal(t.cache.size, 2);
    assert.equal((await t.cache.read("A!A1")).source, "fetched");
  });

  it("lookupRows finds rows by key, named by the header row", () => {
    const values: CellValue[][] = [
      ["sku", "", "price"],
      ["A1", "Tea", 3],
      ["B2", "Coffee", 4],
      ["A1", "Tea (big)", 5],
    ];
    assert.deepEqual(lookupRows(values, 0, "A1", true), [
      { sku: "A1", column2: "Tea", price: 3 },
      { sku: "A1", column2: "Tea (big)", price: 5 },
    ]);
    assert.deepEqual(lookupRows(values, 1, "Coffee", false), [["B2", "Coffee", 4]]);
  });
});
