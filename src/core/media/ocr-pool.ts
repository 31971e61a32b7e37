import { Clock, TimerHandle } from "../clock";
import { WaError } from "../errors";

export interface OcrWord {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

export interface OcrResult {
  text: string;
  /** 0-100, as the engine reports it. */
  confidence: number;
  words: OcrWord[];
}

/** One engine instance that reads one image at a time (a tesseract.js worker). */
export interface OcrWorker {
  recognize(image: Buffer): Promise<OcrResult>;
  terminate(): Promise<void>;
}

export interface OcrPoolOptions {
  size: number;
  timeoutMs: number;
  /** How long creating a worker (loading the language data) may take. */
  startTimeoutMs: number;
  /** Most images waiting for a free worker; more are refused at once. */
  maxWaiting: number;
}

interface Slot {
  worker?: Promise<OcrWorker>;
  /** The worker once it has started. */
  ready?: OcrWorker;
  busy: boolean;
}

interface Waiting {
  image: Buffer;
  resolve: (result: OcrResult & { queuedMs: number; engineMs: number }) => void;
  reject: (error: unknown) => void;
  queuedAt: number;
}

/**
 * A fixed number of OCR workers, created when first needed and reused. An image that takes longer
 * than the time limit fails with `media.timeout`, and its worker is terminated (a stuck engine
 * cannot be interrupted any other way) and replaced on the next image.
 */
export class OcrPool {
  private readonly slots: Slot[];
  private readonly waiting: Waiting[] = [];
  private closed = false;

  constructor(
    private readonly createWorker: () => Promise<OcrWorker>,
    private readonly options: OcrPoolOptions,
    private readonly clock: Clock,
  ) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => ({ busy: false }));
  }

  /** Workers created so far (alive or starting). */
  get started(): number {
    return this.slots.filter((s) => s.worker).length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  recognize(image: Buffer): Promise<OcrResult & { queuedMs: number; engineMs: number }> {
    if (this.closed) return Promise.reject(new WaError("media.closed", "The OCR node is stopping"));
    if (this.waiting.length >= this.options.maxWaiting) return Promise.reject(new WaError("media.busy", `${this.waiting.length} images are already waiting for OCR`, { waiting: this.waiting.length }));
    return new Promise((resolve, reject) => {
      this.waiting.push({ image, resolve, reject, queuedAt: this.clock.now() });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new WaError("media.closed", "The OCR node is stopping"));
    await Promise.all(this.slots.map((slot) => this.retire(slot)));
  }

  private next(): void {
    const slot = this.slots.find((s) => !s.busy);
    const job = slot && this.waiting.shift();
    if (!slot || !job) return;
    slot.busy = true;
    void this.run(slot, job).finally(() => {
      slot.busy = false;
      if (!this.closed) this.next();
    });
  }

  private async run(slot: Slot, job: Waiting): Promise<void> {
    let timer: TimerHandle | undefined;
    let timedOut = false;
    let started = false;
    try {
      if (!slot.worker) {
        slot.worker = this.createWorker();
        slot.worker.catch(() => undefined);
      }
      const worker = await this.limit(slot.worker, this.options.startTimeoutMs, () => new WaError("media.timeout", `The OCR engine did not start within ${this.options.startTimeoutMs / 1000} s`, { seconds: this.options.startTimeoutMs / 1000 }));
      started = true;
      slot.ready = worker;
      const startedAt = this.clock.now();
      const reading = worker.recognize(job.image);
      const result = await new Promise<OcrResult>((resolve, reject) => {
        timer = this.clock.setTimeout(() => {
          timedOut = true;
          reject(new WaError("media.timeout", `OCR took longer than ${this.options.timeoutMs / 1000} s`, { seconds: this.options.timeoutMs / 1000 }));
        }, this.options.timeoutMs);
        reading.then(resolve, reject);
      });
      job.resolve({ ...result, queuedMs: startedAt - job.queuedAt, engineMs: this.clock.now() - startedAt });
    } catch (error) {
      job.reject(error);
      // A worker that failed to start, or is stuck on an image, is replaced.
      if (timedOut || !started) void this.retire(slot);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** Terminates the slot's worker; one still starting is terminated once it has started, without waiting for it. */
  private async retire(slot: Slot): Promise<void> {
    const worker = slot.worker;
    const ready = slot.ready;
    slot.worker = undefined;
    slot.ready = undefined;
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
