import { WaError } from "../errors";
import { Store } from "../store/store";

/**
 * The Cloud API's customer-service window: a business may send free-form messages to a customer only within
 * 24 hours of the customer's last message; outside it, only approved templates. The transport remembers when
 * each chat last wrote and refuses a free-form send it knows is outside, before Meta does (Meta answers such a
 * send with error 131047, which is read as the same error).
 */
export const SERVICE_WINDOW_MS = 24 * 3600_000;

/** How long a chat's last message is remembered: past this, the pack does not know and Meta decides. */
const REMEMBERED_MS = 30 * 24 * 3600_000;

export interface ServiceWindowMemory {
  noteInbound(chatId: string, at: number): Promise<void>;
  lastInbound(chatId: string): Promise<number | undefined>;
}

/** In this process only, the last `capacity` chats. */
export function memoryServiceWindow(capacity = 50_000): ServiceWindowMemory {
  const last = new Map<string, number>();
  return {
    async noteInbound(chatId, at) {
      const latest = Math.max(at, last.get(chatId) ?? Number.NEGATIVE_INFINITY);
      // Re-inserted, so the chats dropped first when full are the ones silent longest.
      last.delete(chatId);
      last.set(chatId, latest);
      if (last.size > capacity) last.delete(last.keys().next().value as string);
    },
    async lastInbound(chatId) {
      return last.get(chatId);
    },
  };
}

/** In a store (embedded or Redis): the webhook may land on one instance and the reply leave from another. */
export function storeServiceWindow(store: Store, prefix: string): ServiceWindowMemory {
  return {
    async noteInbound(chatId, at) {
      const key = `${prefix}${chatId}`;
      // Later messages only move the window forward, whatever order two instances write in.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = await store.get(key);
        if (current !== undefined && Number(current) >= at) return;
        if (await store.compareAndSet(key, current, String(at), { ttlMs: REMEMBERED_MS })) return;
      }
    },
    async lastInbound(chatId) {
      const value = await store.get(`${prefix}${chatId}`);
      const at = value === undefined ? NaN : Number(value);
      return Number.isFinite(at) ? at : undefined;
    },
  };
}

function hoursAgo(ms: number): string {
  if (!Number.isFinite(ms)) return "never";
  return ms >= 48 * 3600_000 ? `${Math.floor(ms / (24 * 3600_000))} days ago` : `${Math.floor(ms / 3600_000)} h ago`;
}

export function outsideWindow(chatId: string, ago: string): WaError {
  return new WaError(
    "transport.outsideWindow",
    `${chatId} has not written in the last 24 hours (last message: ${ago}): outside the customer-service window the Cloud API sends only approved templates (msg.template)`,
    { chatId, ago },
  );
}

/** Refuses a free-form send to a chat whose last message is known to be more than 24 hours old. */
export function checkServiceWindow(chatId: string, lastInbound: number | undefined, now: number): void {
  if (lastInbound === undefined) return;
  const age = now - lastInbound;
  if (age > SERVICE_WINDOW_MS) throw outsideWindow(chatId, hoursAgo(age));
}
