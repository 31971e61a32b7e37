import type BetterSqlite3 from "better-sqlite3";
import { Clock, systemClock } from "../clock";
import { WaError } from "../errors";
import { checkStoreValueSize, SetOptions, Store } from "./store";

export interface SqliteStoreOptions {
  /** Database file; created with its folder's permissions. */
  file: string;
  /**
   * NORMAL survives a crash of the process (kill -9) without losing a committed write;
   * FULL also survives a power cut, at the cost of an fsync per write.
   */
  synchronous?: "NORMAL" | "FULL";
  clock?: Clock;
}

type Database = BetterSqlite3.Database;

/** Loads the optional native binding, with an error a person can act on when it is missing. */
export function loadSqliteBinding(): typeof BetterSqlite3 {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("better-sqlite3") as typeof BetterSqlite3;
  } catch (error) {
    const reason = `the embedded store needs the better-sqlite3 package, which is not installed or did not build on this machine (${(error as Error).message}). Reinstall the pack, or choose the memory or Redis store.`;
    throw new WaError(
      "store.unavailable",
      `The store is not available (sqlite): ${reason}`,
      { backend: "sqlite", reason },
      { cause: error },
    );
  }
}

/**
 * SQLite's own errors ("database or disk is full", "unable to open database file", a locked file)
 * become store.unavailable with SQLite's reason and code, so a Catch node can route them by code.
 */
export function sqliteErrorsAsWaErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof WaError || !(error instanceof Error)) throw error;
    const sqliteCode = (error as { code?: unknown }).code;
    const reason = `${error.message.slice(0, 200)}${typeof sqliteCode === "string" ? ` (${sqliteCode})` : ""}`;
    throw new WaError(
      "store.unavailable",
      `The store is not available (sqlite): ${reason}`,
      { backend: "sqlite", reason },
      { cause: error },
    );
  }
}

/**
 * The embedded durable store: one SQLite file, written through better-sqlite3 (synchronous,
 * so every operation is atomic within the process; IMMEDIATE transactions keep them atomic
 * if a second process opens the same file).
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly db: Database;
  private readonly clock: Clock;
  private closed = false;
  private readonly sql: Record<string, BetterSqlite3.Statement>;
  /** Runs a function atomically: a savepoint inside the open transaction. */
  private readonly atomically: BetterSqlite3.Transaction<(work: () => unknown) => unknown>;
  private readonly waitingForCommit: { settle(): void; fail(error: unknown): void }[] = [];

  constructor(options: SqliteStoreOptions) {
    const Driver = loadSqliteBinding();
    this.clock = options.clock ?? systemClock;
    this.db = sqliteErrorsAsWaErrors(() => new Driver(options.file));
    sqliteErrorsAsWaErrors(() => this.db.pragma("journal_mode = WAL"));
    this.db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS entries (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('value', 'list')),
        value TEXT,
        expires_at INTEGER
      );
      CREATE TABLE IF NOT EXISTS list_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        value TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS list_items_by_key ON list_items (key, seq);
      CREATE INDEX IF NOT EXISTS entries_by_expiry ON entries (expires_at) WHERE expires_at IS NOT NULL;
    `);
    const prepare = (text: string) => this.db.prepare(text);
    this.sql = {
      get: prepare("SELECT kind, value, expires_at AS expiresAt FROM entries WHERE key = ?"),
      upsertValue: prepare(
        "INSERT INTO entries (key, kind, value, expires_at) VALUES (?, 'value', ?, ?) ON CONFLICT (key) DO UPDATE SET kind = 'value', value = excluded.value, expires_at = excluded.expires_at",
      ),
      ensureList: prepare("INSERT INTO entries (key, kind, value, expires_at) VALUES (?, 'list', NULL, NULL) ON CONFLICT (key) DO NOTHING"),
      deleteEntry: prepare("DELETE FROM entries WHERE key = ?"),
      deleteItems: prepare("DELETE FROM list_items WHERE key = ?"),
      setExpiry: prepare("UPDATE entries SET expires_at = ? WHERE key = ?"),
      pushItem: prepare("INSERT INTO list_items (key, value) VALUES (?, ?)"),
      headItem: prepare("SELECT seq, value FROM list_items WHERE key = ? ORDER BY seq LIMIT 1"),
      deleteItem: prepare("DELETE FROM list_items WHERE seq = ?"),
      countItems: prepare("SELECT COUNT(*) AS n FROM list_items WHERE key = ?"),
      rangeItems: prepare("SELECT value FROM list_items WHERE key = ? ORDER BY seq LIMIT ? OFFSET ?"),
      matchingItems: prepare("SELECT seq FROM list_items WHERE key = ? AND value = ? ORDER BY seq"),
      keysWithPrefix: prepare("SELECT key, expires_at AS expiresAt FROM entries WHERE key >= ? AND key < ?"),
      purge: prepare("SELECT key FROM entries WHERE expires_at IS NOT NULL AND expires_at <= ?"),
    };
    this.atomically = this.db.transaction((work: () => unknown) => work());
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.read(() => this.live(key));
    return this.afterCommit(entry?.kind === "value" ? (entry.value ?? undefined) : undefined);
  }

  async set(key: string, value: string, options?: SetOptions): Promise<void> {
    checkStoreValueSize(key, value);
    return this.transaction(() => {
      this.sql.deleteItems.run(key);
      this.sql.upsertValue.run(key, value, this.expiry(options));
    });
  }

  async setIfAbsent(key: string, value: string, options?: SetOptions): Promise<boolean> {
    checkStoreValueSize(key, value);
    return this.transaction(() => {
      if (this.live(key)) return false;
      this.sql.upsertValue.run(key, value, this.expiry(options));
      return true;
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.transaction(() => {
      const existed = this.live(key) !== undefined;
      this.removeKey(key);
      return existed;
    });
  }

  async compareAndSet(key: string, expected: string | undefined, next: string | undefined, options?: SetOptions): Promise<boolean> {
    if (next !== undefined) checkStoreValueSize(key, next);
    return this.transaction(() => {
      const entry = this.live(key);
      if (entry && entry.kind !== "value") return false;
      if ((entry?.value ?? undefined) !== expected) return false;
      if (next === undefined) this.removeKey(key);
      else this.sql.upsertValue.run(key, next, this.expiry(options));
      return true;
    });
  }

  async increment(key: string, by = 1): Promise<number> {
    return this.transaction(() => {
      const entry = this.live(key);
      const current = entry ? Number.parseInt(entry.value ?? "", 10) : 0;
      if (entry && (entry.kind !== "value" || !Number.isFinite(current))) {
        throw new WaError("config.invalid", `Store key ${key} does not hold a counter`, { key });
      }
      const next = current + by;
      this.sql.upsertValue.run(key, String(next), entry?.expiresAt ?? null);
      return next;
    });
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    return this.transaction(() => {
      if (!this.live(key)) return false;
      this.sql.setExpiry.run(ttlMs > 0 ? this.clock.now() + ttlMs : null, key);
      return true;
    });
  }

  async ttl(key: string): Promise<number | undefined> {
    const entry = this.read(() => this.live(key));
    return this.afterCommit(!entry || entry.expiresAt === null ? undefined : entry.expiresAt - this.clock.now());
  }

  async listPush(key: string, ...values: string[]): Promise<number> {
    values.forEach((value) => checkStoreValueSize(key, value));
    return this.transaction(() => {
      this.liveList(key);
      this.sql.ensureList.run(key);
      for (const value of values) this.sql.pushItem.run(key, value);
      return (this.sql.countItems.get(key) as { n: number }).n;
    });
  }

  async listShift(key: string): Promise<string | undefined> {
    return this.transaction(() => {
      if (!this.liveList(key)) return undefined;
      const head = this.sql.headItem.get(key) as { seq: number; value: string } | undefined;
      if (!head) return undefined;
      this.sql.deleteItem.run(head.seq);
      this.dropListIfEmpty(key);
      return head.value;
    });
  }

  async listRange(key: string, start: number, stop: number): Promise<string[]> {
    return this.readAfterCommit(() => {
      if (!this.liveList(key)) return [];
      const length = (this.sql.countItems.get(key) as { n: number }).n;
      const from = start < 0 ? Math.max(0, length + start) : start;
      const to = stop < 0 ? length + stop : Math.min(stop, length - 1);
      if (to < from) return [];
      return (this.sql.rangeItems.all(key, to - from + 1, from) as { value: string }[]).map((row) => row.value);
    });
  }

  async listLength(key: string): Promise<number> {
    return this.readAfterCommit(() => (this.liveList(key) ? (this.sql.countItems.get(key) as { n: number }).n : 0));
  }

  async listRemove(key: string, value: string, count = 0): Promise<number> {
    return this.transaction(() => {
      if (!this.liveList(key)) return 0;
      const rows = this.sql.matchingItems.all(key, value) as { seq: number }[];
      const victims = count > 0 ? rows.slice(0, count) : rows;
      for (const row of victims) this.sql.deleteItem.run(row.seq);
      this.dropListIfEmpty(key);
      return victims.length;
    });
  }

  async keys(prefix: string): Promise<string[]> {
    this.assertOpen();
    const now = this.clock.now();
    // Every key starting with `prefix` sorts in [prefix, prefix + U+FFFF).
    const rows = this.read(() => this.sql.keysWithPrefix.all(prefix, `${prefix}\uffff`) as { key: string; expiresAt: number | null }[]);
    return this.afterCommit(
      rows.filter((row) => row.key.startsWith(prefix) && (row.expiresAt === null || row.expiresAt > now)).map((row) => row.key),
    );
  }

  /** Deletes expired keys (reads already ignore them); returns how many. */
  purgeExpired(): number {
    this.assertOpen();
    return sqliteErrorsAsWaErrors(() => {
      const purge = () => {
        const rows = this.sql.purge.all(this.clock.now()) as { key: string }[];
        for (const row of rows) this.removeKey(row.key);
        return rows.length;
      };
      return (this.db.inTransaction ? this.atomically(purge) : this.atomically.immediate(purge)) as number;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitNow();
    this.closed = true;
    this.db.close();
  }

  /**
   * Group commit: the writes of one event-loop turn share one transaction, committed on the next
   * turn (a commit costs far more than the write). Each write runs at once, in a savepoint of its
   * own (one that throws undoes only itself), and its caller hears of it only once it is
   * committed: nothing is reported done that a crash could still lose.
   */
  private transaction<T>(work: () => T): Promise<T> {
    this.assertOpen();
    const result = sqliteErrorsAsWaErrors(() => {
      if (!this.db.inTransaction) {
        this.db.exec("BEGIN IMMEDIATE");
        setImmediate(() => this.commitNow());
      }
      return this.atomically(work) as T;
    });
    return this.afterCommit(result);
  }

  private read<T>(work: () => T): T {
    return sqliteErrorsAsWaErrors(work);
  }

  private readAfterCommit<T>(work: () => T): Promise<T> {
    return this.afterCommit(this.read(work));
  }

  /** A result to hand out once the open transaction, if any, is committed (it may rest on its writes). */
  private afterCommit<T>(result: T): Promise<T> {
    if (!this.db.inTransaction) return Promise.resolve(result);
    return new Promise<T>((resolve, reject) => this.waitingForCommit.push({ settle: () => resolve(result), fail: reject }));
  }

  private commitNow(): void {
    if (this.closed) return;
    const waiting = this.waitingForCommit.splice(0);
    try {
      if (this.db.inTransaction) sqliteErrorsAsWaErrors(() => this.db.exec("COMMIT"));
    } catch (error) {
      try {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
      } catch {
        // The rollback's own failure adds nothing: every write of the batch is reported failed below.
      }
      for (const waiter of waiting) waiter.fail(error);
      return;
    }
    for (const waiter of waiting) waiter.settle();
  }

  private expiry(options?: SetOptions): number | null {
    const ttlMs = options?.ttlMs ?? 0;
    return ttlMs > 0 ? this.clock.now() + ttlMs : null;
  }

  private assertOpen(): void {
    if (this.closed) throw new WaError("store.closed", "The store has been closed");
  }

  private live(key: string): { kind: "value" | "list"; value: string | null; expiresAt: number | null } | undefined {
    this.assertOpen();
    const entry = this.sql.get.get(key) as { kind: "value" | "list"; value: string | null; expiresAt: number | null } | undefined;
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.clock.now()) {
      this.removeKey(key);
      return undefined;
    }
    return entry;
  }

  private liveList(key: string): boolean {
    const entry = this.live(key);
    if (entry && entry.kind !== "list") throw new WaError("config.invalid", `Store key ${key} does not hold a list`, { key });
    return entry !== undefined;
  }

  private removeKey(key: string): void {
    this.sql.deleteEntry.run(key);
    this.sql.deleteItems.run(key);
  }

  private dropListIfEmpty(key: string): void {
    if ((this.sql.countItems.get(key) as { n: number }).n === 0) this.sql.deleteEntry.run(key);
  }
}
