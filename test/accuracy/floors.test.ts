import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePrerequisite } from "../support/prerequisite";

const root = join(__dirname, "..", "..");
const DATA = process.env.EVAL_DATA ?? join(root, "..", "shared", "data");
const COMMITTED = join(root, "eval", "results", "latest.json");

interface Row {
  section: string;
  dataset: string;
  metric: string;
  value: number;
}

/** Figures that are accuracies (higher is better) or error rates (lower is better); timings are the benchmarks' business. */
function direction(row: Row): "higher" | "lower" | undefined {
  if (/error rate|\bCER\b|\bWER\b/.test(row.metric)) return "lower";
  if (/F1|accuracy|recall|pass rate|fields extracted/i.test(row.metric)) return "higher";
  return undefined;
}

/** How far a figure may fall below the committed one before CI fails: a few points, more for small sets. */
const MARGIN = 0.03;

describe("accuracy floors: npm run eval on the shared data against the committed figures", function () {
  this.timeout(900_000);
  let dir: string;
  let fresh: Row[] = [];
  let committed: Row[] = [];

  before(async function () {
    requirePrerequisite(this, existsSync(DATA), `no development data at ${DATA} (../shared/data beside the checkout)`);
    committed = (JSON.parse(readFileSync(COMMITTED, "utf8")) as { rows: Row[] }).rows;
    dir = mkdtempSync(join(tmpdir(), "wa-floors-"));
    const out = join(dir, "eval.json");
    // The eval itself, as `npm run eval` runs it (its folds are fixed), written beside the committed file, not over it.
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "eval", "run.ts")],
        { cwd: root, env: { ...process.env, EVAL_OUT: out, EVAL_DATA: DATA }, maxBuffer: 64 * 1024 * 1024 },
        (error, _stdout, stderr) =>
          error ? reject(new Error(`npm run eval failed: ${error.message}\n${stderr.slice(-2000)}`)) : resolve(),
      ),
    );
    fresh = (JSON.parse(readFileSync(out, "utf8")) as { rows: Row[] }).rows;
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("measures every accuracy figure the committed results hold", () => {
    const key = (r: Row) => `${r.section} | ${r.dataset} | ${r.metric}`;
    const measured = new Set(fresh.map(key));
    const guarded = committed.filter((r) => direction(r) !== undefined);
    assert.ok(guarded.length >= 30, `${guarded.length} accuracy figures guarded`);
    assert.deepEqual(guarded.filter((r) => !measured.has(key(r))).map(key), [], "every committed accuracy figure is still measured");
  });

  it(`stays within ${MARGIN} of every committed accuracy figure (no regression)`, () => {
    const key = (r: Row) => `${r.section} | ${r.dataset} | ${r.metric}`;
    const now = new Map(fresh.map((r) => [key(r), r.value]));
    const regressions: string[] = [];
    for (const row of committed) {
      const way = direction(row);
      const value = now.get(key(row));
      if (!way || value === undefined) continue;
      const worse = way === "higher" ? value < row.value - MARGIN : value > row.value + MARGIN;
      if (worse) regressions.push(`${key(row)}: ${value.toFixed(4)} (committed ${row.value.toFixed(4)})`);
    }
    assert.deepEqual(regressions, []);
  });
});
