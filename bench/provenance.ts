import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

/** What every committed result file says about where it came from: when, which commit, which machine. */
export function provenance(): {
  at: string;
  commit: string;
  dirty: boolean;
  node: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number };
} {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: join(__dirname, ".."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  return {
    at: new Date().toISOString(),
    commit: git("rev-parse", "HEAD") || "unknown",
    // The result files themselves are written by these runs: a change there does not make the code differ.
    dirty: git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/results", ":(exclude)eval/results") !== "",
    node: process.version,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30) },
  };
}
