import { sheets as sheetsApi, sheets_v4 } from "@googleapis/sheets";
import { WaError } from "../core/errors";
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from "../core/resilience/circuit-breaker";
import { describeError } from "./lib/node-kit";
import { Node, NodeAPI, NodeDef, numberSetting, stringSetting } from "./lib/red";
import { ServiceAccountTokens, readServiceAccountKey } from "./lib/service-account";
import { runtimeWorld } from "./lib/world";

interface SheetsDef extends NodeDef {
  spreadsheetId: string;
  apiRoot: string;
  failureRate: string | number;
  minimumCalls: string | number;
  windowSeconds: string | number;
  resetSeconds: string | number;
}

export interface SheetsCredentials {
  key?: string;
}

/** What wa-sheets-write (and later read) get from the config node: one client, one breaker, one token source. */
export interface WaSheetsNode extends Node<SheetsCredentials> {
  spreadsheetId?: string;
  api?: sheets_v4.Sheets;
  tokens?: ServiceAccountTokens;
  breaker?: CircuitBreaker;
  /** Why it cannot be used, for the nodes that use it. */
  failure?: string;
}

export function sheetsSettingsFromConfig(config: SheetsDef) {
  const spreadsheetId = stringSetting(config.spreadsheetId, "").trim();
  if (!/^[A-Za-z0-9_-]{10,128}$/.test(spreadsheetId)) {
    throw new WaError("config.invalid", "Spreadsheet id: the long id in the sheet's URL, between /d/ and /edit", { field: "spreadsheetId" });
  }
  const apiRoot = stringSetting(config.apiRoot, "").trim();
  if (apiRoot !== "" && !/^https?:\/\/[^\s]+$/.test(apiRoot)) throw new WaError("config.invalid", "API root URL must start with http:// or https://", { field: "apiRoot" });
  return {
    spreadsheetId,
    apiRoot,
    breaker: {
      ...DEFAULT_BREAKER_OPTIONS,
      failureRate: numberSetting(config.failureRate, 0.5),
      minimumCalls: numberSetting(config.minimumCalls, 5),
      windowMs: numberSetting(config.windowSeconds, 60) * 1000,
      resetTimeoutMs: numberSetting(config.resetSeconds, 30) * 1000,
    },
  };
}

export default function register(RED: NodeAPI): void {
  function WaSheets(this: WaSheetsNode, config: SheetsDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    try {
      const settings = sheetsSettingsFromConfig(config);
      const keyText = node.credentials?.key ?? "";
      if (keyText.trim() === "") throw new WaError("config.invalid", "Paste the service account's JSON key (Google Cloud › IAM › Service accounts › Keys) and share the sheet with its e-mail", { field: "key" });
      const clock = runtimeWorld().clock;
      node.tokens = new ServiceAccountTokens(readServiceAccountKey(keyText), clock);
      node.spreadsheetId = settings.spreadsheetId;
      node.api = sheetsApi({ version: "v4", ...(settings.apiRoot ? { rootUrl: `${settings.apiRoot.replace(/\/+$/, "")}/` } : {}) } as sheets_v4.Options);
      node.breaker = new CircuitBreaker(clock, settings.breaker);
    } catch (error) {
      node.failure = describeError(RED, error);
      node.error(node.failure);
    }
  }

  RED.nodes.registerType<WaSheetsNode, SheetsDef, unknown, SheetsCredentials>("wa-sheets", WaSheets, { credentials: { key: { type: "password" } } });
}
