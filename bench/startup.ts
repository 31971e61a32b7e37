import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { provenance } from "./provenance";

// `npm start` on this checkout (dependencies installed), as a user runs it: how long until the editor answers
// and until the quick-start flow is running. Writes bench/results/startup.json.

const ROOT = join(__dirname, "..");
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 3);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function oneStart(): Promise<{ editorSeconds: number; flowsSeconds: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let flowsSeconds = Number.NaN;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (Number.isNaN(flowsSeconds) && /Started flows/.test(output)) flowsSeconds = (performance.now() - started) / 1000;
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start ended (${child.exitCode}): ${output.slice(-500)}`);
      if (performance.now() - started > 120_000) throw new Error(`the editor did not answer within 120 s: ${output.slice(-500)}`);
      const answered = await fetch(`http://127.0.0.1:${port}/`).then(
        (response) => response.ok,
        () => false,
      );
      if (answered) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const editorSeconds = (performance.now() - started) / 1000;
    while (Number.isNaN(flowsSeconds) && performance.now() - started < 120_000) await new Promise((resolve) => setTimeout(resolve, 50));
    return { editorSeconds, flowsSeconds };
  } finally {
    // npm, bash and Node-RED share the process group started above.
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve)));
  }
}

async function main(): Promise<void> {
  const origin = provenance();
  // The first start after an install or an update compiles the pack; the ones after find it built.
  rmSync(join(ROOT, "dist", ".build-inputs"), { force: true });
  const firstStart = await oneStart();
  console.log(`npm start, building first: editor answering after ${firstStart.editorSeconds.toFixed(1)} s`);
  const runs: { editorSeconds: number; flowsSeconds: number }[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    runs.push(await oneStart());
    console.log(
      `npm start ${i + 1}: editor answering after ${runs[i].editorSeconds.toFixed(1)} s, flows started after ${runs[i].flowsSeconds.toFixed(1)} s`,
    );
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const result = {
    ...origin,
    command: "npm run bench (bench/startup.ts)",
    firstStart,
    runs,
    editorSecondsMedian: median(runs.map((r) => r.editorSeconds)),
    flowsSecondsMedian: median(runs.map((r) => r.flowsSeconds)),
  };
  mkdirSync(join(__dirname, "results"), { recursive: true });
  writeFileSync(join(__dirname, "results", "startup.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("written to bench/results/startup.json");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
