import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { Clock } from "../clock";
import { invalidSetting } from "../errors";
import { WwebjsClientLike, WwebjsTransport } from "./wwebjs-transport";
import { SessionArchiveStore } from "./session-archive-store";

export interface WwebjsSettings {
  /** Config node id: one saved session folder per connection. */
  sessionId: string;
  userDir: string;
  chromiumPath: string;
  headless: boolean;
  extraArgs: string[];
  includeOwn: boolean;
  pairingPhoneNumber: string;
  /**
   * Keep the session in a wa-store (RemoteAuth) instead of only the local folder (LocalAuth).
   * Asked for when a browser is started, so the store's config node may be created after this one.
   */
  sessionStore?: () => SessionArchiveStore;
}

/** Where Debian, Ubuntu, Raspberry Pi OS, Fedora and Homebrew put a Chromium or Chrome. */
const BROWSER_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

/** The browser to drive: the one chosen in the form, else a system one, else puppeteer's own download. */
export function findBrowser(chosen: string, exists: (file: string) => boolean = fs.existsSync): string | undefined {
  if (chosen !== "") {
    if (!exists(chosen))
      throw invalidSetting(
        "chromiumPath",
        "noBrowser",
        `No browser at ${chosen}: install Chromium (e.g. apt install chromium) or correct the path`,
        {
          path: chosen,
        },
      );
    return chosen;
  }
  return BROWSER_CANDIDATES.find((file) => exists(file));
}

export function sessionFolder(userDir: string): string {
  return path.join(userDir, "wa-pipeline", "wwebjs-sessions");
}

type WwebjsModule = typeof import("whatsapp-web.js");

export const WWEBJS_LIBRARY = "whatsapp-web.js";

/**
 * Where the pack looks for whatsapp-web.js, in order: the user directory (where the connection's dialog installs
 * it, as the palette manager installs modules), then beside the pack. It is not a dependency of the pack: the
 * default install stays free of a browser stack.
 */
function libraryRequires(userDir: string): NodeJS.Require[] {
  return [createRequire(path.join(userDir, "package.json")), require];
}

/** The whatsapp-web.js version the pack would load now, or undefined when there is none. */
export function installedWwebjsVersion(userDir: string): string | undefined {
  for (const load of libraryRequires(userDir)) {
    try {
      return (load(`${WWEBJS_LIBRARY}/package.json`) as { version?: string }).version;
    } catch {
      // Not there: the next place.
    }
  }
  return undefined;
}

function loadLibrary(userDir: string): WwebjsModule {
  let reason = "";
  for (const load of libraryRequires(userDir)) {
    try {
      return load(WWEBJS_LIBRARY) as WwebjsModule;
    } catch (error) {
      reason ||= error instanceof Error ? error.message.split("\n")[0] : String(error);
    }
  }
  throw invalidSetting(
    "mode",
    "wwebjsMissing",
    `whatsapp-web.js is not installed (${reason}). Install it from this connection's dialog (Install whatsapp-web.js), or in the Node-RED user directory run: PUPPETEER_SKIP_DOWNLOAD=true npm install whatsapp-web.js, and install Chromium; or use the Cloud API connection`,
    { reason },
  );
}

/** Makes the transport; `start()` it once every config node of the flow exists. */
export function createWwebjsTransport(
  settings: WwebjsSettings,
  clock: Clock,
  override?: (sessionId: string) => WwebjsClientLike,
): WwebjsTransport {
  const createClient = override
    ? () => {
        settings.sessionStore?.();
        return override(settings.sessionId);
      }
    : libraryClientFactory(settings);
  const transport = new WwebjsTransport(clock, {
    createClient,
    ...(override
      ? {}
      : {
          createMedia: (mimetype: string, base64: string, filename?: string) =>
            new (loadLibrary(settings.userDir).MessageMedia)(mimetype, base64, filename ?? null),
          createLocation: (latitude, longitude, place) => new (loadLibrary(settings.userDir).Location)(latitude, longitude, place),
          createPoll: (question, options, multiple) =>
            new (loadLibrary(settings.userDir).Poll)(question, options, { allowMultipleAnswers: multiple, messageSecret: undefined }),
        }),
    includeOwn: settings.includeOwn,
    pairingPhoneNumber: settings.pairingPhoneNumber,
    reconnectBaseMs: 5_000,
    reconnectMaxMs: 300_000,
    initializeTimeoutMs: 180_000,
    maxMediaBytes: 16 * 1024 * 1024,
  });
  return transport;
}

function libraryClientFactory(settings: WwebjsSettings): () => WwebjsClientLike {
  const library = loadLibrary(settings.userDir);
  const executablePath = findBrowser(settings.chromiumPath);
  const clientId = settings.sessionId.replace(/[^A-Za-z0-9_-]/g, "_");
  const args = [...settings.extraArgs];
  // Chromium's sandbox cannot run as root (containers, a Pi set up as root).
  if (typeof process.getuid === "function" && process.getuid() === 0 && !args.includes("--no-sandbox")) args.push("--no-sandbox");
  const dataPath = sessionFolder(settings.userDir);
  const authStrategy = () =>
    settings.sessionStore
      ? new library.RemoteAuth({ clientId, dataPath, store: settings.sessionStore(), backupSyncIntervalMs: 300_000 })
      : new library.LocalAuth({ clientId, dataPath });
  return (): WwebjsClientLike =>
    new library.Client({
      authStrategy: authStrategy(),
      puppeteer: { headless: settings.headless, args, ...(executablePath ? { executablePath } : {}) },
      qrMaxRetries: 0,
    });
}
