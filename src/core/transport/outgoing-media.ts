import { LookupAddress, lookup as dnsLookup } from "node:dns";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { isIP } from "node:net";
import * as path from "node:path";
import { AddressPolicy } from "./address-policy";
import { WaError, invalidSetting } from "../errors";
import { baseMimeType, checkSendableMedia, mimeTypeOfName } from "../media/media-types";

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

export interface MediaSourceRules {
  maxBytes: number;
  userDir: string;
  /** Folders files may be read from (absolute, or relative to the user directory); none: no file is read. */
  fileFolders: readonly string[];
  /** Which addresses URLs may reach; private ones only when it allows them. */
  addresses: AddressPolicy;
  urlTimeoutMs: number;
  maxRedirects?: number;
}

const bad = (reason: string) => new WaError("media.badSource", `The media to send could not be read: ${reason}`, { reason });
const tooLarge = (max: number) => new WaError("media.tooLarge", `The media is over the limit of ${max} bytes`, { context: "unknown", max });
const shown = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

/** A file under one of the allowed folders, symlinks resolved first: nothing outside them, nothing but regular files. */
async function readAllowedFile(given: string, rules: MediaSourceRules): Promise<{ data: Buffer; name: string }> {
  if (rules.fileFolders.length === 0)
    throw bad(`files are not read unless the node's form names the folders they may come from (asked for ${shown(given)})`);
  const candidate = path.resolve(rules.userDir, given);
  const folders = await Promise.all(
    rules.fileFolders.map((folder) => fs.promises.realpath(path.resolve(rules.userDir, folder)).catch(() => undefined)),
  );
  const inside = (file: string) =>
    folders.some((folder) => folder !== undefined && file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep));
  const outside = () => bad(`${shown(given)} is outside the folders the node may send files from`);
  let real: string;
  try {
    real = await fs.promises.realpath(candidate);
  } catch {
    // Whether a file outside the folders exists is not told.
    throw inside(candidate) ? bad(`no file at ${shown(given)}`) : outside();
  }
  if (!inside(real)) throw outside();
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    throw bad(`${shown(given)} could not be opened`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw bad(`${shown(given)} is not a regular file`);
    if (stat.size > rules.maxBytes)
      throw new WaError("media.tooLarge", `The media is ${stat.size} bytes; the limit is ${rules.maxBytes}`, {
        size: stat.size,
        max: rules.maxBytes,
      });
    // The limit holds on the bytes read, whatever the size said (a file can grow while it is read).
    const buffer = Buffer.alloc(Math.min(rules.maxBytes + 1, Math.max(stat.size, 0) + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) throw tooLarge(rules.maxBytes);
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { data: buffer.subarray(0, length), name: path.basename(real) };
  } finally {
    await handle.close();
  }
}

/** A lookup for the HTTP agent that refuses to connect to an address the policy does not allow. */
function guardedLookup(policy: AddressPolicy) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      const refused = addresses.map((a) => policy.refusal(hostname, a.address)).find((reason) => reason !== undefined);
      if (refused) {
        callback(bad(refused), []);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

interface Hop {
  status: number;
  headers: http.IncomingHttpHeaders;
  body?: Buffer;
  location?: string;
}

function requestOnce(url: URL, rules: MediaSourceRules, deadline: number): Promise<Hop> {
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  // An IP written in the URL is never looked up, so it is judged here.
  if (isIP(literal) !== 0) {
    const refused = rules.addresses.refusal(literal, literal);
    if (refused) return Promise.reject(bad(refused));
  }
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const remaining = Math.max(1, deadline - Date.now());
    const request = client.get(
      url,
      { lookup: guardedLookup(rules.addresses) as never, timeout: remaining, headers: { "user-agent": "wapipe-media/1" } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          resolve({ status, headers: response.headers, location: response.headers.location });
          return;
        }
        if (status < 200 || status >= 300) {
          response.resume();
          reject(bad(`${shown(url.href)} answered HTTP ${status}`));
          return;
        }
        const declared = Number(response.headers["content-length"]);
        if (Number.isFinite(declared) && declared > rules.maxBytes) {
          response.destroy();
          reject(
            new WaError("media.tooLarge", `The media is ${declared} bytes; the limit is ${rules.maxBytes}`, {
              size: declared,
              max: rules.maxBytes,
            }),
          );
          return;
        }
        // A running count, so a server that lies about (or omits) its length cannot fill memory.
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > rules.maxBytes) {
            response.destroy();
            reject(tooLarge(rules.maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => resolve({ status, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on("error", (error) => reject(bad(`${shown(url.href)}: ${error.message}`)));
      },
    );
    const slow = () => request.destroy(bad(`${shown(url.href)} took longer than ${Math.round(rules.urlTimeoutMs / 1000)} s`));
    const timer = setTimeout(slow, remaining);
    request.on("timeout", slow);
    request.on("close", () => clearTimeout(timer));
    request.on("error", (error) => reject(error instanceof WaError ? error : bad(`${shown(url.href)}: ${error.message}`)));
  });
}

/** Fetches an http(s) URL, following up to 5 redirects, each hop's address checked against the policy. */
async function readAllowedUrl(given: string, rules: MediaSourceRules): Promise<{ data: Buffer; mimetype?: string; name?: string }> {
  const deadline = Date.now() + rules.urlTimeoutMs;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw bad(`${shown(given)} is not a URL`);
  }
  const maxRedirects = rules.maxRedirects ?? 5;
  for (let hop = 0; ; hop += 1) {
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw bad(`only http:// and https:// URLs are fetched (not ${shown(url.protocol)})`);
    if (url.username || url.password) throw bad("URLs with a user name or password are not fetched");
    const answer = await requestOnce(url, rules, deadline);
    if (answer.location === undefined) {
      const type = answer.headers["content-type"];
      return {
        data: answer.body ?? Buffer.alloc(0),
        ...(type ? { mimetype: baseMimeType(type) } : {}),
        name: path.basename(url.pathname) || undefined,
      };
    }
    if (hop >= maxRedirects) throw bad(`${shown(given)} redirected more than ${maxRedirects} times`);
    url = new URL(answer.location, url);
  }
}

/** Reads msg.media into bytes and checks them against what WhatsApp takes and the size limit. */
export async function loadMediaToSend(input: unknown, rules: MediaSourceRules): Promise<MediaToSend> {
  const given: MediaInput = Buffer.isBuffer(input)
    ? { data: input }
    : typeof input === "object" && input !== null
      ? (input as MediaInput)
      : {};
  const filename = typeof given.filename === "string" ? path.basename(given.filename).slice(0, 200) : undefined;
  let data: Buffer;
  let detectedType: string | undefined;
  let nameFromSource: string | undefined;
  if (Buffer.isBuffer(given.data)) {
    data = given.data;
  } else if (typeof given.file === "string" && given.file !== "") {
    const file = await readAllowedFile(given.file, rules);
    data = file.data;
    nameFromSource = file.name;
  } else if (typeof given.url === "string" && given.url !== "") {
    const fetched = await readAllowedUrl(given.url, rules);
    data = fetched.data;
    detectedType = fetched.mimetype;
    nameFromSource = fetched.name;
  } else {
    throw bad("msg.media needs data (a Buffer), file (a path) or url (http or https)");
  }
  const name = filename ?? nameFromSource;
  const mimetype =
    typeof given.mimetype === "string" && given.mimetype !== ""
      ? baseMimeType(given.mimetype)
      : (detectedType ?? (name ? mimeTypeOfName(name) : undefined));
  if (!mimetype) throw bad("say its type in msg.media.mimetype (or give a file name with a known extension)");
  checkSendableMedia(mimetype, data.length, rules.maxBytes);
  return { mimetype, data, ...(name ? { filename: name } : {}) };
}

/** The form's folder list: one a line or separated by commas; relative to the user directory. */
export function parseFileFolders(text: unknown): string[] {
  if (typeof text !== "string" || text.trim() === "") return [];
  const folders = text
    .split(/[\n,]+/)
    .map((f) => f.trim())
    .filter(Boolean);
  if (folders.length > 20 || folders.some((f) => f.length > 500 || f.includes("\0")))
    throw invalidSetting("fileFolders", "fileFolders", "Send files from: at most 20 folders, each a path of at most 500 characters");
  return folders;
}
