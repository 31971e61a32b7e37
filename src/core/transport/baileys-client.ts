import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Clock } from "../clock";
import { invalidSetting } from "../errors";
import { Store } from "../store/store";
import { storeAuthState } from "./baileys-auth";
import { BaileysSocketLike, BaileysTransport } from "./baileys-transport";

type BaileysModule = typeof import("@whiskeysockets/baileys");

export const BAILEYS_LIBRARY = "@whiskeysockets/baileys";

export interface BaileysSettings {
  /** Config node id: one login per connection. */
  sessionId: string;
  userDir: string;
  pairingPhoneNumber: string;
  includeOwn: boolean;
  /** Keep the login in a wa-store (embedded or Redis); none: a folder in the user directory. */
  sessionStore?: () => Store;
  /** Where the library's own warnings and errors go. */
  log?: (level: "warn" | "error", text: string) => void;
}

export function baileysFolder(userDir: string, sessionId: string): string {
  return path.join(userDir, "wa-pipeline", "baileys-sessions", sessionId.replace(/[^A-Za-z0-9_-]/g, "_"));
}

/** Where the pack looks for Baileys: the user directory (where the dialog installs it), then beside the pack. */
function resolveLibrary(userDir: string): string | undefined {
  for (const resolver of [createRequire(path.join(userDir, "package.json")), require]) {
    try {
      return resolver.resolve(BAILEYS_LIBRARY);
    } catch {
      // Not there: the next place.
    }
  }
  return undefined;
}

export function installedBaileysVersion(userDir: string): string | undefined {
  const main = resolveLibrary(userDir);
  if (!main) return undefined;
  // From lib/index.js up to the package's own package.json.
  for (let dir = path.dirname(main); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === BAILEYS_LIBRARY) return pkg.version;
  }
  return undefined;
}

// Baileys is an ES module; this package is compiled to CommonJS, whose import() would become require().
const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

async function loadLibrary(userDir: string): Promise<BaileysModule> {
  const main = resolveLibrary(userDir);
  if (!main) {
    throw invalidSetting(
      "mode",
      "baileysMissing",
      `Baileys is not installed. Install it from this connection's dialog (Install Baileys), or in the Node-RED user directory run: npm install ${BAILEYS_LIBRARY}`,
      { library: BAILEYS_LIBRARY },
    );
  }
  return (await importModule(pathToFileURL(main).href)) as BaileysModule;
}

/** Baileys wants a pino-shaped logger; only its warnings and errors are worth a Node-RED log line. */
function quietLogger(log: BaileysSettings["log"]) {
  const text = (obj: unknown, msg?: string) => (msg ?? (typeof obj === "string" ? obj : JSON.stringify(obj))).slice(0, 300);
  const logger = {
    level: "warn",
    child: () => logger,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (obj: unknown, msg?: string) => log?.("warn", text(obj, msg)),
    error: (obj: unknown, msg?: string) => log?.("error", text(obj, msg)),
  };
  return logger;
}

/** Makes the transport; `start()` it once every config node of the flow exists. */
export function createBaileysTransport(
  settings: BaileysSettings,
  clock: Clock,
  override?: (sessionId: string) => BaileysSocketLike,
): BaileysTransport {
  let clearLogin: () => Promise<void> = async () => undefined;
  let library: BaileysModule | undefined;
  return new BaileysTransport(clock, {
    createSocket: async () => {
      if (override) {
        settings.sessionStore?.();
        return override(settings.sessionId);
      }
      library ??= await loadLibrary(settings.userDir);
      const lib = library;
      const auth = settings.sessionStore
        ? await storeAuthState(settings.sessionStore(), `wa:baileys:${settings.sessionId}:`, {
            initAuthCreds: lib.initAuthCreds,
            BufferJSON: lib.BufferJSON,
            appStateSyncKey: (value) => lib.proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>),
          })
        : await (async () => {
            const folder = baileysFolder(settings.userDir, settings.sessionId);
            const files = await lib.useMultiFileAuthState(folder);
            return { ...files, clear: () => fs.promises.rm(folder, { recursive: true, force: true }) };
          })();
      clearLogin = auth.clear;
      const socket: BaileysSocketLike = lib.makeWASocket({
        auth: auth.state,
        logger: quietLogger(settings.log),
        browser: lib.Browsers.ubuntu("Node-RED"),
        markOnlineOnConnect: false,
        syncFullHistory: false,
      });
      socket.ev.on("creds.update", () => void auth.saveCreds());
      return socket;
    },
    clearLogin: () => clearLogin(),
    download: async (message) => {
      library ??= await loadLibrary(settings.userDir);
      return (await library.downloadMediaMessage(message, "buffer", {})) as Buffer;
    },
    pairingPhoneNumber: settings.pairingPhoneNumber,
    includeOwn: settings.includeOwn,
    reconnectBaseMs: 5_000,
    reconnectMaxMs: 300_000,
    maxMediaBytes: 16 * 1024 * 1024,
  });
}
