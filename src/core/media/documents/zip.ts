import { inflateRawSync } from "node:zlib";
import { WaError } from "../../errors";
import { unreadableDocument } from "./limits";

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const MAX_ENTRIES = 5_000;

/**
 * Reads a ZIP's central directory (DOCX and XLSX are ZIPs) and inflates single entries with a hard
 * cap on what they may grow to: the sizes a ZIP declares are not trusted, inflating stops at the cap.
 */
export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private unpacked = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly maxUnpackedBytes: number,
  ) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let end = -1;
    for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65_535); i--) {
      if (view.getUint32(i, true) === 0x06054b50) {
        end = i;
        break;
      }
    }
    if (end < 0) throw unreadableDocument("a ZIP without its directory (truncated?)");
    const count = view.getUint16(end + 10, true);
    let offset = view.getUint32(end + 16, true);
    if (count > MAX_ENTRIES) throw unreadableDocument(`a ZIP with ${count} parts (at most ${MAX_ENTRIES})`);
    for (let i = 0; i < count; i++) {
      if (offset + 46 > data.length || view.getUint32(offset, true) !== 0x02014b50) throw unreadableDocument("a broken ZIP directory");
      const nameLength = view.getUint16(offset + 28, true);
      const extraLength = view.getUint16(offset + 30, true);
      const commentLength = view.getUint16(offset + 32, true);
      const name = new TextDecoder().decode(data.subarray(offset + 46, offset + 46 + nameLength));
      this.entries.set(name, {
        name,
        method: view.getUint16(offset + 10, true),
        compressedSize: view.getUint32(offset + 20, true),
        size: view.getUint32(offset + 24, true),
        localHeaderOffset: view.getUint32(offset + 42, true),
      });
      offset += 46 + nameLength + extraLength + commentLength;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The entry as text (UTF-8), or undefined when the ZIP lacks it. */
  text(name: string): string | undefined {
    const bytes = this.read(name);
    return bytes && new TextDecoder().decode(bytes);
  }

  read(name: string): Uint8Array | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    const view = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    const at = entry.localHeaderOffset;
    if (at + 30 > this.data.length || view.getUint32(at, true) !== 0x04034b50)
      throw unreadableDocument(`a broken ZIP part (${name.slice(0, 60)})`);
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const compressed = this.data.subarray(start, Math.min(this.data.length, start + entry.compressedSize));
    const room = this.maxUnpackedBytes - this.unpacked;
    let out: Uint8Array;
    if (entry.method === 0) {
      out = compressed;
    } else if (entry.method === 8) {
      try {
        out = inflateRawSync(compressed, { maxOutputLength: Math.max(1, room) });
      } catch (error) {
        if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) throw this.bomb();
        throw unreadableDocument(`a ZIP part that does not inflate (${name.slice(0, 60)})`);
      }
    } else {
      throw unreadableDocument(`ZIP compression method ${entry.method} (${name.slice(0, 60)})`);
    }
    this.unpacked += out.length;
    if (this.unpacked > this.maxUnpackedBytes) throw this.bomb();
    return out;
  }

  private bomb(): WaError {
    return new WaError("media.tooLarge", `The document unpacks to more than ${this.maxUnpackedBytes} bytes`, {
      context: "unpacked",
      max: this.maxUnpackedBytes,
    });
  }
}
