import { sheetsOf } from "../support/envelope-parts";
import assert from "node:assert/strict";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import readNode from "../../src/nodes/wa-sheets-read";
import sheetsNode from "../../src/nodes/wa-sheets";
import writeNode from "../../src/nodes/wa-sheets-write";
import storeNode from "../../src/nodes/wa-store";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilWithSockets, useNodeHarness } from "./harness";

const SPREADSHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

describe("wa-sheets-read: cached reads and look-ups against the emulator", () => {
  const harness = useNodeHarness();
  let emulator: SheetsEmulator;
  beforeEach(async () => {
    emulator = new SheetsEmulator({ clock: harness.clock() });
    emulator.model.create(SPREADSHEET, "Shop", [
      { title: "Products", rowCount: 100, columnCount: 4 },
      { title: "Log", rowCount: 1000, columnCount: 4 },
    ]);
    emulator.model.update(
      SPREADSHEET,
      "Products!A1",
      [
        ["sku", "name", "price"],
        ["TEA-1", "Green tea", 3.5],
        ["COF-2", "Coffee", 4],
      ],
      "RAW",
    );
    await emulator.start();
  });
  afterEach(() => emulator.stop());

  async function load(read: Record<string, unknown> = {}, sheets: Record<string, unknown> = {}) {
    await helper.load(
      [sheetsNode, readNode, writeNode, storeNode],
      inTab([
        {
          id: "sh1",
          type: "wa-sheets",
          spreadsheetId: SPREADSHEET,
          apiRoot: emulator.url,
          cacheSeconds: 60,
          staleSeconds: 300,
          requestsPerMinute: 60,
          ...sheets,
        },
        {
          id: "r1",
          type: "wa-sheets-read",
          sheets: "sh1",
          range: "Products!A:C",
          mode: "lookup",
          keyProperty: "payload",
          keyColumn: "A",
          headerRow: true,
          property: "product",
          wires: [["found"], ["missing"]],
          ...read,
        },
        {
          id: "w1",
          type: "wa-sheets-write",
          sheets: "sh1",
          range: "Products!A1",
          columns: "wa.message.id, payload",
          windowMs: 0,
          maxRows: 10,
          giveUpMinutes: 15,
          wires: [["written"], []],
        },
        helperNode("found"),
        helperNode("missing"),
        helperNode("written"),
        catchNode(),
        helperNode("errors"),
      ]),
      { sh1: { key: JSON.stringify(emulator.createServiceAccount()) } },
    );
  }

  const until = (check: () => boolean) => untilWithSockets(harness.clock(), check, 50);

  it("looks rows up by key through the cache: 50 look-ups, one call to Google", async () => {
    await load();
    const found = collect("found");
    const missing = collect("missing");
    for (let i = 0; i < 50; i += 1) getNode("r1").receive({ payload: i % 5 === 4 ? "NOPE" : i % 2 ? "TEA-1" : "COF-2" });
    await until(() => found.length + missing.length === 50);
    assert.equal(missing.length, 10);
    assert.deepEqual(found.find((m) => (m.payload as string) === "TEA-1")?.product, { sku: "TEA-1", name: "Green tea", price: 3.5 });
    assert.equal(emulator.counts.byMethod["values.get"], 1);
    const sources = new Set(found.map((m) => sheetsOf(m).read!.source));
    assert.ok(sources.has("cache") || sources.has("joined"), [...sources].join());
  });

  it("a write to the same sheet retires the cache, the next read sees the new row", async () => {
    await load();
    const found = collect("found");
    const missing = collect("missing");
    const written = collect("written");
    getNode("r1").receive({ payload: "NEW-9" });
    await until(() => missing.length === 1);
    getNode("w1").receive({ ...envelope("447700900001@c.us", "new product", "NEW-9") });
    await until(() => written.length === 1);
    getNode("r1").receive({ payload: "NEW-9" });
    await until(() => found.length === 1);
    assert.equal(sheetsOf(found[0]).read!.source, "fetched");
    assert.equal(emulator.counts.byMethod["values.get"] >= 2, true);
  });

  it("reads the whole range as objects, and serves stale values while Google is down", async () => {
    await load({ mode: "range", property: "payload" });
    const found = collect("found");
    getNode("r1").receive({});
    await until(() => found.length === 1);
    assert.deepEqual(found[0].payload, [
      { sku: "TEA-1", name: "Green tea", price: 3.5 },
      { sku: "COF-2", name: "Coffee", price: 4 },
    ]);
    emulator.faults.unavailableShare = 1;
    await harness.clock().advanceAsync(400_000);
    getNode("r1").receive({});
    await until(() => found.length === 2);
    assert.equal(sheetsOf(found[1]).read!.source, "stale-after-error");
  });

  it("a read that cannot be answered goes to Catch with the cause (unknown spreadsheet: sheets.notFound)", async () => {
    await load({ mode: "range" }, { spreadsheetId: "no-such-spreadsheet-123" });
    const errors = collect("errors");
    getNode("r1").receive({});
    await until(() => errors.length === 1);
    const error = errors[0].error as { message: string; code?: string };
    assert.equal(error.code, "sheets.notFound");
    assert.match(error.message, /could not be read \(Products!A:C\)/);
  });

  it("refuses a key column outside the range", async () => {
    await load({ keyColumn: "F" });
    const texts = getNode("r1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((text) => /Key column F is outside/.test(text)),
      texts.join(" | "),
    );
  });

  it("two connections sharing a cache store (as two instances sharing Redis do) share cached reads", async () => {
    const key = JSON.stringify(emulator.createServiceAccount());
    await helper.load(
      [sheetsNode, readNode, storeNode],
      inTab([
        { id: "st1", type: "wa-store", backend: "memory" },
        { id: "shA", type: "wa-sheets", spreadsheetId: SPREADSHEET, apiRoot: emulator.url, cacheStore: "st1" },
        { id: "shB", type: "wa-sheets", spreadsheetId: SPREADSHEET, apiRoot: emulator.url, cacheStore: "st1" },
        {
          id: "rA",
          type: "wa-sheets-read",
          sheets: "shA",
          range: "Products!A:C",
          mode: "range",
          headerRow: true,
          property: "payload",
          wires: [["found"], []],
        },
        {
          id: "rB",
          type: "wa-sheets-read",
          sheets: "shB",
          range: "Products!A:C",
          mode: "range",
          headerRow: true,
          property: "payload",
          wires: [["found"], []],
        },
        helperNode("found"),
      ]),
      { shA: { key }, shB: { key } },
    );
    const found = collect("found");
    getNode("rA").receive({});
    await until(() => found.length === 1);
    getNode("rB").receive({});
    await until(() => found.length === 2);
    assert.deepEqual(
      found.map((m) => sheetsOf(m).read!.source),
      ["fetched", "shared"],
    );
    assert.equal(emulator.counts.byMethod["values.get"], 1);
  });
});
