import { Clock } from "../clock";
import { Store } from "../store/store";
import { parseA1 } from "./a1";
import { CellValue } from "./sheets-model";

export interface ReadCacheOptions {
  /** Names this spreadsheet's entries in a shared store. */
  namespace: string;
  /** How long a read is fresh. */
  ttlMs: number;
  /** After that, how long the old values may still be served while a new read runs. */
  staleMs: number;
  /** Ranges kept in this runtime's memory (least recently used dropped first). */
  maxEntries: number;
}

export interface ReadCacheWorld {
  clock: Clock;
  /** Shared by instances when it is Redis; undefined: this runtime only. */
  store?: Store;
  fetch(range: string): Promise<CellValue[][]>;
  /** A background refresh failed; the stale values stay until they expire. */
  refreshFailed?(range: string, error: unknown): void;
}

export type ReadSource = "cache" | "stale" | "shared" | "fetched" | "joined" | "stale-after-error";

export interface CachedRead {
  values: CellValue[][];
  source: ReadSource;
  ageMs: number;
}

interface Entry {
  values: CellValue[][];
  fetchedAt: number;
  generation: number;
}

/**
 * Reads of Sheets ranges through a cache: fresh for a TTL, then served stale while one
 * background read refreshes it; concurrent identical reads share one request; entries are
 * kept in memory and, when a store is given, in the store so several instances share them.
 * A write by this pack to a sheet bumps that sheet's generation, which retires every cached
 * range of it at once, here and in every instance sharing the store.
 */
export class SheetsReadCache {
  private readonly local = new Map<string, Entry>();
  private readonly localGenerations = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<Entry>>();
  readonly stats = { reads: 0, hits: 0, staleHits: 0, sharedHits: 0, fetches: 0, joined: 0, errors: 0, invalidations: 0 };

  constructor(
    private readonly options: ReadCacheOptions,
    private readonly world: ReadCacheWorld,
  ) {}

  /** Share of reads answered without a request of their own. */
  hitRate(): number {
    return this.stats.reads === 0 ? 0 : (this.stats.reads - this.stats.fetches) / this.stats.reads;
  }

  private sheetOf(range: string): string {
    return parseA1(range).sheet ?? "";
  }

  private generationKey(sheet: string): string {
    return `sheets-cache:${this.options.namespace}:gen:${sheet}`;
  }

  private entryKey(range: string): string {
    return `sheets-cache:${this.options.namespace}:range:${range}`;
  }

  private async generation(sheet: string): Promise<number> {
    if (!this.world.store) return this.localGenerations.get(sheet) ?? 0;
    return Number(await this.world.store.get(this.generationKey(sheet))) || 0;
  }

  /** Retires every cached range of a sheet (a range without a sheet name too: it may be the same sheet). */
  async invalidate(sheet: string): Promise<void> {
    this.stats.invalidations += 1;
    for (const name of new Set([sheet, ""])) {
      if (this.world.store) await this.world.store.increment(this.generationKey(name));
      else this.localGenerations.set(name, (this.localGenerations.get(name) ?? 0) + 1);
    }
    for (const range of [...this.local.keys()]) {
      const of = this.sheetOf(range);
      if (of === sheet || of === "") this.local.delete(range);
    }
  }

  async read(range: string): Promise<CachedRead> {
    this.stats.reads += 1;
    const now = this.world.clock.now();
    const generation = await this.generation(this.sheetOf(range));
    let entry = this.usable(this.local.get(range), generation, now);
    let fromShared = false;
    if (!entry && this.world.store) {
      const raw = await this.world.store.get(this.entryKey(range));
      entry = raw === undefined ? undefined : this.usable(JSON.parse(raw) as Entry, generation, now);
      if (entry) {
        fromShared = true;
        this.remember(range, entry);
      }
    }
    if (entry) {
      const ageMs = now - entry.fetchedAt;
      if (ageMs <= this.options.ttlMs) {
        if (fromShared) this.stats.sharedHits += 1;
        else this.stats.hits += 1;
        return { values: entry.values, source: fromShared ? "shared" : "cache", ageMs };
      }
      this.stats.staleHits += 1;
      this.refresh(range, generation).catch((error: unknown) => {
        this.stats.errors += 1;
        this.world.refreshFailed?.(range, error);
      });
      return { values: entry.values, source: "stale", ageMs };
    }
    const joining = this.inFlight.has(this.flightKey(range, generation));
    try {
      const fetched = await this.refresh(range, generation);
      if (joining) this.stats.joined += 1;
      return { values: fetched.values, source: joining ? "joined" : "fetched", ageMs: this.world.clock.now() - fetched.fetchedAt };
    } catch (error) {
      this.stats.errors += 1;
      // Google down: values of the same generation, however old, beat no answer.
      const old = this.local.get(range);
      if (old && old.generation === generation) return { values: old.values, source: "stale-after-error", ageMs: now - old.fetchedAt };
      throw error;
    }
  }

  private usable(entry: Entry | undefined, generation: number, now: number): Entry | undefined {
    if (!entry || entry.generation !== generation) return undefined;
    return now - entry.fetchedAt <= this.options.ttlMs + this.options.staleMs ? entry : undefined;
  }

  private flightKey(range: string, generation: number): string {
    return `${generation}|${range}`;
  }

  private refresh(range: string, generation: number): Promise<Entry> {
    const key = this.flightKey(range, generation);
    const running = this.inFlight.get(key);
    if (running) return running;
    this.stats.fetches += 1;
    const flight = (async () => {
      try {
        const values = await this.world.fetch(range);
        const entry: Entry = { values, fetchedAt: this.world.clock.now(), generation };
        // A write during the read bumped the generation: these values may predate it.
        if ((await this.generation(this.sheetOf(range))) !== generation) return entry;
        this.remember(range, entry);
        if (this.world.store) {
          try {
            await this.world.store.set(this.entryKey(range), JSON.stringify(entry), { ttlMs: this.options.ttlMs + this.options.staleMs });
          } catch {
            // Too large for the store or the store is away: this runtime still has it.
          }
        }
        return entry;
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, flight);
    return flight;
  }

  private remember(range: string, entry: Entry): void {
    this.local.delete(range);
    this.local.set(range, entry);
    while (this.local.size > this.options.maxEntries) this.local.delete(this.local.keys().next().value as string);
  }

  /** Resolves when every read in flight (background refreshes too) has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  get size(): number {
    return this.local.size;
  }
}

/** Rows whose key column equals the key, as objects named by the header row when there is one. */
export function lookupRows(
  values: CellValue[][],
  keyColumn: number,
  key: string,
  headerRow: boolean,
): Array<Record<string, CellValue> | CellValue[]> {
  const header = headerRow ? (values[0] ?? []).map((h, i) => (String(h).trim() === "" ? `column${i + 1}` : String(h))) : undefined;
  const rows = headerRow ? values.slice(1) : values;
  return rows
    .filter((row) => String(row[keyColumn] ?? "") === key)
    .map((row) => (header ? Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""])) : row));
}
