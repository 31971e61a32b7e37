import { Clock, TimerHandle } from "../clock";
import { WaError } from "../errors";
import { CircuitBreaker } from "../resilience/circuit-breaker";
import { CellValue } from "./sheets-model";

/** What a failed Sheets call tells the batcher. */
export class SheetsCallError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when no answer came (dropped, timed out). */
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Worth another try: quota, overload, server trouble, no answer. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  /** The write may have landed although it failed (no answer, or a server error after the fact). */
  get ambiguous(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

export interface SheetsWriter {
  append(range: string, rows: CellValue[][]): Promise<void>;
  /** The keys already in the sheet, read from the key column of the range. */
  readKeys(range: string, keyColumn: number): Promise<Set<string>>;
  /** Each key in the key column and the sheet row (0-based) it is on; a key on several rows: the first. */
  readKeyRows?(range: string, keyColumn: number): Promise<Map<string, number>>;
  /** Overwrites whole rows (0-based sheet rows) starting at the range's first column, in one call. */
  updateRows?(range: string, rows: { sheetRow: number; values: CellValue[] }[]): Promise<void>;
}

export interface AppendBatcherOptions {
  range: string;
  /** Column (0-based, within the row) that holds each row's dedupe key. */
  keyColumn: number;
  /** Rows arriving within this window go in one request. */
  windowMs: number;
  maxRows: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** A row not written within this long after it arrived goes to the dead-letter path. */
  giveUpAfterMs: number;
  /**
   * Read the key column before the first append: rows redelivered after a crash (written, but
   * the crash came before they were acknowledged) are then recognised instead of written twice.
   */
  checkKeysFirst?: boolean;
  /**
   * `append`: every row is a new row. `upsert`: a row whose key is already in the sheet is
   * updated in place, the others appended; each batch reads the key column first, so a retry
   * after any failure is safe.
   */
  mode?: "append" | "upsert";
}

export interface PendingRow<C> {
  key: string;
  row: CellValue[];
  context: C;
  arrivedAt: number;
  attempts: number;
  /** Sent alone, after its batch was refused, to find the row Google objects to. */
  solo?: boolean;
  /** A redelivery or a replay: it may have been written before, so its batch checks the keys first. */
  mayExist?: boolean;
}

export interface AppendBatcherWorld<C> {
  clock: Clock;
  random(): number;
  breaker: CircuitBreaker;
  writer: SheetsWriter;
  written(rows: PendingRow<C>[], alreadyThere: boolean): void;
  failed(row: PendingRow<C>, error: WaError): void;
  retrying?(rows: number, error: SheetsCallError, delayMs: number): void;
}

/** How many keys a writer remembers having written, to recognise a redelivery without reading the sheet. */
const RECENT_KEYS = 10_000;

/**
 * Batches appends and writes each row exactly once through quota errors, outages and lost
 * answers: one request at a time, backoff honouring Retry-After, the breaker consulted before
 * each call, and after an answer that may have hidden a successful write, the key column read
 * back so rows already there are not written twice. A batch Google refuses is split so only the
 * offending row goes to the dead-letter path.
 */
export class AppendBatcher<C> {
  private readonly queue: PendingRow<C>[] = [];
  private timer: TimerHandle | undefined;
  private busy = false;
  private closed = false;
  private hurried = false;
  private checkBeforeNext = false;
  /** Keys this writer wrote or found in the sheet lately, oldest first. */
  private readonly recentKeys = new Set<string>();
  private stats = { requests: 0, rowsWritten: 0, keyChecks: 0, deduplicated: 0, deadLettered: 0 };

  constructor(
    private readonly options: AppendBatcherOptions,
    private readonly world: AppendBatcherWorld<C>,
  ) {
    this.checkBeforeNext = options.checkKeysFirst ?? false;
  }

  get pending(): number {
    return this.queue.length;
  }

  counters(): { requests: number; rowsWritten: number; keyChecks: number; deduplicated: number; deadLettered: number; pending: number } {
    return { ...this.stats, pending: this.queue.length };
  }

  add(key: string, row: CellValue[], context: C, mayExist = false): void {
    if (this.closed) {
      this.world.failed(
        { key, row, context, arrivedAt: this.world.clock.now(), attempts: 0 },
        new WaError("sheets.closed", "The Sheets writer is stopping; the row was not written", {}),
      );
      return;
    }
    this.queue.push({ key, row, context, arrivedAt: this.world.clock.now(), attempts: 0, ...(mayExist ? { mayExist } : {}) });
    if (this.queue.length >= this.options.maxRows || this.hurried) this.schedule(0);
    else this.schedule(this.options.windowMs);
  }

  /** Writes what waits now instead of at the end of its window, and so from now on (the flows are stopping). */
  hurry(): void {
    this.hurried = true;
    if (this.queue.length > 0) this.schedule(0);
  }

  /** Stops; returns the rows not yet written. */
  close(): PendingRow<C>[] {
    this.closed = true;
    this.world.clock.clearTimeout(this.timer);
    this.timer = undefined;
    return this.queue.splice(0);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.busy) return;
    if (this.timer !== undefined && delayMs > 0) return;
    this.world.clock.clearTimeout(this.timer);
    this.timer = this.world.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private async flush(): Promise<void> {
    if (this.busy || this.closed || this.queue.length === 0) return;
    if (!this.world.breaker.tryAcquire()) {
      const at = this.world.breaker.retryAt() ?? this.world.clock.now() + this.options.backoffMs;
      this.schedule(Math.max(1, at - this.world.clock.now()));
      return;
    }
    this.busy = true;
    const batch = this.queue[0].solo ? [this.queue[0]] : this.queue.slice(0, this.options.maxRows).filter((row) => !row.solo);
    let delay = 0;
    try {
      let toWrite = batch;
      if (this.options.mode === "upsert") {
        await this.upsert(batch);
        toWrite = [];
      } else {
        // Rows this writer wrote a moment ago need no read: a redelivery racing its first delivery is common.
        this.alreadyThere(batch.filter((row) => this.recentKeys.has(row.key)));
        toWrite = batch.filter((row) => !this.recentKeys.has(row.key));
        if (this.checkBeforeNext || toWrite.some((row) => row.mayExist)) {
          this.stats.keyChecks += 1;
          const present = await this.world.writer.readKeys(this.options.range, this.options.keyColumn);
          this.checkBeforeNext = false;
          this.alreadyThere(toWrite.filter((row) => present.has(row.key)));
          toWrite = toWrite.filter((row) => !present.has(row.key));
        }
      }
      // Two rows with one key in a batch (a message and its redelivery): the first is written, the other is it.
      const firstOfKey = new Map<string, PendingRow<C>>();
      const twins: PendingRow<C>[] = [];
      for (const row of toWrite) {
        if (firstOfKey.has(row.key)) twins.push(row);
        else firstOfKey.set(row.key, row);
      }
      toWrite = [...firstOfKey.values()];
      if (toWrite.length > 0) {
        toWrite.forEach((row) => (row.attempts += 1));
        this.stats.requests += 1;
        await this.world.writer.append(
          this.options.range,
          toWrite.map((row) => row.row),
        );
        this.remove(toWrite);
        this.stats.rowsWritten += toWrite.length;
        this.remember(toWrite);
        this.world.written(toWrite, false);
      }
      this.alreadyThere(twins);
      this.world.breaker.recordSuccess();
    } catch (caught) {
      const error =
        caught instanceof SheetsCallError ? caught : new SheetsCallError(caught instanceof Error ? caught.message : String(caught), 0);
      delay = this.failedCall(batch, error);
    } finally {
      this.busy = false;
    }
    if (this.queue.length > 0)
      this.schedule(
        delay > 0
          ? delay
          : this.queue.length >= this.options.maxRows || this.queue[0].solo || this.hurried
            ? 0
            : Math.max(0, this.queue[0].arrivedAt + this.options.windowMs - this.world.clock.now()),
      );
  }

  /** Rows whose key is in the sheet already: done, not written again. */
  private alreadyThere(rows: PendingRow<C>[]): void {
    if (rows.length === 0) return;
    this.stats.deduplicated += rows.length;
    this.remove(rows);
    this.remember(rows);
    this.world.written(rows, true);
  }

  private remember(rows: PendingRow<C>[]): void {
    for (const row of rows) {
      this.recentKeys.delete(row.key);
      this.recentKeys.add(row.key);
    }
    for (const key of this.recentKeys) {
      if (this.recentKeys.size <= RECENT_KEYS) break;
      this.recentKeys.delete(key);
    }
  }

  /** Updates the rows whose key is in the sheet, appends the rest (a key twice in the batch: its last row). */
  private async upsert(batch: PendingRow<C>[]): Promise<void> {
    const { writer } = this.world;
    if (!writer.readKeyRows || !writer.updateRows) throw new SheetsCallError("this writer cannot update rows by key", 400);
    batch.forEach((row) => (row.attempts += 1));
    this.stats.keyChecks += 1;
    const positions = await writer.readKeyRows(this.options.range, this.options.keyColumn);
    const latest = new Map<string, PendingRow<C>>();
    for (const row of batch) latest.set(row.key, row);
    const updates = [...latest.values()].filter((row) => positions.has(row.key));
    const appends = [...latest.values()].filter((row) => !positions.has(row.key));
    if (updates.length > 0) {
      this.stats.requests += 1;
      await writer.updateRows(
        this.options.range,
        updates.map((row) => ({ sheetRow: positions.get(row.key)!, values: row.row })),
      );
    }
    if (appends.length > 0) {
      this.stats.requests += 1;
      await writer.append(
        this.options.range,
        appends.map((row) => row.row),
      );
    }
    this.remove(batch);
    this.stats.rowsWritten += latest.size;
    this.world.written(batch, false);
  }

  /** Decides what a failed call means for its rows; returns how long to wait before the next call. */
  private failedCall(batch: PendingRow<C>[], error: SheetsCallError): number {
    if (!error.transient) {
      if (batch.length > 1) {
        // One of them is the problem (a cell too long, a bad value): try each alone.
        batch.forEach((row) => (row.solo = true));
        return 0;
      }
      this.remove(batch);
      this.stats.deadLettered += 1;
      this.world.failed(
        batch[0],
        new WaError("sheets.rejected", `Google Sheets refused the row: ${error.message}`, {
          status: error.status,
          reason: error.message.slice(0, 200),
        }),
      );
      return 0;
    }
    this.world.breaker.recordFailure(`${error.status || "no answer"}: ${error.message.slice(0, 80)}`);
    if (error.ambiguous) this.checkBeforeNext = true;
    const now = this.world.clock.now();
    const expired = batch.filter((row) => now - row.arrivedAt >= this.options.giveUpAfterMs);
    if (expired.length > 0) {
      this.remove(expired);
      this.stats.deadLettered += expired.length;
      for (const row of expired)
        this.world.failed(
          row,
          new WaError(
            "sheets.gaveUp",
            `Google Sheets could not be written for ${Math.round(this.options.giveUpAfterMs / 1000)} s (last: ${error.message.slice(0, 120)})`,
            { seconds: Math.round(this.options.giveUpAfterMs / 1000), reason: error.message.slice(0, 120) },
          ),
        );
    }
    const attempt = Math.max(1, ...batch.map((row) => row.attempts));
    const base = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (attempt - 1));
    const delay =
      error.retryAfterMs !== undefined
        ? Math.min(this.options.maxBackoffMs, error.retryAfterMs)
        : Math.round(base / 2 + (this.world.random() * base) / 2);
    this.world.retrying?.(batch.length, error, delay);
    return Math.max(1, delay);
  }

  private remove(rows: PendingRow<C>[]): void {
    const gone = new Set(rows);
    for (let i = this.queue.length - 1; i >= 0; i -= 1) if (gone.has(this.queue[i])) this.queue.splice(i, 1);
  }
}
