import * as fs from "node:fs";
import * as path from "node:path";
import { WaError } from "../errors";

/** Reads a simulator media file: a plain regular file inside the media folder (links followed, never out of it), within the size limit. */
export function mediaFolderReader(folder: string): (fileName: string, maxBytes: number) => Promise<Buffer> {
  const root = path.resolve(folder);
  return async (fileName, maxBytes) => {
    const ref = fileName.slice(0, 80);
    const file = path.resolve(root, fileName);
    if (path.dirname(file) !== root) throw new WaError("media.unavailable", `The media of ${ref} is not available any more`, { ref });
    let size: number;
    let real: string;
    try {
      real = await fs.promises.realpath(file);
      const [stats, realRoot] = await Promise.all([fs.promises.stat(real), fs.promises.realpath(root)]);
      if (path.dirname(real) !== realRoot || !stats.isFile()) throw new Error("outside the folder");
      size = stats.size;
    } catch {
      throw new WaError("media.unavailable", `The media file ${ref} is not in the simulator's media folder`, { ref });
    }
    if (size > maxBytes)
      throw new WaError("media.tooLarge", `The media is ${size} bytes; the limit is ${maxBytes}`, { size, max: maxBytes });
    return fs.promises.readFile(real);
  };
}
