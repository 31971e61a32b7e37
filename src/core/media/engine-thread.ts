// A worker thread that runs one engine (speech, documents) off Node-RED's thread: the main side is an
// EngineWorker for the pool, the thread side answers jobs one at a time. Errors keep their WaError code.
import { parentPort, Worker, workerData } from "node:worker_threads";
import { WaError, WaErrorCode } from "../errors";
import { EngineWorker } from "./engine-pool";

type ToThread<Input> = { id: number; input: Input };
type FromThread<Output> =
  | { type: "ready"; info: unknown }
  | { type: "failed"; message: string }
  | { type: "result"; id: number; value: Output }
  | { type: "error"; id: number; code: string; message: string; params?: Record<string, string | number> };

export interface EngineThreadOptions {
  /** Heap limit of the thread: a document that needs more stops the thread, not Node-RED. */
  maxHeapMb?: number;
  /** Names the engine in errors: "speech engine", "document reader". */
  label: string;
  /** Transfers the input's bytes instead of copying them. */
  transfer?: (input: unknown) => ArrayBuffer[];
}

/**
 * Starts the thread `<scriptPath>.js` (or .ts under the test runner; the path without its extension,
 * usually `path.join(__dirname, "…-worker")`) and resolves once it said it is ready.
 */
export function startEngineThread<Input, Output, Info = unknown>(
  scriptPath: string,
  data: unknown,
  options: EngineThreadOptions,
  onReady: (info: Info) => void = () => undefined,
): Promise<EngineWorker<Input, Output>> {
  const fromSource = __filename.endsWith(".ts");
  const script = `${scriptPath}.${fromSource ? "ts" : "js"}`;
  const resourceLimits = options.maxHeapMb ? { maxOldGenerationSizeMb: options.maxHeapMb } : undefined;
  // Under the test runner the thread is TypeScript too, loaded through tsx's require hook.
  const thread = fromSource
    ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(script)});`, {
        eval: true,
        workerData: data,
        resourceLimits,
        stdout: true,
        stderr: true,
      })
    : new Worker(script, { workerData: data, resourceLimits, stdout: true, stderr: true });
  thread.stdout.resume();
  thread.stderr.resume();
  const pending = new Map<number, { resolve: (value: Output) => void; reject: (error: unknown) => void }>();
  let nextId = 1;
  let exited = false;

  return new Promise((resolveStart, rejectStart) => {
    const failAll = (error: WaError) => {
      for (const job of pending.values()) job.reject(error);
      pending.clear();
      rejectStart(error);
    };
    thread.on("error", (error) => {
      const outOfMemory = (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
      const reason = outOfMemory ? `it needed more than ${options.maxHeapMb} MB of memory` : error.message.slice(0, 200);
      failAll(new WaError("media.unreadable", `The ${options.label} stopped: ${reason}`, { reason }));
    });
    thread.on("exit", () => {
      exited = true;
      failAll(new WaError("media.closed", `The ${options.label} stopped`));
    });
    thread.on("message", (message: FromThread<Output>) => {
      if (message.type === "ready") {
        onReady(message.info as Info);
        resolveStart({
          run(input: Input): Promise<Output> {
            if (exited) return Promise.reject(new WaError("media.closed", `The ${options.label} stopped`));
            const id = nextId++;
            return new Promise((resolve, reject) => {
              pending.set(id, { resolve, reject });
              thread.postMessage({ id, input } satisfies ToThread<Input>, options.transfer?.(input) ?? []);
            });
          },
          async terminate(): Promise<void> {
            await thread.terminate();
          },
        });
      } else if (message.type === "failed") {
        void thread.terminate();
        rejectStart(
          new WaError("media.unreadable", `The ${options.label} could not start: ${message.message}`, { reason: message.message }),
        );
      } else {
        const job = pending.get(message.id);
        pending.delete(message.id);
        if (!job) return;
        if (message.type === "result") job.resolve(message.value);
        else job.reject(new WaError(message.code as WaErrorCode, message.message, message.params));
      }
    });
  });
}

/** Thread side: sets the engine up from workerData, says ready, then answers each job in turn. */
export function serveEngineThread<Input, Output>(
  setup: (data: unknown) => Promise<{ info?: unknown; handle(input: Input): Promise<Output> }>,
): void {
  const port = parentPort;
  if (!port) return;
  setup(workerData)
    .then(({ info, handle }) => {
      let queue = Promise.resolve();
      port.on("message", (job: ToThread<Input>) => {
        queue = queue.then(async () => {
          try {
            port.postMessage({ type: "result", id: job.id, value: await handle(job.input) } satisfies FromThread<Output>);
          } catch (error) {
            const known = error instanceof WaError || typeof (error as { code?: unknown }).code === "string";
            const kept = known && String((error as { code: string }).code).startsWith("media.");
            const code = kept ? (error as { code: string }).code : "media.unreadable";
            const reason = String((error as Error)?.message ?? error).slice(0, 300);
            // Another code's params would not fill media.unreadable's text: its own message is the reason.
            const params = (kept ? (error as { params?: Record<string, string | number> }).params : undefined) ?? { reason };
            port.postMessage({ type: "error", id: job.id, code, message: reason, params } satisfies FromThread<Output>);
          }
        });
      });
      port.postMessage({ type: "ready", info } satisfies FromThread<Output>);
    })
    .catch((error: unknown) => {
      port.postMessage({ type: "failed", message: String((error as Error)?.message ?? error).slice(0, 300) } satisfies FromThread<Output>);
    });
}

// Packages that are ES modules only: the compiled CommonJS would turn a plain import() into require().
export const importModule = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<Record<string, unknown>>;
