import { Clock, TimerHandle } from "../clock";
import { WaError } from "../errors";

/** One engine instance that handles one job at a time (a tesseract.js worker, a speech thread). */
export interface EngineWorker<Input, Output> {
  run(input: Input): Promise<Output>;
  terminate(): Promise<void>;
}

export interface EnginePoolOptions<Output = unknown> {
  /** Names the work in error messages: "OCR", "Transcription". */
  label: string;
  size: number;
  timeoutMs: number;
  /** How long creating a worker (loading its model or language data) may take. */
  startTimeoutMs: number;
  /** Most jobs waiting for a free worker; more are refused at once. */
  maxWaiting: number;
  /**
   * Memory bounds. An engine's memory grows with the largest input it has seen and is not given
   * back while it lives (tesseract's WebAssembly heap): a worker is retired, and its memory freed,
   * once idle this long, after a job costing more than `maxCostPerJob`, or once its jobs together
   * cost more than `maxCostPerWorker` (OCR: pixels). The next job starts a fresh worker.
   */
  idleRetireMs?: number;
  costOf?: (output: Output) => number;
  maxCostPerJob?: number;
  maxCostPerWorker?: number;
}

interface Slot<Input, Output> {
  worker?: Promise<EngineWorker<Input, Output>>;
  /** The worker once it has started. */
  ready?: EngineWorker<Input, Output>;
  busy: boolean;
  /** What the worker's jobs have cost so far (OCR: pixels read). */
  cost: number;
  idleTimer?: TimerHandle;
}

interface Waiting<Input, Output> {
  input: Input;
  resolve: (result: Timed<Output>) => void;
  reject: (error: unknown) => void;
  queuedAt: number;
}

export type Timed<Output> = Output & { queuedMs: number; engineMs: number };

/**
 * A fixed number of engine workers (OCR, speech), created when first needed and reused. A job that
 * takes longer than the time limit fails with `media.timeout`, and its worker is terminated (a stuck
 * engine cannot be interrupted any other way) and replaced on the next job.
 */
export class EnginePool<Input, Output> {
  private readonly slots: Slot<Input, Output>[];
  private readonly waiting: Waiting<Input, Output>[] = [];
  private closed = false;

  constructor(
    private readonly createWorker: () => Promise<EngineWorker<Input, Output>>,
    private readonly options: EnginePoolOptions<Output>,
    private readonly clock: Clock,
  ) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => ({ busy: false, cost: 0 }));
  }

  /** Workers retired to give their memory back (idle, or past their cost budget). */
  retiredForMemory = 0;

  /** Workers created so far (alive or starting). */
  get started(): number {
    return this.slots.filter((s) => s.worker).length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  run(input: Input): Promise<Timed<Output>> {
    if (this.closed) return Promise.reject(new WaError("media.closed", `The ${this.options.label} node is stopping`));
    if (this.waiting.length >= this.options.maxWaiting)
      return Promise.reject(
        new WaError("media.busy", `${this.waiting.length} media files are already waiting for ${this.options.label}`, {
          waiting: this.waiting.length,
        }),
      );
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject, queuedAt: this.clock.now() });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) this.clock.clearTimeout(slot.idleTimer);
    for (const job of this.waiting.splice(0)) job.reject(new WaError("media.closed", `The ${this.options.label} node is stopping`));
    await Promise.all(this.slots.map((slot) => this.retire(slot)));
  }

  private next(): void {
    const slot = this.slots.find((s) => !s.busy);
    const job = slot && this.waiting.shift();
    if (!slot || !job) return;
    slot.busy = true;
    this.clock.clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    void this.work(slot, job).finally(() => {
      slot.busy = false;
      if (this.closed) return;
      this.retireWhenIdle(slot);
      this.next();
    });
  }

  private retireWhenIdle(slot: Slot<Input, Output>): void {
    const idleMs = this.options.idleRetireMs;
    if (!idleMs || !slot.worker) return;
    this.clock.clearTimeout(slot.idleTimer);
    slot.idleTimer = this.clock.setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.busy || this.closed || !slot.worker) return;
      this.retiredForMemory += 1;
      void this.retire(slot);
    }, idleMs);
  }

  /** After a job: a worker past its cost budget is retired before it takes another. */
  private account(slot: Slot<Input, Output>, output: Output): void {
    const cost = this.options.costOf?.(output) ?? 0;
    slot.cost += cost;
    const overJob = this.options.maxCostPerJob !== undefined && cost > this.options.maxCostPerJob;
    const overWorker = this.options.maxCostPerWorker !== undefined && slot.cost > this.options.maxCostPerWorker;
    if (overJob || overWorker) {
      this.retiredForMemory += 1;
      void this.retire(slot);
    }
  }

  private async work(slot: Slot<Input, Output>, job: Waiting<Input, Output>): Promise<void> {
    let timer: TimerHandle | undefined;
    let timedOut = false;
    let started = false;
    try {
      if (!slot.worker) {
        slot.worker = this.createWorker();
        slot.worker.catch(() => undefined);
      }
      const worker = await this.limit(
        slot.worker,
        this.options.startTimeoutMs,
        () =>
          new WaError("media.timeout", `The ${this.options.label} engine did not start within ${this.options.startTimeoutMs / 1000} s`, {
            seconds: this.options.startTimeoutMs / 1000,
          }),
      );
      started = true;
      slot.ready = worker;
      const startedAt = this.clock.now();
      const reading = worker.run(job.input);
      const result = await new Promise<Output>((resolve, reject) => {
        timer = this.clock.setTimeout(() => {
          timedOut = true;
          reject(
            new WaError("media.timeout", `${this.options.label} took longer than ${this.options.timeoutMs / 1000} s`, {
              seconds: this.options.timeoutMs / 1000,
            }),
          );
        }, this.options.timeoutMs);
        reading.then(resolve, reject);
      });
      job.resolve({ ...result, queuedMs: startedAt - job.queuedAt, engineMs: this.clock.now() - startedAt });
      this.account(slot, result);
    } catch (error) {
      job.reject(error);
      // A worker that failed to start, or is stuck on a job, is replaced.
      if (timedOut || !started) void this.retire(slot);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** Terminates the slot's worker; one still starting is terminated once it has started, without waiting for it. */
  private async retire(slot: Slot<Input, Output>): Promise<void> {
    const worker = slot.worker;
    const ready = slot.ready;
    slot.worker = undefined;
    slot.ready = undefined;
    slot.cost = 0;
    if (ready) await ready.terminate().catch(() => undefined);
    else if (worker) void worker.then((w) => w.terminate()).catch(() => undefined);
  }

  private limit<T>(work: Promise<T>, ms: number, error: () => WaError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(error()), ms);
      work.then(
        (value) => {
          this.clock.clearTimeout(timer);
          resolve(value);
        },
        (failure: unknown) => {
          this.clock.clearTimeout(timer);
          reject(failure);
        },
      );
    });
  }
}
