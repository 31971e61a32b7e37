import { sheetsOf } from "../support/envelope-parts";
import assert from "node:assert/strict";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import sheetsNode from "../../src/nodes/wa-sheets";
import writeNode from "../../src/nodes/wa-sheets-write";
import { collect, envelope, getNode, helper, helperNode, inTab, useNodeHarness } from "./harness";
import { replaceRuntimeWorld } from "../../src/nodes/kit/world";

const nodes = [sheetsNode, writeNode];
const SPREADSHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

describe("wa-sheets and wa-sheets-write against the emulator (service-account key, Google's client)", () => {
  const harness = useNodeHarness();
  let emulator: SheetsEmulator;
  beforeEach(async () => {
    emulator = new SheetsEmulator({ clock: harness.clock() });
    emulator.model.create(SPREADSHEET, "Shop", [{ title: "Log", rowCount: 1000, columnCount: 6 }]);
    await emulator.start();
  });
  afterEach(() => emulator.stop());

  async function load(key: object, write: Record<string, unknown> = {}) {
    await helper.load(
      nodes,
      inTab([
        {
          id: "sh1",
          type: "wa-sheets",
          spreadsheetId: SPREADSHEET,
          apiRoot: emulator.url,
          failureRate: 0.5,
          minimumCalls: 5,
          windowSeconds: 60,
          resetSeconds: 30,
        },
        {
          id: "w1",
          type: "wa-sheets-write",
          sheets: "sh1",
          range: "Log!A1",
          columns: "wa.message.id, wa.message.chatId, payload",
          windowMs: 500,
          maxRows: 100,
          giveUpMinutes: 15,
          wires: [["written"], ["dead"]],
          ...write,
        },
        helperNode("written"),
        helperNode("dead"),
      ]),
      { sh1: { key: JSON.stringify(key) } },
    );
  }

  /** Real HTTP to the emulator, the batch window on the fake clock. */
  async function until(check: () => boolean) {
    for (let i = 0; i < 400 && !check(); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await harness.clock().advanceAsync(250);
    }
    assert.ok(check(), "condition reached");
  }

  it("writes 30 messages as rows in one call, authenticated with the service account's own token", async () => {
    await load(emulator.createServiceAccount());
    const written = collect("written");
    for (let i = 0; i < 30; i += 1)
      getNode("w1").receive({ ...envelope(`4477009000${String(i % 3).padStart(2, "0")}@c.us`, `order ${i}`, `wamid.${i}`) });
    await until(() => written.length === 30);
    const rows = emulator.model.get(SPREADSHEET, "Log!A1:C100").values ?? [];
    assert.equal(rows.length, 30);
    assert.deepEqual(rows[0], ["wamid.0", "447700900000@c.us", "order 0"]);
    assert.equal(emulator.counts.byMethod["values.append"], 1, "one call for the batch");
    assert.deepEqual(sheetsOf(written[0]).write, { range: "Log!A1", key: "wamid.0", written: true });
  });

  it("when the flows stop, writes the rows waiting for their batch window before it closes (the drain)", async () => {
    await load(emulator.createServiceAccount(), { windowMs: 60_000 });
    for (let i = 0; i < 5; i += 1) getNode("w1").receive(envelope("447700900001@c.us", `order ${i}`, `wamid.drain.${i}`));
    await until(() => (getNode("w1").status.lastCall?.args[0] as { text?: string } | undefined)?.text?.includes("5 waiting") === true);
    const restore = replaceRuntimeWorld({ drainMs: 5_000 });
    try {
      let stopped = false;
      const stopping = helper.unload().then(() => (stopped = true));
      // The hurried batch is timed on the fake clock: move it on while the flows stop.
      await until(() => stopped);
      await stopping;
    } finally {
      restore();
    }
    assert.equal(
      (emulator.model.get(SPREADSHEET, "Log!A1:C10").values ?? []).length,
      5,
      "every waiting row was written before the node closed",
    );
    assert.equal(emulator.counts.byMethod["values.append"], 1, "in one call, without waiting for the minute's window");
    // The helper nodes downstream closed at once (Node-RED's own nodes do not drain): the rows are the witness.
  });

  it("writes a blank cell for a column whose property the message lacks (a stage left out of the flow)", async () => {
    await load(emulator.createServiceAccount(), { columns: "wa.message.id, wa.nlu.intent.label, payload" });
    const written = collect("written");
    getNode("w1").receive(envelope("447700900001@c.us", "no intent here", "wamid.plain"));
    await until(() => written.length === 1);
    assert.deepEqual(emulator.model.get(SPREADSHEET, "Log!A1:C1").values, [["wamid.plain", "", "no intent here"]]);
  });

  it("sends each message to the dead-letter output with the cause when the key was deleted", async () => {
    const key = emulator.createServiceAccount("deleted");
    emulator.revokeServiceAccount(key.client_email);
    await load(key);
    const dead = collect("dead");
    getNode("w1").receive(envelope("447700900001@c.us", "a", "wamid.a"));
    getNode("w1").receive(envelope("447700900001@c.us", "b", "wamid.b"));
    await until(() => dead.length === 2);
    const error = dead[0].error as { message: string; code?: string };
    assert.equal(error.code, "sheets.rejected");
    assert.match(error.message, /refused the service account deleted@.*account not found/);
  });

  it("Values: as text keeps a typed number and a formula as text; as if typed lets Sheets parse the number", async () => {
    const account = emulator.createServiceAccount();
    for (const option of ["RAW", "USER_ENTERED"] as const) {
      await load(account, { valueInput: option, columns: "wa.message.id, payload, topic" });
      const written = collect("written");
      getNode("w1").receive({ ...envelope("447700900001@c.us", "12", `wamid.${option}`), topic: "=SUM(1,2)" });
      await until(() => written.length === 1);
      await helper.unload();
    }
    const [raw, entered] = emulator.model.get(SPREADSHEET, "Log!A1:C2", "UNFORMATTED_VALUE").values ?? [];
    assert.deepEqual(raw, ["wamid.RAW", "12", "=SUM(1,2)"], "as text: a string and a formula's text");
    assert.equal(entered[1], 12, "as if typed: a number");
  });

  it("dead-letters only the row Google refuses; the rest are written", async () => {
    await load(emulator.createServiceAccount());
    const written = collect("written");
    const dead = collect("dead");
    getNode("w1").receive(envelope("447700900001@c.us", "fine", "wamid.1"));
    getNode("w1").receive(envelope("447700900001@c.us", "x".repeat(50_001), "wamid.2"));
    getNode("w1").receive(envelope("447700900001@c.us", "also fine", "wamid.3"));
    await until(() => written.length + dead.length === 3);
    assert.deepEqual(
      written.map((m) => m.payload),
      ["fine", "also fine"],
    );
    assert.match((dead[0].error as { message: string }).message, /50000 characters/);
  });

  it("puts itself out of action with the reason on a bad key or range", async () => {
    await load({ type: "authorized_user" });
    assert.match(String((helper.getNode("sh1") as unknown as { failure?: string }).failure), /service-account key/);
    await helper.unload();
    await load(emulator.createServiceAccount(), { range: "Log!C3:A1" });
    const status = (getNode("w1").status.lastCall?.args[0] ?? {}) as { text?: string };
    assert.match(String(status.text), /Range: A1 notation/);
  });

  it("upsert: updates the row that has the key, appends the others, in one key read, one update and one append", async () => {
    emulator.model.update(
      SPREADSHEET,
      "Log!A1",
      [
        ["order-1", "447700900001@c.us", "new"],
        ["order-9", "447700900009@c.us", "new"],
      ],
      "RAW",
    );
    await load(emulator.createServiceAccount(), { mode: "upsert", columns: "orderId, wa.message.chatId, payload" });
    const written = collect("written");
    const at = (orderId: string, status: string) => ({ ...envelope("447700900001@c.us", status, `wamid.${orderId}.${status}`), orderId });
    getNode("w1").receive(at("order-1", "paid"));
    getNode("w1").receive(at("order-2", "new"));
    getNode("w1").receive(at("order-2", "paid"));
    await until(() => written.length === 3);
    assert.deepEqual(emulator.model.get(SPREADSHEET, "Log!A1:C10").values, [
      ["order-1", "447700900001@c.us", "paid"],
      ["order-9", "447700900009@c.us", "new"],
      ["order-2", "447700900001@c.us", "paid"],
    ]);
    assert.deepEqual(
      [emulator.counts.byMethod["values.get"], emulator.counts.byMethod["values.batchUpdate"], emulator.counts.byMethod["values.append"]],
      [1, 1, 1],
    );
    assert.equal(sheetsOf(written[0]).write!.mode, "upsert");
  });

  it("bad input: a bad range, too many columns, an unknown spreadsheet each dead-letter their messages with the cause; the good rows are written, formulas stay text", async () => {
    emulator.model.create("narrow-spreadsheet-01", "Narrow", [{ title: "Two", rowCount: 100, columnCount: 2 }]);
    const key = JSON.stringify(emulator.createServiceAccount());
    const columns = "wa.message.id, wa.message.chatId, payload";
    await helper.load(
      nodes,
      inTab([
        { id: "sh1", type: "wa-sheets", spreadsheetId: SPREADSHEET, apiRoot: emulator.url },
        { id: "sh2", type: "wa-sheets", spreadsheetId: "narrow-spreadsheet-01", apiRoot: emulator.url },
        { id: "sh3", type: "wa-sheets", spreadsheetId: "no-such-spreadsheet-9", apiRoot: emulator.url },
        {
          id: "good",
          type: "wa-sheets-write",
          sheets: "sh1",
          range: "Log!A1",
          columns,
          windowMs: 100,
          maxRows: 100,
          giveUpMinutes: 15,
          wires: [["written"], ["dead"]],
        },
        {
          id: "badRange",
          type: "wa-sheets-write",
          sheets: "sh1",
          range: "Nope!A1",
          columns,
          windowMs: 100,
          maxRows: 100,
          giveUpMinutes: 15,
          wires: [["written"], ["dead"]],
        },
        {
          id: "tooWide",
          type: "wa-sheets-write",
          sheets: "sh2",
          range: "Two!A1",
          columns,
          windowMs: 100,
          maxRows: 100,
          giveUpMinutes: 15,
          wires: [["written"], ["dead"]],
        },
        {
          id: "unknown",
          type: "wa-sheets-write",
          sheets: "sh3",
          range: "Log!A1",
          columns,
          windowMs: 100,
          maxRows: 100,
          giveUpMinutes: 15,
          wires: [["written"], ["dead"]],
        },
        helperNode("written"),
        helperNode("dead"),
      ]),
      { sh1: { key }, sh2: { key }, sh3: { key } },
    );
    const written = collect("written");
    const dead = collect("dead");
    getNode("good").receive(envelope("447700900001@c.us", '=IMPORTXML("http://evil.example", "//a")', "wamid.good1"));
    getNode("good").receive(envelope("447700900001@c.us", "+44 7700 900001", "wamid.good2"));
    getNode("badRange").receive(envelope("447700900001@c.us", "x", "wamid.range"));
    getNode("tooWide").receive(envelope("447700900001@c.us", "x", "wamid.wide"));
    getNode("unknown").receive(envelope("447700900001@c.us", "x", "wamid.unknown"));
    await until(() => written.length + dead.length === 5);
    assert.deepEqual(written.map((m) => sheetsOf(m).write!.key).sort(), ["wamid.good1", "wamid.good2"]);
    const cause = (id: string) =>
      (dead.find((m) => (m.wa as { message: { id: string } }).message.id === id)?.error ?? {}) as { code?: string; message?: string };
    assert.equal(cause("wamid.range").code, "sheets.rejected");
    assert.match(String(cause("wamid.range").message), /Unable to parse range: Nope!/);
    assert.match(String(cause("wamid.wide").message), /exceeds grid limits/);
    assert.match(String(cause("wamid.unknown").message), /Requested entity was not found/);
    const rows = emulator.model.get(SPREADSHEET, "Log!A1:C2", "FORMULA").values ?? [];
    assert.equal(rows[0][2], '=IMPORTXML("http://evil.example", "//a")', "kept as text, not run as a formula");
    assert.equal(rows[1][2], "+44 7700 900001", "a phone number stays as typed");
  });
});
