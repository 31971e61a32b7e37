import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { WaError } from "../../core/errors";

/**
 * A text file a node's form names, relative to the Node-RED user directory, read at deploy within
 * a size limit; a problem is a config error naming the form field and the file.
 */
export function readUserTextFile(userDir: string, file: string, maxBytes: number, what: string, field: string): { resolved: string; text: string } {
  const resolved = path.resolve(userDir, file);
  try {
    const size = statSync(resolved).size;
    if (size > maxBytes) throw new Error(`${size} bytes, more than the ${maxBytes} allowed`);
    return { resolved, text: readFileSync(resolved, "utf8") };
  } catch (error) {
    throw new WaError("config.invalid", `${what} ${file}: ${(error as Error).message}`, { field });
  }
}
