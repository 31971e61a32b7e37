import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { WaError } from "../../core/errors";

function isInside(folder: string, candidate: string): boolean {
  const relative = path.relative(folder, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * A path a node's form names, resolved against the Node-RED user directory and refused unless it lies
 * inside it (absolute paths elsewhere and `..` are refused): a form's file setting is not a way to reach
 * the rest of the machine. Links inside the user directory are followed as placed there: `npm link`
 * and `npm install <folder>` put the pack itself behind one.
 */
export function resolveInsideUserDir(userDir: string, given: string, what: string, field: string): string {
  const root = path.resolve(userDir);
  const resolved = path.resolve(root, given);
  if (!isInside(root, resolved)) throw new WaError("config.invalid", `${what} ${given}: must be a path inside the Node-RED user directory`, { field });
  return resolved;
}

/**
 * A text file a node's form names, inside the Node-RED user directory, read at deploy within
 * a size limit; only a regular file is read. A problem is a config error naming the form field and the file.
 */
export function readUserTextFile(userDir: string, file: string, maxBytes: number, what: string, field: string): { resolved: string; text: string } {
  const resolved = resolveInsideUserDir(userDir, file, what, field);
  let handle: number | undefined;
  try {
    handle = openSync(resolved, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = fstatSync(handle);
    if (!stats.isFile()) throw new Error("not a regular file");
    if (stats.size > maxBytes) throw new Error(`${stats.size} bytes, more than the ${maxBytes} allowed`);
    // Read at most one byte past the limit: a file that grows while it is read is still bounded.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (let read = 1; read > 0 && length < buffer.length; length += read) read = readSync(handle, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw new Error(`more than the ${maxBytes} bytes allowed`);
    return { resolved, text: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "not found" : code === "EACCES" ? "not readable (permission denied)" : code === "EISDIR" ? "a folder, not a file" : (error as Error).message;
    throw new WaError("config.invalid", `${what} ${file}: ${reason}`, { field });
  } finally {
    if (handle !== undefined) closeSync(handle);
  }
}
