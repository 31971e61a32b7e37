import { TransportState } from "../../core/transport/transport";
import { WaConnectionRef } from "../../core/envelope";
import { WaError } from "../../core/errors";
import { StatusReporter, translate, truncate } from "./node-kit";
import { NodeAPI, NodeStatus } from "./red";
import type { WaClientNode } from "./contracts";

export function findClient(RED: NodeAPI, id: unknown): WaClientNode | undefined {
  if (typeof id !== "string" || id === "") return undefined;
  return (RED.nodes.getNode(id) as WaClientNode | null) ?? undefined;
}

/** How a connection is named in envelopes and receipts: its id, and its name (or type and id) for people. */
export function connectionRef(client: WaClientNode): WaConnectionRef {
  return { id: client.id, name: client.name || client.id };
}

/** The connection a message came in through (msg.wa.message.connection), if it names one. */
export function messageConnection(msg: unknown): WaConnectionRef | undefined {
  const connection = (msg as { wa?: { message?: { connection?: unknown } } } | undefined)?.wa?.message?.connection;
  if (typeof connection !== "object" || connection === null) return undefined;
  const { id, name } = connection as { id?: unknown; name?: unknown };
  return typeof id === "string" && id !== "" ? { id, name: typeof name === "string" ? name : id } : undefined;
}

/**
 * The connection to send a message through: with `via` "message", the one it came in through (a reply goes
 * back through the number the customer wrote to), else the node's own. A message naming a connection that is
 * not deployed any more is refused rather than sent from another number.
 */
export function sendingClient(RED: NodeAPI, own: WaClientNode | undefined, msg: unknown, via: string): WaClientNode | undefined {
  if (via !== "message") return own;
  const named = messageConnection(msg);
  if (!named || named.id === own?.id) return own;
  const found = findClient(RED, named.id);
  if (!found || found.type !== "wa-client") {
    throw new WaError(
      "transport.unknownConnection",
      `The message came in through connection "${named.name}", which is not deployed any more`,
      {
        connection: named.name,
      },
    );
  }
  return found;
}

const STATE_FILL: Record<TransportState, NodeStatus["fill"]> = {
  starting: "yellow",
  pairing: "yellow",
  ready: "green",
  disconnected: "red",
  stopped: "grey",
};

/** The status dot of a transport node: the connection's state plus the node's own counter. */
export function showClientState(
  RED: NodeAPI,
  status: StatusReporter,
  client: WaClientNode | undefined,
  counter: () => string,
  force = false,
): void {
  if (!client) {
    status.set({ fill: "red", shape: "ring", text: translate(RED, "transport.noClient", "no connection configured") }, true);
    return;
  }
  status.set(() => {
    const { state, detail } = client.describeState();
    if (state === "error") return { fill: "red", shape: "ring", text: truncate(detail ?? "error", 60) };
    const label = translate(RED, `transport.${state}`, state);
    return { fill: STATE_FILL[state], shape: state === "ready" ? "dot" : "ring", text: counter() ? `${label} · ${counter()}` : label };
  }, force);
}
