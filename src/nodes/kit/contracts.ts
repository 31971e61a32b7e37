import type { sheets_v4 } from "@googleapis/sheets";
import type { CircuitBreaker } from "../../core/resilience/circuit-breaker";
import type { TokenBucket } from "../../core/resilience/token-bucket";
import type { SheetsReadCache } from "../../core/sheets/read-cache";
import type { SheetsAuthorizer } from "../../core/sheets/google-sheets";
import type { Store } from "../../core/store/store";
import { WaError, invalidSetting } from "../../core/errors";
import type { TransportState, WaTransport } from "../../core/transport/transport";
import type { Node, NodeAPI } from "./red";

// What the config nodes (wa-client, wa-store, wa-sheets) offer the nodes that use them. The adapters
// implement these; the nodes using them, and the kit, depend on these contracts only.

export interface WaClientCredentials {
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
}

export interface WaClientNode extends Node<WaClientCredentials> {
  transport?: WaTransport;
  /** Why there is no transport, for the status of the nodes that use it. */
  failure?: string;
  describeState(): { state: TransportState | "error"; detail?: string };
}

export type StoreBackend = "memory" | "sqlite" | "redis" | "redis-sentinel" | "redis-cluster";

export interface StoreCredentials {
  username?: string;
  password?: string;
  /** The sentinels' own password (Sentinel's requirepass), when they have one. */
  sentinelPassword?: string;
}

export interface WaStoreNode extends Node<StoreCredentials> {
  store?: Store;
  backend?: StoreBackend;
  /** Why there is no store, for the nodes that use it. */
  failure?: string;
}

export interface SheetsCredentials {
  key?: string;
}

/** What wa-sheets-write (and later read) get from the config node: one client, one breaker, one token source. */
export interface WaSheetsNode extends Node<SheetsCredentials> {
  spreadsheetId?: string;
  api?: sheets_v4.Sheets;
  tokens?: SheetsAuthorizer;
  breaker?: CircuitBreaker;
  /** The request budget every call of every node of this spreadsheet waits for. */
  quota?: TokenBucket;
  /** Cached reads (made on first use, once every config node exists). */
  readCache?(): SheetsReadCache;
  /** Why it cannot be used, for the nodes that use it. */
  failure?: string;
}

/**
 * The Google Sheets connection a node's form chose, once it is ready for what the node does (`ready`);
 * otherwise config.invalid with the connection's own reason, for the node's status.
 */
export function sheetsConnection<T extends WaSheetsNode>(RED: NodeAPI, id: unknown, ready: (sheets: WaSheetsNode) => sheets is T): T {
  const sheets = RED.nodes.getNode(String(id ?? "")) as WaSheetsNode | null;
  if (sheets && ready(sheets)) return sheets;
  if (sheets?.failure !== undefined) throw new WaError("config.invalid", sheets.failure, { field: "sheets" });
  throw invalidSetting("sheets", "noSheets", "Choose a Google Sheets connection");
}
