import QRCode from "qrcode";
import { spawn } from "node:child_process";
import { InstallerWorld, LibraryInstaller } from "../../core/transport/library-installer";
import { WWEBJS_LIBRARY, installedWwebjsVersion } from "../../core/transport/wwebjs-client";
import { BAILEYS_LIBRARY, installedBaileysVersion } from "../../core/transport/baileys-client";
import { BaileysTransport } from "../../core/transport/baileys-transport";
import { runtimeWorld } from "./world";
import { SimulatedWhatsApp } from "../../core/transport/simulator";
import { WwebjsTransport } from "../../core/transport/wwebjs-transport";
import { describeError, userDirOf } from "./node-kit";
import { AdminRequest, AdminResponse, adminRoutes, NodeAPI } from "./red";
import type { WaClientNode } from "./contracts";

type Handler = (req: AdminRequest, res: AdminResponse) => void;

/** The transports that pair with a phone (whatsapp-web.js and Baileys) and whose dialog shows the pairing panel. */
type PairingTransport = WwebjsTransport | BaileysTransport;

function pairingOf(RED: NodeAPI, id: string | undefined): { node?: WaClientNode; transport?: PairingTransport } {
  const node = id ? ((RED.nodes.getNode(id) as WaClientNode | null) ?? undefined) : undefined;
  const transport = node?.transport instanceof WwebjsTransport || node?.transport instanceof BaileysTransport ? node.transport : undefined;
  return { node, transport };
}

const DELIVERIES = ["normal", "duplicate", "outOfOrder"] as const;

/** The libraries a connection kind needs that the default install leaves out, by the connection's mode. */
const OPTIONAL_LIBRARIES = {
  "whatsapp-web": {
    library: WWEBJS_LIBRARY,
    version: installedWwebjsVersion,
    // The system Chromium is used (the connection finds it), so puppeteer need not download its own.
    env: { PUPPETEER_SKIP_DOWNLOAD: "true" } as Record<string, string>,
  },
  baileys: { library: BAILEYS_LIBRARY, version: installedBaileysVersion, env: {} as Record<string, string> },
} as const;
type OptionalKind = keyof typeof OPTIONAL_LIBRARIES;

/** The versions the pack works with: its package.json's (optional) peer dependencies. */
function peerRange(library: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the pack's own package.json, beside dist/ and src/
  const pkg = require("../../../package.json") as { peerDependencies?: Record<string, string> };
  return pkg.peerDependencies?.[library] ?? "latest";
}

const NPM_TIMEOUT_MS = 15 * 60 * 1000;
const installers = new Map<string, LibraryInstaller>();

function runNpmIn(userDir: string): InstallerWorld["runNpm"] {
  return (args, env) => {
    const windows = process.platform === "win32";
    const child = spawn(windows ? "npm.cmd" : "npm", args, {
      cwd: userDir,
      env: { ...process.env, ...env },
      shell: windows,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-16_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const done = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, output }));
    });
    return { done, stop: () => child.kill("SIGTERM") };
  };
}

/** One installer per library and user directory (a test may run several runtimes in one process). */
function installerFor(kind: OptionalKind, userDir: string): LibraryInstaller {
  const key = `${kind}\u0000${userDir}`;
  let installer = installers.get(key);
  if (!installer) {
    const { library, version, env } = OPTIONAL_LIBRARIES[kind];
    installer = new LibraryInstaller(
      { library, range: peerRange(library), env, timeoutMs: NPM_TIMEOUT_MS },
      { clock: runtimeWorld().clock, installedVersion: () => version(userDir), runNpm: runNpmIn(userDir) },
    );
    installers.set(key, installer);
  }
  return installer;
}

function optionalKind(value: string | undefined): OptionalKind | undefined {
  return value === "whatsapp-web" || value === "baileys" ? value : undefined;
}

/**
 * The editor's pairing panel: the current QR code (as an image), pairing code and state of a
 * WhatsApp Web connection, and restart / log-out actions. Behind Node-RED's admin permissions,
 * so only editor users who may read (or change) connections can pair a number.
 */
export function registerClientEndpoints(RED: NodeAPI): void {
  const { admin, read, write } = adminRoutes(RED, "wa-client");

  const pairing: Handler = (req, res) => {
    const { node, transport } = pairingOf(RED, req.params.id);
    if (!node) {
      res.status(404).json({ error: "No deployed WhatsApp connection with this id: deploy the flow first" });
      return;
    }
    if (!transport) {
      const described = node.describeState();
      res.json({ state: described.state, detail: described.detail ?? "not a WhatsApp Web connection" });
      return;
    }
    const info = transport.pairing();
    if (!info.qr) {
      res.json(info);
      return;
    }
    QRCode.toDataURL(info.qr, { margin: 1, width: 264 }).then(
      (image) => res.json({ ...info, qr: undefined, qrImage: image }),
      (error: unknown) => res.status(500).json({ error: describeError(RED, error) }),
    );
  };

  const action =
    (run: (transport: PairingTransport) => Promise<void>): Handler =>
    (req, res) => {
      const { transport } = pairingOf(RED, req.params.id);
      if (!transport) {
        res.status(404).json({ error: "No deployed WhatsApp Web connection with this id" });
        return;
      }
      run(transport).then(
        () => res.json(transport.pairing()),
        (error: unknown) => res.status(500).json({ error: describeError(RED, error) }),
      );
    };

  // The simulator's "send a message by hand" in the connection's dialog.
  const inject: Handler = (req, res) => {
    const node = req.params.id ? ((RED.nodes.getNode(req.params.id) as WaClientNode | null) ?? undefined) : undefined;
    if (!(node?.transport instanceof SimulatedWhatsApp)) {
      res.status(404).json({ error: "No deployed simulator connection with this id: deploy the flow first" });
      return;
    }
    const body = (typeof req.body === "object" && req.body !== null ? req.body : {}) as {
      chatId?: unknown;
      text?: unknown;
      senderName?: unknown;
      delivery?: unknown;
    };
    const delivery = DELIVERIES.find((d) => d === body.delivery) ?? "normal";
    try {
      const messages = node.transport.inject({
        chatId: String(body.chatId ?? ""),
        body: String(body.text ?? ""),
        ...(typeof body.senderName === "string" && body.senderName !== "" ? { senderName: body.senderName.slice(0, 64) } : {}),
        delivery,
      });
      res.json({ delivered: messages.map((m) => ({ id: m.id, body: m.body })) });
    } catch (error) {
      res.status(400).json({ error: describeError(RED, error) });
    }
  };

  // The libraries left out of the default install, on demand: whether one is there, and installing it into the user
  // directory from the connection's dialog (:kind is the connection's mode: whatsapp-web or baileys).
  admin.get("/wa-pipeline/libraries/:kind", read, (req: AdminRequest, res: AdminResponse) => {
    const kind = optionalKind(req.params.kind);
    if (!kind) {
      res.status(404).json({ error: "No library to install for this kind of connection" });
      return;
    }
    res.json(installerFor(kind, userDirOf(RED)).status());
  });
  admin.post("/wa-pipeline/libraries/:kind/install", write, (req: AdminRequest, res: AdminResponse) => {
    const kind = optionalKind(req.params.kind);
    if (!kind) {
      res.status(404).json({ error: "No library to install for this kind of connection" });
      return;
    }
    const installer = installerFor(kind, userDirOf(RED));
    void installer.install().then((status) => {
      if (status.state === "installed") RED.log.info(`[wa-client] installed ${installer.spec}: ${status.version}`);
      else RED.log.warn(`[wa-client] ${status.error ?? `could not install ${installer.spec}`}`);
    });
    res.status(202).json(installer.status());
  });
  admin.get("/wa-pipeline/clients/:id/pairing", read, pairing);
  admin.post("/wa-pipeline/clients/:id/inject", write, inject);
  admin.post(
    "/wa-pipeline/clients/:id/restart",
    write,
    action((t) => t.restart()),
  );
  admin.post(
    "/wa-pipeline/clients/:id/logout",
    write,
    action((t) => t.logout()),
  );
}
