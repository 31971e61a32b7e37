import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { clientSchema } from "./schemas/wa-client";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEMO_SCRIPT } from "../core/transport/demo-chats";
import { WaError, invalidSetting } from "../core/errors";
import { ChatScript, SIMULATOR_LIMITS, SimulatedWhatsApp, SimulatorOptions, parseChatScriptJsonl } from "../core/transport/simulator";
import { CloudApiTransport, DeliveryMemory, memoryDeliveryMemory, storeDeliveryMemory } from "../core/transport/cloud-transport";
import { SqliteStore } from "../core/store/sqlite-store";
import { Store } from "../core/store/store";
import { ServiceWindowMemory, memoryServiceWindow, storeServiceWindow } from "../core/transport/service-window";
import { describeError, onClose, userDirOf } from "./kit/node-kit";
import { mountWebhook } from "./kit/cloud-webhook";
import { mediaFolderReader } from "../core/transport/media-folder";
import { readUserTextFile, resolveUserPath } from "../core/store/user-files";
import { registerClientEndpoints } from "./kit/client-endpoints";
import { pipelineControl, registerPipelineEndpoints } from "./kit/pipeline-control";
import { SessionArchiveStore } from "../core/transport/session-archive-store";
import { StoreHandle, acquireStore } from "./kit/store-provider";
import { createWwebjsTransport, sessionFolder } from "../core/transport/wwebjs-client";
import { createBaileysTransport } from "../core/transport/baileys-client";
import { NodeAPI, NodeDef, stringSetting } from "./kit/red";
import { runtimeWorld } from "./kit/world";
import type { WaClientCredentials, WaClientNode } from "./kit/contracts";

export type WaClientDef = NodeDef & FlowConfigOf<typeof clientSchema>;

/** Webhook paths: a slash, then letters, digits and - _ / only. */
export function webhookPathFromConfig(value: unknown): string {
  const given = stringSetting(value, "/whatsapp/webhook");
  if (!/^\/[A-Za-z0-9_\-/]{1,200}$/.test(given) || given.includes("//")) {
    throw invalidSetting("webhookPath", "webhookPath", "Webhook path: starts with / and holds only letters, digits, -, _ and /");
  }
  return given;
}

/** Age limit of webhook deliveries, in hours: 0 (any age) to 30 days; blank is 24 hours. */
export function maxDeliveryAgeFromConfig(value: unknown): number {
  return (
    readSettingsBySchema({ maxDeliveryAgeHours: clientSchema.maxDeliveryAgeHours }, { maxDeliveryAgeHours: value }).maxDeliveryAgeHours *
    3600_000
  );
}

/** Seen ids live as long as a redelivery of them could still be accepted. */
function seenIdsLifetime(maxAgeMs: number): number {
  return maxAgeMs > 0 ? maxAgeMs + 3600_000 : 7 * 24 * 3600_000;
}

/** The pairing phone number as digits, or "" for a QR code. */
function pairingDigits(typed: string): string {
  const digits = typed.replace(/[\s+()-]/g, "");
  if (digits !== "" && !/^\d{8,15}$/.test(digits)) {
    throw invalidSetting("pairingPhone", "pairingPhone", "Pairing phone number: the international number in digits, e.g. 447700900123");
  }
  return digits;
}

export function simulatorOptionsFromConfig(config: WaClientDef, script: ChatScript, userDir = process.cwd()): SimulatorOptions {
  const read = readSettingsBySchema(clientSchema, config);
  return {
    ...(read.mediaFolder ? { readMedia: mediaFolderReader(resolveUserPath(userDir, read.mediaFolder)) } : {}),
    script,
    speed: read.speed,
    maxGapMs: read.maxGap * 1000,
    conversationStaggerMs: read.stagger * 1000,
    startDelayMs: read.startDelay * 1000,
    loop: read.loop,
    ...(read.rateLimit > 0 ? { sendsPerMinute: read.rateLimit } : {}),
    ...(read.serviceWindow ? { serviceWindow: true } : {}),
    ...(read.answerInteractive ? { answerInteractive: true } : {}),
  };
}

function loadScript(RED: NodeAPI, config: WaClientDef): ChatScript {
  const { source, scriptPath: given } = readSettingsBySchema(clientSchema, config);
  if (source !== "file") return DEMO_SCRIPT;
  if (!given) throw invalidSetting("scriptPath", "noScript", "Choose a chat script file (JSONL) or the built-in demo");
  const userDir = userDirOf(RED);
  let text: string;
  try {
    text = readUserTextFile(userDir, given, SIMULATOR_LIMITS.maxScriptBytes, "chatScript", "scriptPath").text;
  } catch (error) {
    throw new WaError("simulator.badScript", (error as Error).message, { line: 0, reason: (error as Error).message });
  }
  return parseChatScriptJsonl(text, path.basename(given));
}

/** Appends every reply the simulator is sent to a file, synchronously: the record is there even if the process dies next. */
function recordReplies(simulator: SimulatedWhatsApp, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  simulator.onSent((record) => {
    fs.appendFileSync(
      file,
      `${JSON.stringify({ at: record.sentAt, chatId: record.chatId, text: record.text, quotedId: record.quotedId })}\n`,
    );
  });
}

export default function register(RED: NodeAPI): void {
  function WaClient(this: WaClientNode, config: WaClientDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.describeState = () => {
      if (!node.transport) return { state: "error", detail: node.failure };
      return { state: node.transport.state() };
    };
    let unmount: (() => void) | undefined;
    let sessionStoreHandle: StoreHandle | undefined;
    let deliveryStoreHandle: StoreHandle | undefined;
    let ownDeliveryStore: SqliteStore | undefined;
    try {
      const read = readSettingsBySchema(clientSchema, config);
      const mode = read.mode;
      if (mode === "cloud") {
        const credentials = node.credentials ?? {};
        const maxDeliveryAgeMs = read.maxDeliveryAgeHours * 3600_000;
        const phoneNumberId = read.phoneNumberId;
        const seenPrefix = `wa-cloud-seen:${phoneNumberId}:`;
        const ttlMs = seenIdsLifetime(maxDeliveryAgeMs);
        const deliveryStoreId = read.deliveryStore;
        // Seen deliveries and the 24-hour windows live in the chosen store, else in an embedded file in the user directory.
        let sharedStore: (() => Store) | undefined;
        if (deliveryStoreId !== "") {
          // Config nodes are created one after another; the store's may come after this one, so it is looked up at first use.
          sharedStore = () => (deliveryStoreHandle ??= acquireStore(RED, node.id, deliveryStoreId)).store;
        } else {
          try {
            const userDir = userDirOf(RED);
            const file = path.join(userDir, "wa-pipeline", `cloud-deliveries-${node.id.replace(/[^A-Za-z0-9_-]/g, "_")}.db`);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            const embedded = new SqliteStore({ file, clock: runtimeWorld().clock });
            ownDeliveryStore = embedded;
            sharedStore = () => embedded;
          } catch (error) {
            node.warn(
              `${describeError(RED, error)}: seen deliveries are kept in memory only, so a redelivery after a restart is passed on again`,
            );
          }
        }
        let seen: DeliveryMemory = memoryDeliveryMemory();
        let window: ServiceWindowMemory = memoryServiceWindow();
        if (sharedStore) {
          const openStore = sharedStore;
          let seenIn: DeliveryMemory | undefined;
          let windowIn: ServiceWindowMemory | undefined;
          seen = { firstTime: (id) => (seenIn ??= storeDeliveryMemory(openStore(), seenPrefix, ttlMs)).firstTime(id) };
          const windows = () => (windowIn ??= storeServiceWindow(openStore(), `wa-cloud-window:${phoneNumberId}:`));
          window = {
            noteInbound: (chatId, at) => windows().noteInbound(chatId, at),
            lastInbound: (chatId) => windows().lastInbound(chatId),
          };
        }
        const transport = new CloudApiTransport(
          {
            apiBase: read.apiBase,
            apiVersion: read.apiVersion,
            phoneNumberId,
            accessToken: credentials.accessToken ?? "",
            appSecret: credentials.appSecret ?? "",
            verifyToken: credentials.verifyToken ?? "",
            maxAttempts: 5,
            backoffMs: 1000,
            maxBackoffMs: 60_000,
            requestTimeoutMs: 15_000,
            maxDeliveryAgeMs,
          },
          runtimeWorld().clock,
          (url, init) => fetch(url, init),
          seen,
          window,
        );
        unmount = mountWebhook(RED, webhookPathFromConfig(read.webhookPath), transport, (problem) =>
          node.warn(describeError(RED, problem)),
        );
        node.transport = transport;
      } else if (mode === "baileys") {
        const storeId = read.sessionStore;
        const transport = createBaileysTransport(
          {
            ...(storeId !== "" ? { sessionStore: () => (sessionStoreHandle ??= acquireStore(RED, node.id, storeId)).store } : {}),
            sessionId: node.id,
            userDir: userDirOf(RED),
            includeOwn: read.includeOwn,
            pairingPhoneNumber: pairingDigits(read.pairingPhone),
            log: (level, text) => (level === "error" ? node.warn(`Baileys: ${text}`) : node.debug(`Baileys: ${text}`)),
          },
          runtimeWorld().clock,
          runtimeWorld().createBaileysSocket,
        );
        node.transport = transport;
        // Config nodes are created one after another; the session store's may come after this one.
        setImmediate(() => transport.start());
      } else if (mode === "whatsapp-web") {
        const pairingPhoneNumber = pairingDigits(read.pairingPhone);
        const userDir = userDirOf(RED);
        const storeId = read.sessionStore;
        const openSessionStore = () => {
          sessionStoreHandle ??= acquireStore(RED, node.id, storeId);
          return new SessionArchiveStore(sessionStoreHandle.store, sessionFolder(userDir));
        };
        const transport = createWwebjsTransport(
          {
            ...(storeId !== "" ? { sessionStore: openSessionStore } : {}),
            sessionId: node.id,
            userDir,
            chromiumPath: read.chromiumPath,
            headless: read.headless,
            extraArgs: read.browserArgs.split(/\s+/).filter((arg) => arg.startsWith("--")),
            includeOwn: read.includeOwn,
            pairingPhoneNumber,
          },
          runtimeWorld().clock,
          runtimeWorld().createWwebjsClient,
        );
        node.transport = transport;
        // Config nodes are created one after another; the session store's may come after this one.
        setImmediate(() => transport.start());
      } else {
        const userDir = userDirOf(RED);
        const simulator = new SimulatedWhatsApp(runtimeWorld().clock, simulatorOptionsFromConfig(config, loadScript(RED, config), userDir));
        node.transport = simulator;
        const transcript = stringSetting(config.transcript, "");
        if (transcript !== "") recordReplies(simulator, resolveUserPath(userDir, transcript));
        // Node-RED creates config nodes first and the nodes that use them right after, in the
        // same tick; the script's first message comes after the start delay, so none is missed.
        simulator.start();
      }
    } catch (error) {
      node.failure = describeError(RED, error);
      node.error(node.failure);
    }

    // A load balancer's readiness probe asks whether this connection is up (see wa-pipeline/health/ready).
    const kind = stringSetting(config.mode, "simulator");
    pipelineControl.addConnection(node.id, () => ({ kind, state: node.describeState().state }));

    onClose(RED, node, async () => {
      pipelineControl.removeConnection(node.id);
      unmount?.();
      const transport = node.transport;
      node.transport = undefined;
      await transport?.close().catch((error: unknown) => node.warn(describeError(RED, error)));
      await Promise.all([sessionStoreHandle?.release(), deliveryStoreHandle?.release(), ownDeliveryStore?.close()]);
    });
  }

  registerClientEndpoints(RED);
  // The pipeline's state and switches answer from the start, before any pipeline node is deployed.
  registerPipelineEndpoints(RED);
  RED.nodes.registerType<WaClientNode, WaClientDef, unknown, WaClientCredentials>("wa-client", WaClient, {
    credentials: { accessToken: { type: "password" }, appSecret: { type: "password" }, verifyToken: { type: "password" } },
  });
}
