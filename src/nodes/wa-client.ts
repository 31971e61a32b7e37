import * as fs from "node:fs";
import * as path from "node:path";
import { DEMO_SCRIPT } from "../core/transport/demo-chats";
import { WaError } from "../core/errors";
import { ChatScript, SIMULATOR_LIMITS, SimulatedWhatsApp, SimulatorOptions, parseChatScriptJsonl } from "../core/transport/simulator";
import { CloudApiTransport, DEFAULT_MAX_DELIVERY_AGE_MS, DeliveryMemory, memoryDeliveryMemory, storeDeliveryMemory } from "../core/transport/cloud-transport";
import { SqliteStore } from "../core/store/sqlite-store";
import { describeError } from "./kit/node-kit";
import { mountWebhook } from "./kit/cloud-webhook";
import { mediaFolderReader } from "../core/transport/media-folder";
import { readUserTextFile, resolveUserPath } from "../core/store/user-files";
import { registerClientEndpoints } from "./kit/client-endpoints";
import { SessionArchiveStore } from "../core/transport/session-archive-store";
import { StoreHandle, acquireStore } from "./kit/store-provider";
import { createWwebjsTransport, sessionFolder } from "../core/transport/wwebjs-client";
import { NodeAPI, NodeDef, booleanSetting, numberSetting, stringSetting } from "./kit/red";
import { runtimeWorld } from "./kit/world";
import type { WaClientCredentials, WaClientNode } from "./kit/contracts";


export interface WaClientDef extends NodeDef {
  mode: string;
  phoneNumberId?: string;
  apiVersion?: string;
  apiBase?: string;
  webhookPath?: string;
  chromiumPath?: string;
  headless?: boolean | string;
  browserArgs?: string;
  includeOwn?: boolean | string;
  pairingPhone?: string;
  sessionStore?: string;
  deliveryStore?: string;
  maxDeliveryAgeHours?: string | number;
  source: string;
  scriptPath: string;
  speed: string | number;
  maxGap: string | number;
  stagger: string | number;
  startDelay: string | number;
  loop: boolean | string;
  mediaFolder?: string;
}

/** What wa-in / wa-out get from the config node they reference. */

export const DEFAULT_CLOUD = { apiBase: "https://graph.facebook.com", apiVersion: "v21.0" } as const;

/** Webhook paths: a slash, then letters, digits and - _ / only. */
export function webhookPathFromConfig(value: unknown): string {
  const given = stringSetting(value, "/whatsapp/webhook");
  if (!/^\/[A-Za-z0-9_\-/]{1,200}$/.test(given) || given.includes("//")) {
    throw new WaError("config.invalid", "Webhook path: starts with / and holds only letters, digits, -, _ and /", { field: "webhookPath" });
  }
  return given;
}

/** Age limit of webhook deliveries, in hours: 0 (any age) to 30 days; blank is 24 hours. */
export function maxDeliveryAgeFromConfig(value: unknown): number {
  const hours = numberSetting(value, DEFAULT_MAX_DELIVERY_AGE_MS / 3600_000);
  if (!(hours >= 0 && hours <= 720)) throw new WaError("config.invalid", "Refuse messages older than: 0 (any age) to 720 hours", { field: "maxDeliveryAgeHours" });
  return hours * 3600_000;
}

/** Seen ids live as long as a redelivery of them could still be accepted. */
function seenIdsLifetime(maxAgeMs: number): number {
  return maxAgeMs > 0 ? maxAgeMs + 3600_000 : 7 * 24 * 3600_000;
}


export function simulatorOptionsFromConfig(config: WaClientDef, script: ChatScript, userDir = process.cwd()): SimulatorOptions {
  const mediaFolder = stringSetting(config.mediaFolder, "");
  return {
    ...(mediaFolder ? { readMedia: mediaFolderReader(resolveUserPath(userDir, mediaFolder)) } : {}),
    script,
    speed: numberSetting(config.speed, 30),
    maxGapMs: numberSetting(config.maxGap, 4) * 1000,
    conversationStaggerMs: numberSetting(config.stagger, 1.5) * 1000,
    startDelayMs: numberSetting(config.startDelay, 1) * 1000,
    loop: booleanSetting(config.loop, true),
  };
}

function loadScript(RED: NodeAPI, config: WaClientDef): ChatScript {
  if (stringSetting(config.source, "demo") !== "file") return DEMO_SCRIPT;
  const given = stringSetting(config.scriptPath, "");
  if (!given) throw new WaError("config.invalid", "Choose a chat script file (JSONL) or the built-in demo", { field: "scriptPath" });
  const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
  let text: string;
  try {
    text = readUserTextFile(userDir, given, SIMULATOR_LIMITS.maxScriptBytes, "Chat script", "scriptPath").text;
  } catch (error) {
    throw new WaError("simulator.badScript", (error as Error).message, { line: 0, reason: (error as Error).message });
  }
  return parseChatScriptJsonl(text, path.basename(given));
}

export default function register(RED: NodeAPI): void {
  function WaClient(this: WaClientNode, config: WaClientDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const mode = stringSetting(config.mode, "simulator");
    node.describeState = () => {
      if (!node.transport) return { state: "error", detail: node.failure };
      return { state: node.transport.state() };
    };
    let unmount: (() => void) | undefined;
    let sessionStoreHandle: StoreHandle | undefined;
    let deliveryStoreHandle: StoreHandle | undefined;
    let ownDeliveryStore: SqliteStore | undefined;
    try {
      if (mode === "cloud") {
        const credentials = node.credentials ?? {};
        const maxDeliveryAgeMs = maxDeliveryAgeFromConfig(config.maxDeliveryAgeHours);
        const phoneNumberId = stringSetting(config.phoneNumberId, "");
        const seenPrefix = `wa-cloud-seen:${phoneNumberId}:`;
        const ttlMs = seenIdsLifetime(maxDeliveryAgeMs);
        let seen: DeliveryMemory;
        const deliveryStoreId = stringSetting(config.deliveryStore, "");
        if (deliveryStoreId !== "") {
          // Config nodes are created one after another; the store's may come after this one, so it is looked up at the first delivery.
          let inStore: DeliveryMemory | undefined;
          seen = {
            firstTime(id) {
              if (!inStore) {
                deliveryStoreHandle = acquireStore(RED, node.id, deliveryStoreId);
                inStore = storeDeliveryMemory(deliveryStoreHandle.store, seenPrefix, ttlMs);
              }
              return inStore.firstTime(id);
            },
          };
        } else {
          // No store chosen: an embedded file in the user directory, so a restart does not forget what was delivered.
          try {
            const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
            const file = path.join(userDir, "wa-pipeline", `cloud-deliveries-${node.id.replace(/[^A-Za-z0-9_-]/g, "_")}.db`);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            const embedded = new SqliteStore({ file, clock: runtimeWorld().clock });
            ownDeliveryStore = embedded;
            seen = storeDeliveryMemory(embedded, seenPrefix, ttlMs);
          } catch (error) {
            node.warn(`${describeError(RED, error)}: seen deliveries are kept in memory only, so a redelivery after a restart is passed on again`);
            seen = memoryDeliveryMemory();
          }
        }
        const transport = new CloudApiTransport(
          {
            apiBase: stringSetting(config.apiBase, DEFAULT_CLOUD.apiBase),
            apiVersion: stringSetting(config.apiVersion, DEFAULT_CLOUD.apiVersion),
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
        );
        unmount = mountWebhook(RED, webhookPathFromConfig(config.webhookPath), transport, (problem) => node.warn(describeError(RED, problem)));
        node.transport = transport;
      } else if (mode === "whatsapp-web") {
        const pairingPhoneNumber = stringSetting(config.pairingPhone, "").replace(/[\s+()-]/g, "");
        if (pairingPhoneNumber !== "" && !/^\d{8,15}$/.test(pairingPhoneNumber)) {
          throw new WaError("config.invalid", "Pairing phone number: the international number in digits, e.g. 447700900123", { field: "pairingPhone" });
        }
        const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
        const storeId = stringSetting(config.sessionStore, "");
        const openSessionStore = () => {
          sessionStoreHandle ??= acquireStore(RED, node.id, storeId);
          return new SessionArchiveStore(sessionStoreHandle.store, sessionFolder(userDir));
        };
        const transport = createWwebjsTransport(
          {
            ...(storeId !== "" ? { sessionStore: openSessionStore } : {}),
            sessionId: node.id,
            userDir,
            chromiumPath: stringSetting(config.chromiumPath, ""),
            headless: booleanSetting(config.headless, true),
            extraArgs: stringSetting(config.browserArgs, "").split(/\s+/).filter((arg) => arg.startsWith("--")),
            includeOwn: booleanSetting(config.includeOwn, false),
            pairingPhoneNumber,
          },
          runtimeWorld().clock,
          runtimeWorld().createWwebjsClient,
        );
        node.transport = transport;
        // Config nodes are created one after another; the session store's may come after this one.
        setImmediate(() => transport.start());
      } else if (mode !== "simulator") {
        throw new WaError("config.invalid", `Unknown connection type "${mode}": use the simulator, WhatsApp Web or the Cloud API`, { field: "mode" });
      } else {
        const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
        const simulator = new SimulatedWhatsApp(runtimeWorld().clock, simulatorOptionsFromConfig(config, loadScript(RED, config), userDir));
        node.transport = simulator;
        // Node-RED creates config nodes first and the nodes that use them right after, in the
        // same tick; the script's first message comes after the start delay, so none is missed.
        simulator.start();
      }
    } catch (error) {
      node.failure = describeError(RED, error);
      node.error(node.failure);
    }

    node.on("close", (_removed: boolean, done: () => void) => {
      unmount?.();
      const releaseStore = () => Promise.all([sessionStoreHandle?.release(), deliveryStoreHandle?.release(), ownDeliveryStore?.close()]).then(() => undefined);
      const transport = node.transport;
      node.transport = undefined;
      if (!transport) {
        releaseStore().then(() => done(), () => done());
        return;
      }
      transport
        .close()
        .catch((error: unknown) => node.warn(describeError(RED, error)))
        .then(releaseStore)
        .then(
          () => done(),
          () => done(),
        );
    });
  }

  registerClientEndpoints(RED);
  RED.nodes.registerType<WaClientNode, WaClientDef, unknown, WaClientCredentials>("wa-client", WaClient, {
    credentials: { accessToken: { type: "password" }, appSecret: { type: "password" }, verifyToken: { type: "password" } },
  });
}
