import { Clock } from "../clock";
import { WaError } from "../errors";
import { Store } from "../store/store";

/** What the pipeline remembers about one chat between messages. */
export interface SessionState {
  /** Where the conversation is (greeting, ordering, payment...). */
  stage: string | null;
  /** Values collected so far (product, quantity, address...). */
  slots: Record<string, unknown>;
  lastIntent: string | null;
  language: string | null;
  /** Anything else the flow wants to keep. */
  custom: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** Grows with every write; tells concurrent writers apart. */
  version: number;
}

export interface SessionStateOptions {
  /** Namespace, so separate flows can keep separate state for the same chat. */
  name: string;
  /** State untouched this long is forgotten (every write starts the time again). */
  ttlMs: number;
  /** Largest state kept, in bytes of JSON. */
  maxBytes: number;
}

const FIELDS = ["stage", "slots", "lastIntent", "language", "custom"] as const;
// With N writers at once the last needs up to N tries; a chat rarely has more than a few.
const MAX_ATTEMPTS = 1000;

function badValue(reason: string, field = "value"): WaError {
  return new WaError("state.badValue", reason, { field, reason });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function emptyState(now: number): SessionState {
  return { stage: null, slots: {}, lastIntent: null, language: null, custom: {}, createdAt: now, updatedAt: now, version: 0 };
}

/** Merges `patch` into `target`: objects key by key, a null value deletes the key. */
function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(target)) if (!(key in patch)) out[key] = value;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) continue;
    out[key] = isPlainObject(value) && isPlainObject(target[key]) ? mergeInto(target[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

/** Sorts a patch into the known fields; other top-level keys belong to `custom`. */
function normalisePatch(patch: unknown): Partial<Pick<SessionState, (typeof FIELDS)[number]>> {
  if (!isPlainObject(patch)) throw badValue('The state to write must be an object, such as {"stage": "ordering", "slots": {"size": "M"}}');
  const known: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if ((FIELDS as readonly string[]).includes(key)) known[key] = value;
    else custom[key] = value;
  }
  for (const key of ["stage", "lastIntent", "language"] as const) {
    const value = known[key];
    if (value !== undefined && value !== null && typeof value !== "string") throw badValue(`${key} must be a string or null`, key);
  }
  for (const key of ["slots", "custom"] as const) {
    const value = known[key];
    if (value !== undefined && value !== null && !isPlainObject(value)) throw badValue(`${key} must be an object`, key);
  }
  if (Object.keys(custom).length > 0) known.custom = isPlainObject(known.custom) ? { ...custom, ...known.custom } : custom;
  return known as Partial<Pick<SessionState, (typeof FIELDS)[number]>>;
}

export class SessionStateManager {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: SessionStateOptions,
  ) {
    if (!(options.ttlMs > 0)) throw new WaError("config.invalid", "State TTL must be greater than 0", { field: "ttl" });
  }

  /** The chat's state, or a fresh empty one (`exists` false). */
  async get(chatId: string): Promise<{ state: SessionState; exists: boolean }> {
    const raw = await this.store.get(this.key(chatId));
    return raw === undefined
      ? { state: emptyState(this.clock.now()), exists: false }
      : { state: JSON.parse(raw) as SessionState, exists: true };
  }

  /** Replaces the state with `value` (fields not given are reset). */
  async set(chatId: string, value: unknown): Promise<SessionState> {
    const patch = normalisePatch(value);
    return this.update(chatId, (current) => ({ ...emptyState(current.createdAt), ...this.clean(patch), createdAt: current.createdAt }));
  }

  /** Merges `value` into the state: slots and custom key by key, null deletes a key or clears a field. */
  async merge(chatId: string, value: unknown): Promise<SessionState> {
    const patch = normalisePatch(value);
    return this.update(chatId, (current) => {
      const next = { ...current };
      if (patch.stage !== undefined) next.stage = patch.stage;
      if (patch.lastIntent !== undefined) next.lastIntent = patch.lastIntent;
      if (patch.language !== undefined) next.language = patch.language;
      if (patch.slots !== undefined) next.slots = patch.slots === null ? {} : mergeInto(current.slots, patch.slots);
      if (patch.custom !== undefined) next.custom = patch.custom === null ? {} : mergeInto(current.custom, patch.custom);
      return next;
    });
  }

  /** Adds `by` to a number at `path` in slots or custom (e.g. "custom.visits"), starting from 0. */
  async increment(chatId: string, path: string, by: number): Promise<SessionState> {
    const [root, ...rest] = path.split(".");
    if (
      (root !== "slots" && root !== "custom") ||
      rest.length === 0 ||
      rest.some((part) => part === "" || part === "__proto__" || part === "constructor")
    ) {
      throw badValue(`Increment a number under slots or custom, such as custom.visits (got "${path}")`, "path");
    }
    if (!Number.isFinite(by)) throw badValue("The amount to add must be a number", "by");
    return this.update(chatId, (current) => {
      const next = { ...current, [root]: structuredClone(current[root]) };
      let cursor = next[root] as Record<string, unknown>;
      for (const part of rest.slice(0, -1)) {
        if (!isPlainObject(cursor[part])) cursor[part] = {};
        cursor = cursor[part] as Record<string, unknown>;
      }
      const leaf = rest[rest.length - 1];
      const before = cursor[leaf] ?? 0;
      if (typeof before !== "number") throw badValue(`${path} holds a ${typeof before}, not a number`, "path");
      cursor[leaf] = before + by;
      return next;
    });
  }

  async delete(chatId: string): Promise<boolean> {
    return this.store.delete(this.key(chatId));
  }

  private clean(patch: Partial<SessionState>): Partial<SessionState> {
    const out: Partial<SessionState> = {};
    for (const [key, value] of Object.entries(patch)) if (value !== null) (out as Record<string, unknown>)[key] = value;
    return out;
  }

  /** Read, change, compare-and-set; again if another writer got there first. */
  private async update(chatId: string, change: (current: SessionState) => SessionState): Promise<SessionState> {
    const key = this.key(chatId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const raw = await this.store.get(key);
      const current = raw === undefined ? emptyState(this.clock.now()) : (JSON.parse(raw) as SessionState);
      const next = change(current);
      next.version = current.version + 1;
      next.updatedAt = this.clock.now();
      const text = JSON.stringify(next);
      if (Buffer.byteLength(text) > this.options.maxBytes) {
        throw new WaError(
          "state.tooLarge",
          `The state of chat ${chatId} would be ${Buffer.byteLength(text)} bytes, over the ${this.options.maxBytes} allowed`,
          { chatId, max: this.options.maxBytes },
        );
      }
      if (await this.store.compareAndSet(key, raw, text, { ttlMs: this.options.ttlMs })) return next;
    }
    throw new WaError("state.contended", `The state of chat ${chatId} kept changing under ${MAX_ATTEMPTS} attempts to write it`, {
      chatId,
    });
  }

  private key(chatId: string): string {
    return `wa:state:${this.options.name}:${chatId}`;
  }
}
