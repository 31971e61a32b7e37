import { createHash, randomBytes } from "node:crypto";
import { Clock } from "../../clock";
import { WaError } from "../../errors";
import { MAX_STORE_VALUE_BYTES, Store } from "../../store/store";
import { BLOB_NAME, BlobStorage, checkBlobName } from "./gallery";

const PREFIX = "wa:gallery-data:";
/** Pieces without a manifest younger than this may be a write still going on in another instance. */
const ORPHAN_AFTER_MS = 60 * 60 * 1000;
/** Raw bytes per stored piece: base64 of it stays under the store's largest value. */
const PIECE_BYTES = Math.floor((MAX_STORE_VALUE_BYTES * 3) / 4) - 1024;

interface Manifest {
  bytes: number;
  pieces: number;
  /** Names this version's pieces (when it was written, in hex ms, and a random part), so a rewrite never mixes old and new pieces. */
  version: string;
}

/**
 * Blobs kept in the wa-store itself (memory, SQLite or Redis), cut into pieces under the store's
 * value limit, so instances that share a Redis share the media too. The manifest is written after
 * its pieces and removed before them: a reader sees a whole blob or none. A hash-named blob is
 * checked against its hash when read back.
 */
export class StoreBlobStorage implements BlobStorage {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private async manifestOf(name: string): Promise<Manifest | undefined> {
    const raw = await this.store.get(`${PREFIX}${name}`);
    if (raw === undefined) return undefined;
    try {
      const manifest = JSON.parse(raw) as Manifest;
      return Number.isInteger(manifest.pieces) && Number.isInteger(manifest.bytes) && typeof manifest.version === "string"
        ? manifest
        : undefined;
    } catch {
      return undefined;
    }
  }

  private pieceKey(name: string, version: string, index: number): string {
    return `${PREFIX}${name}#${version}:${index}`;
  }

  async put(name: string, data: Buffer): Promise<void> {
    checkBlobName(name);
    const previous = await this.manifestOf(name);
    const version = `${this.clock.now().toString(16)}-${randomBytes(4).toString("hex")}`;
    const pieces = Math.max(1, Math.ceil(data.length / PIECE_BYTES));
    for (let i = 0; i < pieces; i++)
      await this.store.set(this.pieceKey(name, version, i), data.subarray(i * PIECE_BYTES, (i + 1) * PIECE_BYTES).toString("base64"));
    await this.store.set(`${PREFIX}${name}`, JSON.stringify({ bytes: data.length, pieces, version } satisfies Manifest));
    if (previous) await this.deletePieces(name, previous);
  }

  async get(name: string): Promise<Buffer | undefined> {
    checkBlobName(name);
    const manifest = await this.manifestOf(name);
    if (!manifest) return undefined;
    const parts: Buffer[] = [];
    for (let i = 0; i < manifest.pieces; i++) {
      const piece = await this.store.get(this.pieceKey(name, manifest.version, i));
      // Deleted or rewritten by another instance while this one read it.
      if (piece === undefined) return undefined;
      parts.push(Buffer.from(piece, "base64"));
    }
    const data = Buffer.concat(parts);
    const intact = data.length === manifest.bytes && (name.endsWith(".thumb") || createHash("sha256").update(data).digest("hex") === name);
    if (!intact)
      throw new WaError("media.unreadable", `The stored media ${name.slice(0, 16)}… is damaged in the store`, {
        reason: "damaged in the store",
      });
    return data;
  }

  async delete(name: string): Promise<void> {
    checkBlobName(name);
    const manifest = await this.manifestOf(name);
    await this.store.delete(`${PREFIX}${name}`);
    if (manifest) await this.deletePieces(name, manifest);
  }

  private async deletePieces(name: string, manifest: Manifest): Promise<void> {
    for (let i = 0; i < manifest.pieces; i++) await this.store.delete(this.pieceKey(name, manifest.version, i));
  }

  async list(): Promise<string[]> {
    const keys = (await this.store.keys(PREFIX)).map((key) => key.slice(PREFIX.length));
    const names = keys.filter((name) => BLOB_NAME.test(name));
    // Pieces no manifest names: an instance stopped half-way through a write or a delete, an hour ago or more.
    const listed = new Set(names);
    const versions = new Map<string, string | undefined>();
    for (const key of keys) {
      const piece = /^([0-9a-f]{64}(?:\.thumb)?)#(([0-9a-f]+)-[0-9a-f]+):\d+$/.exec(key);
      if (!piece || this.clock.now() - Number.parseInt(piece[3], 16) < ORPHAN_AFTER_MS) continue;
      if (!versions.has(piece[1])) versions.set(piece[1], listed.has(piece[1]) ? (await this.manifestOf(piece[1]))?.version : undefined);
      if (versions.get(piece[1]) !== piece[2]) await this.store.delete(`${PREFIX}${key}`);
    }
    return names;
  }
}
