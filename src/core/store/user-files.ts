import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { invalidSetting } from "../errors";

/**
 * A path a node's form names: relative to the Node-RED user directory, or absolute, as Node-RED's own
 * file nodes take it (a person who can edit the flows can already read any file through them).
 */
export function resolveUserPath(userDir: string, given: string): string {
  return path.resolve(userDir, given);
}

/** The files a form names, as an error names them (catalogue: terms.<key>). */
export const USER_FILE_TERMS = {
  trainingFile: "Training file",
  chatScript: "Chat script",
  caFile: "CA certificate file",
  productFile: "Product list file",
  adaptList: "Adapt to voices: the list",
  annotatedFile: "Annotated messages file",
} as const;
export type UserFileTerm = keyof typeof USER_FILE_TERMS;

/**
 * A text file a node's form names (see {@link resolveUserPath}), read at deploy within a size limit;
 * only a regular file is read (a FIFO or a device such as /dev/zero would hang or never end).
 * A problem is a config error naming the form field and the file.
 */

export function readUserTextFile(
  userDir: string,
  file: string,
  maxBytes: number,
  what: UserFileTerm,
  field: string,
): { resolved: string; text: string } {
  const resolved = resolveUserPath(userDir, file);
  let handle: number | undefined;
  try {
    handle = openSync(resolved, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = fstatSync(handle);
    if (!stats.isFile()) throw new Error("not a regular file");
    if (stats.size > maxBytes) throw new Error(`${stats.size} bytes, more than the ${maxBytes} allowed`);
    // Read at most one byte past the limit: a file that grows while it is read is still bounded.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (let read = 1; read > 0 && length < buffer.length; length += read)
      read = readSync(handle, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw new Error(`more than the ${maxBytes} bytes allowed`);
    return { resolved, text: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const [text, reason] =
      code === "ENOENT"
        ? ["fileNotFound", "not found"]
        : code === "EACCES"
          ? ["fileNotReadable", "not readable (permission denied)"]
          : code === "EISDIR"
            ? ["fileIsFolder", "a folder, not a file"]
            : ["fileUnreadable", (error as Error).message];
    throw invalidSetting(field, text, `${USER_FILE_TERMS[what]} ${file}: ${reason}`, { whatTerm: what, file, reason });
  } finally {
    if (handle !== undefined) closeSync(handle);
  }
}
