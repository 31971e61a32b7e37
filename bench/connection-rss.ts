import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { provenance } from "./provenance";

// Memory of one WhatsApp connection of each phone-linked kind, as a user's Node-RED process holds it: a process
// (the compiled pack, as Node-RED loads it) opens one connection and the RSS of it and all its children (the
// browser of whatsapp-web.js) is sampled for a while; a process that opens none is the baseline. WhatsApp cannot be
// reached from here, so both kinds sit at "cannot connect, retrying": whatsapp-web.js with its Chromium started on
// a page that never loads (a lower bound: a loaded WhatsApp Web app is heavier), Baileys with its socket closed.
// Writes bench/results/connection-rss.json. Needs `npm run build` first.

const ROOT = join(__dirname, "..");
const SECONDS = Number(process.env.BENCH_RSS_SECONDS ?? 40);
const KINDS = ["none", "baileys", "whatsapp-web"] as const;

const CHILD = `
const { systemClock } = require(${JSON.stringify(join(ROOT, "dist", "core", "clock.js"))});
const kind = process.argv[1];
const userDir = process.argv[2];
(async () => {
  if (kind === "baileys") {
    const { createBaileysTransport } = require(${JSON.stringify(join(ROOT, "dist", "core", "transport", "baileys-client.js"))});
    const t = createBaileysTransport({ sessionId: "rss", userDir, pairingPhoneNumber: "", includeOwn: false }, systemClock);
    t.onStateChange((s, d) => console.error("state", s, d ?? ""));
    t.start();
  } else if (kind === "whatsapp-web") {
    const { createWwebjsTransport } = require(${JSON.stringify(join(ROOT, "dist", "core", "transport", "wwebjs-client.js"))});
    const t = createWwebjsTransport({ sessionId: "rss", userDir, chromiumPath: "", headless: true, extraArgs: [], includeOwn: false, pairingPhoneNumber: "" }, systemClock);
    t.onStateChange((s, d) => console.error("state", s, d ?? ""));
    t.start();
  }
  setInterval(() => undefined, 1000);
})();
`;

/**
 * Memory in MB of a process and all its descendants: the sum of RSS, and of PSS (shared pages divided among the
 * processes that share them: Chromium's many processes share most of their libraries, so their RSS sum overstates).
 */
function treeMemoryMb(pid: number): { rss: number; pss: number } {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,rss="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number));
  const inTree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of rows) {
      if (inTree.has(parent) && !inTree.has(child)) {
        inTree.add(child);
        grew = true;
      }
    }
  }
  let rss = 0;
  let pss = 0;
  for (const [child, , childRss] of rows) {
    if (!inTree.has(child)) continue;
    rss += childRss;
    try {
      pss += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${child}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {
      // The process ended between ps and here.
    }
  }
  return { rss: rss / 1024, pss: pss / 1024 };
}

const median = (values: number[]) => Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);
const peak = (values: number[]) => Math.round(Math.max(...values));

async function measure(kind: (typeof KINDS)[number]) {
  const userDir = mkdtempSync(join(tmpdir(), "wa-rss-"));
  const child = spawn(process.execPath, ["-e", CHILD, kind, userDir], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const states: string[] = [];
  child.stderr.on("data", (chunk: Buffer) =>
    states.push(
      ...chunk
        .toString()
        .trim()
        .split("\n")
        .filter((line) => line.startsWith("state")),
    ),
  );
  const samples: { rss: number; pss: number }[] = [];
  const end = Date.now() + SECONDS * 1000;
  // The first seconds are loading; what a connection holds while it runs is sampled after them.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  while (Date.now() < end) {
    samples.push(treeMemoryMb(child.pid!));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.kill(-child.pid!, "SIGKILL");
  rmSync(userDir, { recursive: true, force: true });
  const pss = samples.map((s) => s.pss);
  const rss = samples.map((s) => s.rss);
  return {
    kind,
    medianPssMb: median(pss),
    peakPssMb: peak(pss),
    medianRssSumMb: median(rss),
    samples: samples.length,
    states: [...new Set(states.map((s) => s.slice(0, 120)))].slice(0, 6),
  };
}

async function main(): Promise<void> {
  const origin = provenance();
  const results = [];
  for (const kind of KINDS) {
    const result = await measure(kind);
    console.log(
      `${kind}: PSS median ${result.medianPssMb} MB, peak ${result.peakPssMb} MB; RSS sum median ${result.medianRssSumMb} MB (${result.samples} samples)`,
    );
    results.push(result);
  }
  const baseline = results[0];
  writeFileSync(
    join(ROOT, "bench", "results", "connection-rss.json"),
    `${JSON.stringify(
      {
        ...origin,
        command: "npm run build && npm run bench:connection-rss",
        method: `One Node.js process per kind loads the compiled pack's transport and opens one connection; the memory of the process and its children is sampled (PSS from /proc/<pid>/smaps_rollup, which shares Chromium's common pages out among its processes; the plain RSS sum, which counts them in each, beside it) every 0.5 s from 5 s to ${SECONDS} s. WhatsApp is unreachable from this machine: both kinds retry with backoff, whatsapp-web.js with its Chromium started on a page that never loads (a lower bound for a loaded WhatsApp Web app).`,
        seconds: SECONDS,
        results: results.map((r) => ({ ...r, overBaselinePssMb: r.medianPssMb - baseline.medianPssMb })),
      },
      null,
      2,
    )}\n`,
  );
  console.log("wrote bench/results/connection-rss.json");
}

void main();
