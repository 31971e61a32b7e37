import assert from "node:assert/strict";
import { sheets as sheetsApi, sheets_v4 } from "@googleapis/sheets";
import { FakeClock } from "../../src/core/clock";
import { columnIndex, columnLetters, parseA1 } from "../../src/core/sheets/a1";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";

const TOKEN = "ya29.emulator-token";

/** Google's own client, pointed at the emulator: what a user's flow will run. */
function googleClient(url: string, token = TOKEN): sheets_v4.Sheets {
  return sheetsApi({
    version: "v4",
    rootUrl: `${url}/`,
    headers: { Authorization: `Bearer ${token}` },
    retry: false,
  } as unknown as sheets_v4.Options);
}

async function status(promise: Promise<unknown>): Promise<{ code: number; status?: string; message: string }> {
  try {
    await promise;
    return { code: 200, message: "" };
  } catch (error) {
    const e = error as { status?: number; code?: number | string; response?: { data?: { error?: { status?: string; message?: string } } } };
    return { code: Number(e.status ?? e.code), status: e.response?.data?.error?.status, message: e.response?.data?.error?.message ?? "" };
  }
}

describe("A1 notation", () => {
  it("reads the forms Google takes", () => {
    assert.deepEqual(parseA1("Sheet1!A1:C10"), { sheet: "Sheet1", startRow: 0, startColumn: 0, endRow: 10, endColumn: 3 });
    assert.deepEqual(parseA1("'Orders 2026'!B:B"), { sheet: "Orders 2026", startRow: 0, startColumn: 1, endRow: undefined, endColumn: 2 });
    assert.deepEqual(parseA1("Sheet1!2:5"), { sheet: "Sheet1", startRow: 1, startColumn: 0, endRow: 5, endColumn: undefined });
    assert.deepEqual(parseA1("Orders"), { sheet: "Orders", startRow: 0, startColumn: 0 });
    assert.deepEqual(parseA1("B2"), { sheet: undefined, startRow: 1, startColumn: 1, endRow: 2, endColumn: 2 });
    assert.equal(columnIndex("AA"), 26);
    assert.equal(columnLetters(27), "AB");
    assert.throws(() => parseA1("Sheet1!C3:A1"), /Unable to parse range/);
    assert.throws(() => parseA1("Sheet1!A0"), /Unable to parse range/);
  });
});

describe("Sheets v4 emulator, driven by Google's own client (@googleapis/sheets)", () => {
  let emulator: SheetsEmulator;
  let clock: FakeClock;
  let api: sheets_v4.Sheets;

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2026, 10, 25, 9));
    emulator = new SheetsEmulator({ clock, random: () => 0.99, tokens: [TOKEN, "second-user"], revokedTokens: ["revoked"] });
    emulator.model.create("sheet123", "Shop", [{ title: "Orders", rowCount: 5, columnCount: 4 }, { title: "Products" }]);
    api = googleClient(await emulator.start());
  });
  afterEach(() => emulator.stop());

  it("appends rows after the table, reads them back, and counts the calls", async () => {
    const first = await api.spreadsheets.values.append({
      spreadsheetId: "sheet123",
      range: "Orders!A1",
      valueInputOption: "RAW",
      requestBody: { values: [["id", "chat", "total"]] },
    });
    assert.equal(first.data.updates?.updatedRange, "Orders!A1:C1");
    const second = await api.spreadsheets.values.append({
      spreadsheetId: "sheet123",
      range: "Orders!A:C",
      valueInputOption: "USER_ENTERED",
      requestBody: {
        values: [
          ["o-1", "447700900123@c.us", "12.50"],
          ["o-2", "447700900456@c.us", "=B2"],
        ],
      },
    });
    assert.equal(second.data.tableRange, "Orders!A1:C1");
    assert.equal(second.data.updates?.updatedRange, "Orders!A2:C3");
    assert.equal(second.data.updates?.updatedCells, 6);
    const read = await api.spreadsheets.values.get({ spreadsheetId: "sheet123", range: "Orders!A1:D10" });
    assert.deepEqual(read.data.values, [
      ["id", "chat", "total"],
      ["o-1", "447700900123@c.us", "12.5"],
      ["o-2", "447700900456@c.us", "=B2"],
    ]);
    const unformatted = await api.spreadsheets.values.get({
      spreadsheetId: "sheet123",
      range: "Orders!C2",
      valueRenderOption: "UNFORMATTED_VALUE",
    });
    assert.deepEqual(unformatted.data.values, [[12.5]]);
    assert.deepEqual(emulator.counts.byMethod, { "values.append": 2, "values.get": 2 });
  });

  it("grows the sheet when appends pass its last row; refuses updates outside the grid", async () => {
    for (let i = 0; i < 7; i += 1)
      await api.spreadsheets.values.append({
        spreadsheetId: "sheet123",
        range: "Orders",
        valueInputOption: "RAW",
        requestBody: { values: [[`row ${i}`]] },
      });
    const meta = await api.spreadsheets.get({ spreadsheetId: "sheet123" });
    assert.equal(meta.data.sheets?.[0].properties?.gridProperties?.rowCount, 7);
    const outside = await status(
      api.spreadsheets.values.update({
        spreadsheetId: "sheet123",
        range: "Orders!E1",
        valueInputOption: "RAW",
        requestBody: { values: [["x"]] },
      }),
    );
    assert.equal(outside.code, 400);
    assert.equal(outside.status, "INVALID_ARGUMENT");
    assert.match(outside.message, /exceeds grid limits/);
  });

  it("updates, batch-updates all or nothing, batch-gets and clears", async () => {
    await api.spreadsheets.values.update({
      spreadsheetId: "sheet123",
      range: "Products!A1:B2",
      valueInputOption: "RAW",
      requestBody: {
        values: [
          ["sku", "name"],
          ["h-1", "Hoodie"],
        ],
      },
    });
    const bad = await status(
      api.spreadsheets.values.batchUpdate({
        spreadsheetId: "sheet123",
        requestBody: {
          valueInputOption: "RAW",
          data: [
            { range: "Products!A3", values: [["h-2"]] },
            { range: "Nope!A1", values: [["x"]] },
          ],
        },
      }),
    );
    assert.equal(bad.code, 400);
    const both = await api.spreadsheets.values.batchGet({ spreadsheetId: "sheet123", ranges: ["Products!A1:B3", "Orders!A1"] });
    assert.deepEqual(
      both.data.valueRanges?.[0].values,
      [
        ["sku", "name"],
        ["h-1", "Hoodie"],
      ],
      "nothing of the failed batch was written",
    );
    await api.spreadsheets.values.clear({ spreadsheetId: "sheet123", range: "Products!B2" });
    const after = await api.spreadsheets.values.get({ spreadsheetId: "sheet123", range: "Products!A1:B2" });
    assert.deepEqual(after.data.values, [["sku", "name"], ["h-1"]]);
  });

  it("answers bad input as Google does: a cell over 50,000 characters, a bad range, an unknown spreadsheet", async () => {
    const long = await status(
      api.spreadsheets.values.append({
        spreadsheetId: "sheet123",
        range: "Orders!A1",
        valueInputOption: "RAW",
        requestBody: { values: [["x".repeat(50_001)]] },
      }),
    );
    assert.equal(long.code, 400);
    assert.match(long.message, /maximum of 50000 characters in a single cell/);
    const range = await status(api.spreadsheets.values.get({ spreadsheetId: "sheet123", range: "Orders!ZZZZ1" }));
    assert.equal(range.status, "INVALID_ARGUMENT");
    const unknown = await status(api.spreadsheets.values.get({ spreadsheetId: "missing", range: "A1" }));
    assert.deepEqual([unknown.code, unknown.status], [404, "NOT_FOUND"]);
    const noOption = await status(
      api.spreadsheets.values.update({ spreadsheetId: "sheet123", range: "Orders!A1", requestBody: { values: [["x"]] } }),
    );
    assert.equal(noOption.code, 400);
  });

  it("refuses an unknown token (401) and a revoked key (403)", async () => {
    const revoked = await status(googleClient(emulator.url, "revoked").spreadsheets.get({ spreadsheetId: "sheet123" }));
    assert.deepEqual([revoked.code, revoked.status], [403, "PERMISSION_DENIED"]);
    const unknown = await status(googleClient(emulator.url, "stranger").spreadsheets.get({ spreadsheetId: "sheet123" }));
    assert.deepEqual([unknown.code, unknown.status], [401, "UNAUTHENTICATED"]);
  });

  it("enforces per-minute quotas per user and per project, and starts afresh the next minute", async () => {
    const limited = new SheetsEmulator({ clock, quotas: { writePerMinutePerUser: 3, writePerMinutePerProject: 4 } });
    limited.model.create("s", "S");
    await limited.start();
    try {
      const one = googleClient(limited.url, "user-1");
      const two = googleClient(limited.url, "user-2");
      const write = (client: sheets_v4.Sheets) =>
        status(
          client.spreadsheets.values.append({
            spreadsheetId: "s",
            range: "Sheet1",
            valueInputOption: "RAW",
            requestBody: { values: [["x"]] },
          }),
        );
      const codes = [await write(one), await write(one), await write(one), await write(one), await write(two), await write(two)].map(
        (r) => r.code,
      );
      assert.deepEqual(codes, [200, 200, 200, 429, 200, 429], "3 per user, 4 for the project");
      const exhausted = await write(one);
      assert.equal(exhausted.status, "RESOURCE_EXHAUSTED");
      assert.match(exhausted.message, /Quota exceeded for quota metric 'Write requests'/);
      clock.advance(60_000);
      assert.equal((await write(one)).code, 200);
      assert.equal(limited.counts.rejectedByQuota, 3);
    } finally {
      await limited.stop();
    }
  });

  it("injects faults: 429 storms, 500/503, outage windows, dropped connections", async () => {
    let roll = 0;
    const rolls = [0.1, 0.35, 0.55, 0.75, 0.95];
    const faulty = new SheetsEmulator({ clock, random: () => rolls[roll++ % rolls.length] });
    faulty.model.create("s", "S");
    await faulty.start();
    try {
      faulty.setFaults({ rateLimitShare: 0.3, internalErrorShare: 0.2, unavailableShare: 0.2, dropShare: 0.2 });
      const client = googleClient(faulty.url);
      const results: (number | string)[] = [];
      for (let i = 0; i < 5; i += 1) {
        const r = await status(client.spreadsheets.values.get({ spreadsheetId: "s", range: "A1" }));
        results.push(Number.isNaN(r.code) ? "dropped" : r.code);
      }
      // Rolls 0.1, 0.35, 0.55, 0.75, 0.95 against 30 % 429, 20 % 500, 20 % 503, 20 % dropped.
      assert.deepEqual(results, [429, 500, 503, "dropped", 200]);
      faulty.setFaults({ outages: [{ from: clock.now(), until: clock.now() + 120_000 }] });
      assert.equal((await status(client.spreadsheets.values.get({ spreadsheetId: "s", range: "A1" }))).code, 503);
      clock.advance(120_000);
      assert.equal((await status(client.spreadsheets.values.get({ spreadsheetId: "s", range: "A1" }))).code, 200, "the outage ends");
      assert.equal(faulty.counts.faultsInjected, 5, "four rolled faults and one outage answer");
    } finally {
      await faulty.stop();
    }
  });
});
