/**
 * The bundled wa-intent example run by the batch command over whatsapp-gold dev, one message at
 * a time: milliseconds each node spends per message inside a real Node-RED runtime, and the
 * flow's entities, sentiment and threads scored with the data set's scorer.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeTiming } from "../src/batch/node-timings";
import { EvalRow } from "./threads";

export function nodeTimingSection(root: string, data: string, rows: EvalRow[]): void {
  const cli = join(root, "dist", "batch", "cli.js");
  if (!existsSync(cli)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  const work = mkdtempSync(join(tmpdir(), "wa-eval-nodes-"));
  try {
    const gold = join(data, "whatsapp-gold", "dev.jsonl");
    const output = join(work, "out.jsonl");
    const timingsFile = join(work, "timings.json");
    const started = Date.now();
    execFileSync(
      process.execPath,
      [
        cli,
        "--flow",
        join(root, "examples", "wa-intent.json"),
        "--input",
        gold,
        "--output",
        output,
        "--concurrency",
        "1",
        "--timings",
        timingsFile,
      ],
      { cwd: root, stdio: "ignore" },
    );
    const seconds = (Date.now() - started) / 1000;
    const timings = JSON.parse(readFileSync(timingsFile, "utf8")) as NodeTiming[];
    for (const t of timings.filter((t) => t.type.startsWith("wa-"))) {
      rows.push({
        section: "nodes",
        dataset: `${t.type}${t.name ? ` (${t.name})` : ""} in the wa-intent example (Node-RED, whatsapp-gold dev)`,
        metric: "ms per message",
        value: t.msPerMessage,
        target: "< 2",
        note: `${t.messages} deliveries; first ${t.firstMs.toFixed(1)} ms, slowest after it ${t.maxMs.toFixed(1)} ms`,
      });
    }
    // The scorer wants labels and thread ids where the flow puts objects.
    const predictions = join(work, "predictions.jsonl");
    const lines = readFileSync(output, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; entities?: unknown; sentiment?: { label?: string }; thread?: { id?: string } });
    writeFileSync(
      predictions,
      `${lines.map((l) => JSON.stringify({ id: l.id, entities: l.entities ?? [], sentiment: l.sentiment?.label, thread: l.thread?.id })).join("\n")}\n`,
    );
    const scored = execFileSync(process.execPath, [join(data, "whatsapp-gold", "score.mjs"), gold, predictions], { encoding: "utf8" });
    const summary = Object.fromEntries(
      [...(/^SUMMARY (.*)$/m.exec(scored)?.[1] ?? "").matchAll(/(\w+)=([\d.]+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    rows.push({
      section: "nodes",
      dataset: "wa-intent example through wapipe-batch, scored with score.mjs",
      metric: "entity value micro-F1",
      value: summary.entity_value_micro_f1 ?? 0,
      note: `thread pairwise F1 ${summary.thread_pairwise_f1?.toFixed(3)}, sentiment macro-F1 ${summary.sentiment_macro_f1?.toFixed(3)}; ${seconds.toFixed(1)} s for 255 messages one at a time, start-up included`,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
