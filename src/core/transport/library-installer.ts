import { Clock, TimerHandle } from "../clock";

/**
 * Installs an optional library (whatsapp-web.js, with puppeteer) into the Node-RED user directory
 * on demand, the way the palette manager installs a module: the default install stays light, and a
 * user who picks the WhatsApp Web connection adds its browser stack from the connection's dialog.
 * One install at a time; its state and the tail of npm's output are kept for the editor to show.
 */

export type InstallState = "missing" | "installing" | "installed" | "failed";

export interface InstallStatus {
  library: string;
  state: InstallState;
  /** The installed version, once it can be loaded. */
  version?: string;
  /** What the install will ask npm for. */
  spec: string;
  startedAt?: number;
  finishedAt?: number;
  /** Why the last install failed, in a line. */
  error?: string;
  /** The last lines npm printed. */
  output?: string;
}

export interface InstallerWorld {
  clock: Clock;
  /** The version that loads now from where the pack looks for it, or undefined. */
  installedVersion(): string | undefined;
  /** Runs npm with these arguments in the user directory; resolves with its exit code and output. `stop` ends it early. */
  runNpm(args: string[], env: Record<string, string>): { done: Promise<{ code: number | null; output: string }>; stop(): void };
}

export interface InstallerOptions {
  library: string;
  /** The version range asked of npm, e.g. "^1.34.7". */
  range: string;
  /** Environment npm runs with (PUPPETEER_SKIP_DOWNLOAD, so the system browser is used). */
  env: Record<string, string>;
  timeoutMs: number;
}

const OUTPUT_TAIL_CHARS = 4_000;

/** The palette manager's flags (Node-RED 4): saved to the user directory's package.json, no dev dependencies. */
export function npmInstallArgs(spec: string): string[] {
  return ["install", "--no-audit", "--no-update-notifier", "--no-fund", "--save", "--save-prefix=~", "--omit=dev", "--engine-strict", spec];
}

export class LibraryInstaller {
  private running: Promise<InstallStatus> | undefined;
  private last: Pick<InstallStatus, "startedAt" | "finishedAt" | "error" | "output"> = {};

  constructor(
    private readonly options: InstallerOptions,
    private readonly world: InstallerWorld,
  ) {}

  get spec(): string {
    return `${this.options.library}@${this.options.range}`;
  }

  status(): InstallStatus {
    const version = this.world.installedVersion();
    const state: InstallState = this.running ? "installing" : version ? "installed" : this.last.error ? "failed" : "missing";
    return { library: this.options.library, state, spec: this.spec, ...(version ? { version } : {}), ...this.last };
  }

  /** Starts the install (or joins the one running); resolves when npm has finished, with the outcome. */
  install(): Promise<InstallStatus> {
    if (this.running) return this.running;
    this.last = { startedAt: this.world.clock.now() };
    const npm = this.world.runNpm(npmInstallArgs(this.spec), this.options.env);
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = this.world.clock.setTimeout(() => resolve("timeout"), this.options.timeoutMs);
    });
    this.running = Promise.race([npm.done, timedOut])
      .then(
        (outcome) => {
          if (outcome === "timeout") {
            npm.stop();
            return { error: `npm did not finish within ${Math.round(this.options.timeoutMs / 1000)} s and was stopped`, output: "" };
          }
          const output = outcome.output.slice(-OUTPUT_TAIL_CHARS);
          if (outcome.code !== 0) return { error: `npm install ${this.spec} failed (exit ${outcome.code}): ${lastLine(output)}`, output };
          if (!this.world.installedVersion()) {
            return { error: `npm installed ${this.spec}, but it cannot be loaded from the user directory`, output };
          }
          return { output };
        },
        (error: unknown) => ({ error: `npm could not be run: ${error instanceof Error ? error.message : String(error)}`, output: "" }),
      )
      .then((outcome) => {
        this.world.clock.clearTimeout(timer);
        this.last = { ...this.last, finishedAt: this.world.clock.now(), ...outcome };
        this.running = undefined;
        return this.status();
      });
    return this.running;
  }
}

function lastLine(output: string): string {
  const lines = output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const error = lines.filter((line) => /ERR!/.test(line));
  return (error.length > 0 ? error.slice(0, 3).join(" ") : (lines[lines.length - 1] ?? "no output")).slice(0, 300);
}
