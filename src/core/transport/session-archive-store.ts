import * as fs from "node:fs";
import * as path from "node:path";
import { WaError } from "../errors";
import { Store } from "../store/store";

/** Store values are at most 1 MB; a session archive is kept in parts of this size (base64). */
const PART_BYTES = 512 * 1024;
const MAX_ARCHIVE_BYTES = 200 * 1024 * 1024;

/**
 * The store whatsapp-web.js's RemoteAuth asks for (sessionExists / save / extract / delete),
 * kept in a wa-store, so a WhatsApp Web session survives a new machine or container and is
 * shared by the instances that use the same store. RemoteAuth writes the session's zip to
 * `<dataPath>/<session>.zip` before `save` and reads it from the path it gives to `extract`.
 */
export class SessionArchiveStore {
  constructor(
    private readonly store: Store,
    private readonly dataPath: string,
  ) {}

  async sessionExists({ session }: { session: string }): Promise<boolean> {
    return (await this.store.get(this.metaKey(session))) !== undefined;
  }

  async save({ session }: { session: string }): Promise<void> {
    const file = path.join(this.dataPath, `${this.checked(session)}.zip`);
    const data = await fs.promises.readFile(file);
    if (data.length > MAX_ARCHIVE_BYTES)
      throw new WaError("store.valueTooLarge", `The session archive is ${data.length} bytes, over ${MAX_ARCHIVE_BYTES}`, {
        key: session,
        max: MAX_ARCHIVE_BYTES,
      });
    const previous = await this.meta(session);
    const parts = Math.ceil(data.length / PART_BYTES);
    // Parts first, then the meta that names them: a crash in between leaves the previous archive readable.
    const generation = (previous?.generation ?? 0) + 1;
    for (let i = 0; i < parts; i += 1)
      await this.store.set(this.partKey(session, generation, i), data.subarray(i * PART_BYTES, (i + 1) * PART_BYTES).toString("base64"));
    await this.store.set(this.metaKey(session), JSON.stringify({ generation, parts, bytes: data.length }));
    if (previous) await this.deleteParts(session, previous.generation, previous.parts);
  }

  async extract({ session, path: target }: { session: string; path: string }): Promise<void> {
    const meta = await this.meta(session);
    if (!meta)
      throw new WaError("store.unavailable", `No saved WhatsApp Web session ${session} in the store`, {
        backend: "store",
        reason: "no session",
      });
    const parts: Buffer[] = [];
    for (let i = 0; i < meta.parts; i += 1) {
      const part = await this.store.get(this.partKey(session, meta.generation, i));
      if (part === undefined)
        throw new WaError(
          "store.unavailable",
          `The saved WhatsApp Web session ${session} is incomplete (part ${i + 1} of ${meta.parts} missing)`,
          { backend: "store", reason: "incomplete" },
        );
      parts.push(Buffer.from(part, "base64"));
    }
    const data = Buffer.concat(parts);
    if (data.length !== meta.bytes)
      throw new WaError("store.unavailable", `The saved WhatsApp Web session ${session} is damaged`, {
        backend: "store",
        reason: "size mismatch",
      });
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await fs.promises.writeFile(target, data);
  }

  async delete({ session }: { session: string }): Promise<void> {
    const meta = await this.meta(session);
    if (!meta) return;
    await this.store.delete(this.metaKey(session));
    await this.deleteParts(session, meta.generation, meta.parts);
  }

  private async meta(session: string): Promise<{ generation: number; parts: number; bytes: number } | undefined> {
    const raw = await this.store.get(this.metaKey(session));
    return raw === undefined ? undefined : (JSON.parse(raw) as { generation: number; parts: number; bytes: number });
  }

  private async deleteParts(session: string, generation: number, parts: number): Promise<void> {
    for (let i = 0; i < parts; i += 1) await this.store.delete(this.partKey(session, generation, i));
  }

  private checked(session: string): string {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(session))
      throw new WaError("config.invalid", `Not a session name: ${session.slice(0, 40)}`, { field: "session" });
    return session;
  }

  private metaKey(session: string): string {
    return `wa:wwebjs-session:${this.checked(session)}:meta`;
  }

  private partKey(session: string, generation: number, index: number): string {
    return `wa:wwebjs-session:${this.checked(session)}:${generation}:${index}`;
  }
}
