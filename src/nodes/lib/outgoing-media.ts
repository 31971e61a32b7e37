import * as fs from "node:fs";
import * as path from "node:path";
import { WaError } from "../../core/errors";
import { baseMimeType, checkSendableMedia, mimeTypeOfName } from "../../core/media-types";

export interface MediaToSend {
  mimetype: string;
  data: Buffer;
  filename?: string;
}

/** What a flow may put in msg.media: bytes, a file path, or an http(s) URL, with optional type and name. */
interface MediaInput {
  data?: unknown;
  file?: unknown;
  url?: unknown;
  mimetype?: unknown;
  filename?: unknown;
}

const bad = (reason: string) => new WaError("media.badSource", `The media to send could not be read: ${reason}`, { reason });

async function readUrl(url: string, maxBytes: number, timeoutMs: number, fetchUrl: typeof fetch): Promise<{ data: Buffer; mimetype?: string }> {
  let response: Response;
  try {
    response = await fetchUrl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (error) {
    throw bad(`${url.slice(0, 120)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) throw bad(`${url.slice(0, 120)} answered HTTP ${response.status}`);
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw new WaError("media.tooLarge", `The media is ${declared} bytes; the limit is ${maxBytes}`, { size: declared, max: maxBytes });
  // Read with a running count, so a server that lies about (or omits) its length cannot fill memory.
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new WaError("media.tooLarge", `The media is over ${maxBytes} bytes, the limit`, { size, max: maxBytes });
      }
      chunks.push(Buffer.from(value));
    }
  }
  const type = response.headers.get("content-type");
  return { data: Buffer.concat(chunks), ...(type ? { mimetype: baseMimeType(type) } : {}) };
}

/** Reads msg.media into bytes and checks them against what WhatsApp takes and the size limit. */
export async function loadMediaToSend(input: unknown, options: { maxBytes: number; userDir: string; urlTimeoutMs: number; fetchUrl?: typeof fetch }): Promise<MediaToSend> {
  const given: MediaInput = Buffer.isBuffer(input) ? { data: input } : typeof input === "object" && input !== null ? (input as MediaInput) : {};
  const filename = typeof given.filename === "string" ? path.basename(given.filename).slice(0, 200) : undefined;
  let data: Buffer;
  let detectedType: string | undefined;
  let nameFromSource: string | undefined;
  if (Buffer.isBuffer(given.data)) {
    data = given.data;
  } else if (typeof given.file === "string" && given.file !== "") {
    const file = path.resolve(options.userDir, given.file);
    let size: number;
    try {
      size = (await fs.promises.stat(file)).size;
    } catch {
      throw bad(`no file at ${file}`);
    }
    if (size > options.maxBytes) throw new WaError("media.tooLarge", `The media is ${size} bytes; the limit is ${options.maxBytes}`, { size, max: options.maxBytes });
    data = await fs.promises.readFile(file);
    nameFromSource = path.basename(file);
  } else if (typeof given.url === "string" && given.url !== "") {
    if (!/^https?:\/\//i.test(given.url)) throw bad("only http:// and https:// URLs are fetched");
    const fetched = await readUrl(given.url, options.maxBytes, options.urlTimeoutMs, options.fetchUrl ?? fetch);
    data = fetched.data;
    detectedType = fetched.mimetype;
    nameFromSource = path.basename(new URL(given.url).pathname) || undefined;
  } else {
    throw bad("msg.media needs data (a Buffer), file (a path) or url (http or https)");
  }
  const name = filename ?? nameFromSource;
  const mimetype = typeof given.mimetype === "string" && given.mimetype !== "" ? baseMimeType(given.mimetype) : (detectedType ?? (name ? mimeTypeOfName(name) : undefined));
  if (!mimetype) throw bad("say its type in msg.media.mimetype (or give a file name with a known extension)");
  checkSendableMedia(mimetype, data.length, options.maxBytes);
  return { mimetype, data, ...(name ? { filename: name } : {}) };
}
