import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from "node-red";

export type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus };

export type SendFunction = (msg: NodeMessage | (NodeMessage | null)[]) => void;
export type DoneFunction = (err?: Error) => void;

/** The package name; Node-RED namespaces every node set's messages under `<module>/<set>`. */
export const MODULE_NAME = "@wapipe/node-red-whatsapp-pipeline";
/** Messages shared by all nodes (errors, statuses) live in the wa-client set's catalogue. */
export const COMMON_NAMESPACE = `${MODULE_NAME}/wa-client`;

/** Reads a number from an editor field (they arrive as strings), with a fallback for blanks. */
export function stringSetting(value: unknown, fallback: string): string {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : fallback;
}

/** The parts of Express that the pack's admin endpoints use (Node-RED's httpAdmin is an Express app). */
export interface AdminRequest {
  params: Record<string, string | undefined>;
  query?: Record<string, unknown>;
  body?: unknown;
}
export interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
}
export interface AdminApp {
  get(path: string, ...handlers: unknown[]): void;
  post(path: string, ...handlers: unknown[]): void;
}

/**
 * Node-RED's admin app and the two permissions a node type's endpoints sit behind (`<type>.read` for
 * looking, `<type>.write` for changing), so that only editor users allowed to can reach them.
 */
export function adminRoutes(RED: NodeAPI, type: string): { admin: AdminApp; read: unknown; write: unknown } {
  return {
    admin: RED.httpAdmin as unknown as AdminApp,
    read: RED.auth.needsPermission(`${type}.read`),
    write: RED.auth.needsPermission(`${type}.write`),
  };
}
