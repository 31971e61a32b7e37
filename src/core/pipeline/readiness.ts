import { Clock } from "../clock";
import { Store } from "../store/store";

/**
 * Whether this instance should get traffic, for a load balancer's or an orchestrator's readiness probe:
 * not draining, every pipeline store answering, every WhatsApp connection up. The answer names kinds
 * and counts only (no node names, ids or figures): probes call it without logging in.
 */
export interface ReadinessInput {
  draining: boolean;
  stores: { kind: string; store: Store }[];
  /** Kinds of the stores that could not be opened at all. */
  brokenStores: string[];
  /** A connection's state as its transport says it: "ready" is up, anything else is not. */
  connections: { kind: string; state: string }[];
  /** A store that has not answered within this is counted as unreachable. */
  storeTimeoutMs: number;
}

export interface ReadinessReport {
  ready: boolean;
  /** Why not, as short texts a probe log can show: "draining", "store redis: unreachable", "connection cloud: disconnected". */
  reasons: string[];
  stores: { total: number; reachable: number };
  connections: { total: number; up: number };
}

/** A key no node writes: reading it is one round trip and touches nothing. */
const PROBE_KEY = "wa:health:probe";

async function answers(store: Store, clock: Clock, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = clock.setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([
      store.get(PROBE_KEY).then(
        () => true,
        () => false,
      ),
      timedOut,
    ]);
  } finally {
    clock.clearTimeout(timer);
  }
}

export async function checkReadiness(input: ReadinessInput, clock: Clock): Promise<ReadinessReport> {
  const reasons: string[] = [];
  if (input.draining) reasons.push("draining");
  const reached = await Promise.all(input.stores.map((entry) => answers(entry.store, clock, input.storeTimeoutMs)));
  input.stores.forEach((entry, index) => {
    if (!reached[index]) reasons.push(`store ${entry.kind}: unreachable`);
  });
  for (const kind of input.brokenStores) reasons.push(`store ${kind}: not opened`);
  let up = 0;
  for (const connection of input.connections) {
    if (connection.state === "ready") up += 1;
    else reasons.push(`connection ${connection.kind}: ${connection.state}`);
  }
  return {
    ready: reasons.length === 0,
    reasons: [...new Set(reasons)],
    stores: { total: input.stores.length + input.brokenStores.length, reachable: reached.filter(Boolean).length },
    connections: { total: input.connections.length, up },
  };
}
