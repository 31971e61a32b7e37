import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { BLOB_NAME, BlobStorage, checkBlobName } from "./gallery";

const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/**
 * Blobs as files named by their hash under one folder (two-letter fan-out), written to a temporary
 * file first and renamed, so a crash never leaves half a file under a real name. Only hash names are
 * accepted: nothing a chat sends becomes part of a path.
 */
export class FileBlobStorage implements BlobStorage {
  constructor(private readonly root: string) {}

  private pathOf(name: string): string {
    return path.join(this.root, name.slice(0, 2), checkBlobName(name));
  }

  async put(name: string, data: Buffer): Promise<void> {
    const target = this.pathOf(name);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temporary, data, { mode: 0o600 });
    await rename(temporary, target);
  }

  async get(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(name));
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    await rm(this.pathOf(name), { force: true });
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    let folders: string[];
    try {
      folders = await readdir(this.root);
    } catch {
      return [];
    }
    for (const folder of folders.filter((f) => /^[0-9a-f]{2}$/.test(f))) {
      for (const file of await readdir(path.join(this.root, folder))) {
        if (BLOB_NAME.test(file)) names.push(file);
        else if (file.endsWith(".tmp")) {
          // A write that stopped half-way; one still in progress is minutes younger.
          const stale = await stat(path.join(this.root, folder, file)).then(
            (s) => Date.now() - s.mtimeMs > STALE_TEMPORARY_MS,
            () => false,
          );
          if (stale) await rm(path.join(this.root, folder, file), { force: true });
        }
      }
    }
    return names;
  }
}
