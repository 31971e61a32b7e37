import assert from "node:assert/strict";
import { CircuitBreaker } from "../../src/core/resilience/circuit-breaker";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import sheetsNode from "../../src/nodes/wa-sheets";
import writeNode from "../../src/nodes/wa-sheets-write";
import { PROOF_FAULTS, batchedWorkload, naiveWorkload } from "../support/sheets-workload";
import { collect, envelope, getNode, helper, helperNode, inTab, useNodeHarness } from "./harness";

const SPREADSHEET = "proof-spreadsheet-0001";
const MESSAGES = 10_000;

function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

describe("Sheets write-back proofs (emulator, Google's client, fake clock)", function () {
  this.timeout(180_000);
  const harness = useNodeHarness();

  it(`${MESSAGES} messages through wa-sheets-write with 30 % 429s and a 2-minute outage: every row once, the breaker opens and recovers`, async () => {
    const clock = harness.clock();
    const emulator = new SheetsEmulator({ clock, random: seeded(3) });
    emulator.model.create(SPREADSHEET, "Proof", [{ title: "Log", rowCount: MESSAGES + 100, columnCount: 4 }]);
    await emulator.start();
    const start = clock.now();
    emulator.setFaults({ ...PROOF_FAULTS, outages: [{ from: start + 10_000, until: start + 130_000 }] });
    try {
      await helper.load(
        [sheetsNode, writeNode],
        inTab([
          {
            id: "sh1",
            type: "wa-sheets",
            spreadsheetId: SPREADSHEET,
            apiRoot: emulator.url,
            failureRate: 0.5,
            minimumCalls: 5,
            windowSeconds: 30,
            resetSeconds: 20,
            requestsPerMinute: 60,
          },
          {
            id: "w1",
            type: "wa-sheets-write",
            sheets: "sh1",
            range: "Log!A1",
            columns: "wa.message.id, wa.message.chatId, payload",
            windowMs: 1000,
            maxRows: 100,
            giveUpMinutes: 60,
            wires: [["written"], ["dead"]],
          },
          helperNode("written"),
          helperNode("dead"),
        ]),
        { sh1: { key: JSON.stringify(emulator.createServiceAccount("proof")) } },
      );
      const breakerStates: string[] = [];
      (helper.getNode("sh1") as unknown as { breaker: CircuitBreaker }).breaker.onChange((state) => breakerStates.push(state));
      const written = collect("written");
      const dead = collect("dead");
      for (let i = 0; i < MESSAGES; i += 1) {
        getNode("w1").receive(
          envelope(`447700900${String(i % 200).padStart(3, "0")}@c.us`, `order ${i}`, `wamid.${String(i).padStart(6, "0")}`),
        );
        if (i % 50 === 49) await clock.advanceAsync(100);
      }
      for (let round = 0; written.length + dead.length < MESSAGES && round < 100_000; round += 1) {
        await new Promise((resolve) => setImmediate(resolve));
        await clock.advanceAsync(250);
      }
      assert.equal(
        dead.length,
        0,
        dead
          .slice(0, 3)
          .map((m) => JSON.stringify(m.error))
          .join("\n"),
      );
      assert.equal(written.length, MESSAGES);
      emulator.setFaults({});
      const keys = (emulator.model.get(SPREADSHEET, "Log!A:A").values ?? []).map((row) => String(row[0]));
      assert.equal(keys.length, MESSAGES, "as many rows as messages");
      assert.equal(new Set(keys).size, MESSAGES, "each row once");
      assert.ok(breakerStates.includes("open"), `breaker: ${breakerStates.join(" → ")}`);
      assert.equal(breakerStates[breakerStates.length - 1], "closed");
      const calls = emulator.counts.total;
      assert.ok(calls <= MESSAGES * 0.1, `${calls} calls`);
      console.log(
        `      ${MESSAGES} rows, each once: ${emulator.counts.byMethod["values.append"]} appends, ${emulator.counts.byMethod["values.get"] ?? 0} key checks, ${calls} calls in all (incl. tokens); breaker ${breakerStates.join(" → ")}`,
      );
    } finally {
      await emulator.stop();
    }
  });

  it("the naive flow (an append per message, retried) against ours on the same workload: ours makes at most 10 % of its calls, and no duplicates", async () => {
    const ours = await batchedWorkload({ rows: MESSAGES, faults: PROOF_FAULTS });
    const naive = await naiveWorkload({ rows: MESSAGES, faults: PROOF_FAULTS });
    const ratio = ours.totalCalls / naive.totalCalls;
    console.log(`      naive: ${naive.totalCalls} calls, ${naive.duplicates} duplicate rows, ${naive.missing} missing`);
    console.log(
      `      ours:  ${ours.totalCalls} calls (${(ratio * 100).toFixed(1)} % of naive), ${ours.duplicates} duplicates, ${ours.missing} missing`,
    );
    assert.deepEqual([ours.duplicates, ours.missing, ours.deadLettered], [0, 0, 0]);
    assert.ok(ratio <= 0.1, `ratio ${ratio}`);
    assert.ok(naive.duplicates > 0, "the naive flow writes a row twice when an answer is lost after the write");
  });
});
