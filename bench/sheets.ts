/**
 * Google Sheets write-back and read figures against the bundled emulator (Google's client,
 * a fake clock, the proof's faults: 30 % 429s, 5 % lost answers, a 2-minute outage):
 * API calls of the pack's batched writer against the naive one-append-per-message flow, and
 * read calls with the cache against one read per message. Writes bench/results/sheets.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROOF_FAULTS, batchedWorkload, cachedReadWorkload, naiveWorkload } from "../test/support/sheets-workload";
import { provenance } from "./provenance";

// Where the figures come from, taken before measuring (the tree may change while a run goes on).
const origin = provenance();

const ROWS = Number(process.env.BENCH_SHEETS_ROWS ?? 10_000);

async function main(): Promise<void> {
  const started = Date.now();
  const ours = await batchedWorkload({ rows: ROWS, faults: PROOF_FAULTS });
  const naive = await naiveWorkload({ rows: ROWS, faults: PROOF_FAULTS });
  const reads = await cachedReadWorkload(ROWS, 60);
  const writeCalls = ours.totalCalls + reads.readCalls;
  const naiveCalls = naive.totalCalls + reads.naiveReadCalls;
  const report = {
    ...origin,
    command: "npm run bench (bench/sheets.ts)",
    rows: ROWS,
    faults: "30 % 429, 5 % lost answers, 2-minute outage",
    ours,
    naive,
    writeCallRatio: ours.totalCalls / naive.totalCalls,
    reads,
    quota: { oursCalls: writeCalls, naiveCalls, ratio: writeCalls / naiveCalls },
    wallSeconds: (Date.now() - started) / 1000,
  };
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  console.log(`Sheets write-back, ${ROWS} messages (${report.faults}):`);
  console.log(
    `  ours : ${ours.totalCalls} calls (${ours.appendCalls} appends, ${ours.keyChecks} key checks), ${ours.duplicates} duplicates, ${ours.missing} missing, breaker ${ours.breakerStates.join(" → ")}`,
  );
  console.log(`  naive: ${naive.totalCalls} calls, ${naive.duplicates} duplicates, ${naive.missing} missing`);
  console.log(`  write calls, ours / naive: ${pct(report.writeCallRatio)}`);
  console.log(
    `Sheets reads, ${ROWS} look-ups over ${reads.simulatedMinutes} min: ${reads.readCalls} calls with the cache (hit rate ${pct(reads.hitRate)}) against ${reads.naiveReadCalls}`,
  );
  console.log(`Quota used, writes + reads, ours / naive: ${writeCalls} / ${naiveCalls} = ${pct(report.quota.ratio)}`);
  const outDir = join(__dirname, "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "sheets.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log("written to bench/results/sheets.json");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
