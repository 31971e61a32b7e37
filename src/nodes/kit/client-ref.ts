import { TransportState } from "../../core/transport/transport";
import { StatusReporter, translate, truncate } from "./node-kit";
import { NodeAPI, NodeStatus } from "./red";
import type { WaClientNode } from "./contracts";

export function findClient(RED: NodeAPI, id: unknown): WaClientNode | undefined {
  if (typeof id !== "string" || id === "") return undefined;
  return (RED.nodes.getNode(id) as WaClientNode | null) ?? undefined;
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
