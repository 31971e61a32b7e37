import { createHash } from "node:crypto";
import { Clock } from "../../clock";
import { WaError } from "../../errors";
import { PerChatState } from "../../store/per-chat-state";
import { Store } from "../../store/store";

/** Where the bytes live: a folder under the user directory today, Redis or S3-style storage later. */
export interface BlobStorage {
  put(name: string, data: Buffer): Promise<void>;
  get(name: string): Promise<Buffer | undefined>;
  delete(name: string): Promise<void>;
  /** Every stored name (for sweeping out orphans). */
  list(): Promise<string[]>;
}

export interface GalleryEntry {
  /** SHA-256 of the content: the same photo sent twice is stored once. */
  id: string;
  mimetype: string;
  /** The name the sender gave, reduced to a safe base name; never used as a path. */
  filename?: string;
  bytes: number;
  storedAt: number;
  lastSeenAt: number;
  /** The messages that carried it (the latest 10). */
  messageIds: string[];
  thumbnail?: { mimetype: string; bytes: number };
}

export interface GalleryLimits {
  maxAgeMs: number;
  maxTotalBytes: number;
  maxEntriesPerChat: number;
}

interface ChatIndex {
  entries: GalleryEntry[];
}

interface BlobRecord {
  bytes: number;
  refs: number;
}

export type MakeThumbnail = (data: Buffer, mimetype: string) => Promise<{ data: Buffer; mimetype: string } | undefined>;

const ID = /^[0-9a-f]{64}$/;
const KEY_PREFIX = "wa:gallery:";
const chatKey = (chatId: string) => `${KEY_PREFIX}chat:${chatId}`;
const blobKey = (id: string) => `${KEY_PREFIX}blob:${id}`;
export const thumbnailName = (id: string) => `${id}.thumb`;

/** A name a BlobStorage accepts: a content hash, or its thumbnail's. Nothing a chat sends becomes a blob name. */
export const BLOB_NAME = /^[0-9a-f]{64}(\.thumb)?$/;

export function checkBlobName(name: string): string {
  if (!BLOB_NAME.test(name))
    throw new WaError("media.badName", `The file name ${name.slice(0, 80)} is refused: not a content hash`, {
      name: name.slice(0, 80),
      reason: "not a content hash",
    });
  return name;
}

/** A file name as metadata: the last path segment, no control or path characters, at most 120 characters. */
export function safeFileName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base
    // Control and format characters (U+202E right-to-left override makes "photo\u202Egpj.exe" look like a JPEG).
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}<>:"|?*]/gu, "")
    .replace(/^\.+/, "")
    .trim()
    .slice(0, 120);
  return clean || undefined;
}

export function checkMediaId(id: unknown): string {
  if (typeof id !== "string" || !ID.test(id)) {
    const shown = String(id).slice(0, 80);
    throw new WaError("media.badName", `The media id ${shown} is refused: a stored media id is 64 hexadecimal characters`, {
      name: shown,
      reason: "a stored media id is 64 hexadecimal characters",
    });
  }
  return id;
}

/**
 * Media kept by content hash, with an index per chat in the store (shared by instances on Redis):
 * list, get, delete, and a sweep that drops entries by age and then the least recently seen until
 * the total fits. A blob is deleted when no chat refers to it any more.
 */
export class MediaGallery {
  private readonly indexes: PerChatState<ChatIndex>;

  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStorage,
    private readonly clock: Clock,
    private readonly limits: GalleryLimits,
    private readonly makeThumbnail?: MakeThumbnail,
  ) {
    this.indexes = new PerChatState<ChatIndex>(store, chatKey, 0);
  }

  async put(
    chatId: string,
    media: { data: Buffer; mimetype: string; filename?: string; messageId?: string },
  ): Promise<{ entry: GalleryEntry; duplicate: boolean }> {
    const id = createHash("sha256").update(media.data).digest("hex");
    const now = this.clock.now();
    const existing = await this.store.get(blobKey(id));
    let thumbnail: GalleryEntry["thumbnail"];
    if (!existing) {
      await this.blobs.put(id, media.data);
      const thumb = await this.makeThumbnail?.(media.data, media.mimetype).catch(() => undefined);
      if (thumb) {
        await this.blobs.put(thumbnailName(id), thumb.data);
        thumbnail = { mimetype: thumb.mimetype, bytes: thumb.data.length };
      }
    } else {
      thumbnail = (JSON.parse(existing) as BlobRecord & { thumbnail?: GalleryEntry["thumbnail"] }).thumbnail;
    }
    const { entry, added, dropped } = await this.indexes.update(chatId, (previous) => {
      const entries = [...(previous?.entries ?? [])];
      const at = entries.findIndex((e) => e.id === id);
      const messageIds = (ids: string[]) =>
        media.messageId && !ids.includes(media.messageId) ? [...ids, media.messageId].slice(-10) : ids;
      if (at >= 0) {
        const updated = { ...entries[at], lastSeenAt: now, messageIds: messageIds(entries[at].messageIds) };
        entries[at] = updated;
        return { state: { entries }, entry: updated, added: false, dropped: [] as GalleryEntry[] };
      }
      const created: GalleryEntry = {
        id,
        mimetype: media.mimetype,
        filename: safeFileName(media.filename),
        bytes: media.data.length,
        storedAt: now,
        lastSeenAt: now,
        messageIds: messageIds([]),
        ...(thumbnail ? { thumbnail } : {}),
      };
      entries.push(created);
      const overflow = entries.length - this.limits.maxEntriesPerChat;
      const droppedEntries = overflow > 0 ? entries.splice(0, overflow) : [];
      return { state: { entries }, entry: created, added: true, dropped: droppedEntries };
    });
    // A duplicate whose last other holder let go meanwhile: its file went with it, so it is written again.
    if (added && (await this.changeRefs(id, +1, media.data.length, thumbnail)).created && existing) await this.blobs.put(id, media.data);
    for (const gone of dropped) await this.changeRefs(gone.id, -1);
    return { entry, duplicate: existing !== undefined || !added };
  }

  async list(chatId: string): Promise<GalleryEntry[]> {
    const raw = await this.store.get(chatKey(chatId));
    return raw ? [...(JSON.parse(raw) as ChatIndex).entries].reverse() : [];
  }

  /** Every chat with stored media: how many entries and bytes each lists (a file two chats share counts in both). */
  async chats(): Promise<{ chatId: string; entries: number; bytes: number; lastSeenAt: number }[]> {
    const prefix = `${KEY_PREFIX}chat:`;
    const result: { chatId: string; entries: number; bytes: number; lastSeenAt: number }[] = [];
    for (const key of await this.store.keys(prefix)) {
      const chatId = key.slice(prefix.length);
      const entries = await this.list(chatId);
      if (entries.length === 0) continue;
      result.push({
        chatId,
        entries: entries.length,
        bytes: entries.reduce((sum, e) => sum + e.bytes, 0),
        lastSeenAt: Math.max(...entries.map((e) => e.lastSeenAt)),
      });
    }
    return result.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** The entry and its bytes (or its thumbnail's), when this chat has it. */
  async get(chatId: string, id: string, thumbnail = false): Promise<{ entry: GalleryEntry; data: Buffer }> {
    checkMediaId(id);
    const entry = (await this.list(chatId)).find((e) => e.id === id);
    const data = entry && (await this.blobs.get(thumbnail ? thumbnailName(id) : id));
    if (!entry || !data)
      throw new WaError(
        "media.notFound",
        `No stored media ${id.slice(0, 12)}… in chat ${chatId}${thumbnail && entry ? " has a thumbnail" : ""}`,
        { ref: id.slice(0, 12) },
      );
    return { entry, data };
  }

  async delete(chatId: string, id: string): Promise<boolean> {
    return (await this.removeFromChat(chatId, checkMediaId(id))) !== undefined;
  }

  /** Takes the entry out of the chat's list; the bytes this freed (0 while another chat keeps the file), undefined when the chat did not have it. */
  private async removeFromChat(chatId: string, id: string): Promise<number | undefined> {
    const { removed } = await this.indexes.update(chatId, (previous) => {
      const entries = previous?.entries ?? [];
      const kept = entries.filter((e) => e.id !== id);
      return { state: { entries: kept }, removed: kept.length !== entries.length };
    });
    return removed ? (await this.changeRefs(id, -1)).freed : undefined;
  }

  /** Drops entries older than the age limit, then the least recently seen until the total fits; removes orphan files. */
  async sweep(): Promise<{ expired: number; evicted: number; totalBytes: number; orphans: number }> {
    const cutoff = this.clock.now() - this.limits.maxAgeMs;
    let expired = 0;
    const chatIds = (await this.store.keys(`${KEY_PREFIX}chat:`)).map((key) => key.slice(`${KEY_PREFIX}chat:`.length));
    for (const chatId of chatIds) {
      const { old } = await this.indexes.update(chatId, (previous) => {
        const entries = previous?.entries ?? [];
        return { state: { entries: entries.filter((e) => e.lastSeenAt >= cutoff) }, old: entries.filter((e) => e.lastSeenAt < cutoff) };
      });
      for (const entry of old) await this.changeRefs(entry.id, -1);
      expired += old.length;
    }
    let totalBytes = await this.totalBytes();
    let evicted = 0;
    if (totalBytes > this.limits.maxTotalBytes) {
      const all: { chatId: string; entry: GalleryEntry }[] = [];
      for (const chatId of chatIds) for (const entry of await this.list(chatId)) all.push({ chatId, entry });
      all.sort((a, b) => a.entry.lastSeenAt - b.entry.lastSeenAt);
      for (const { chatId, entry } of all) {
        if (totalBytes <= this.limits.maxTotalBytes) break;
        const freed = await this.removeFromChat(chatId, entry.id);
        if (freed === undefined) continue;
        evicted += 1;
        totalBytes -= freed;
      }
    }
    // Files without a record: a put that stopped half-way (crash between writing and indexing).
    let orphans = 0;
    for (const name of await this.blobs.list()) {
      const id = name.replace(/\.thumb$/, "");
      if (ID.test(id) && !(await this.store.get(blobKey(id)))) {
        await this.blobs.delete(name);
        orphans += 1;
      }
    }
    return { expired, evicted, totalBytes, orphans };
  }

  async totalBytes(): Promise<number> {
    let total = 0;
    for (const key of await this.store.keys(`${KEY_PREFIX}blob:`)) {
      const raw = await this.store.get(key);
      if (raw) {
        const record = JSON.parse(raw) as BlobRecord & { thumbnail?: { bytes: number } };
        total += record.bytes + (record.thumbnail?.bytes ?? 0);
      }
    }
    return total;
  }

  /** Whether this call created the record (the blob had no holder before), and the bytes freed when it let the last holder go. */
  private async changeRefs(
    id: string,
    by: number,
    bytes = 0,
    thumbnail?: GalleryEntry["thumbnail"],
  ): Promise<{ created: boolean; freed: number }> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const raw = await this.store.get(blobKey(id));
      const record = raw
        ? (JSON.parse(raw) as BlobRecord & { thumbnail?: GalleryEntry["thumbnail"] })
        : { bytes, refs: 0, ...(thumbnail ? { thumbnail } : {}) };
      const refs = record.refs + by;
      if (refs <= 0) {
        if (await this.store.compareAndSet(blobKey(id), raw, undefined)) {
          await this.blobs.delete(id);
          await this.blobs.delete(thumbnailName(id));
          return { created: false, freed: record.bytes + (record.thumbnail?.bytes ?? 0) };
        }
      } else if (await this.store.compareAndSet(blobKey(id), raw, JSON.stringify({ ...record, refs })))
        return { created: raw === undefined, freed: 0 };
    }
    throw new WaError("state.contended", `The gallery record of ${id.slice(0, 12)}… kept changing while it was being written; try again`, {
      chatId: id.slice(0, 12),
    });
  }
}
