import { WaError } from "../../core/errors";
import { MemoryStore } from "../../core/store/memory-store";
import { Store } from "../../core/store/store";
import { StartedNode, StatusReporter, disableNode, onClose, startNode, translate } from "./node-kit";
import { Node, NodeAPI, NodeDef } from "./red";
import { SharedRegistry } from "./shared";
import { runtimeWorld } from "./world";
import type { WaStoreNode } from "./contracts";

const defaultStores = new SharedRegistry<Store>();
const DEFAULT_STORE_ID = "default-memory";

export interface StoreHandle {
  /** Identifies the store, so engines shared between nodes are shared per store. */
  id: string;
  store: Store;
  backend: string;
  release(): Promise<void>;
}

/**
 * The store a node uses: the wa-store config node it names, or, when it names none, one
 * in-memory store shared by every node of this runtime (so acquire and release nodes meet).
 */
export function acquireStore(RED: NodeAPI, holderId: string, storeConfigId: unknown): StoreHandle {
  if (typeof storeConfigId === "string" && storeConfigId !== "") {
    const config = RED.nodes.getNode(storeConfigId) as WaStoreNode | null;
    if (!config) {
      const reason = "the chosen store configuration no longer exists: pick another store";
      throw new WaError("store.unavailable", `The store is not available: ${reason}`, { backend: "missing", reason });
    }
    if (!config.store) {
      const reason = config.failure ?? "it could not be opened";
      throw new WaError("store.unavailable", `The store is not available (${config.backend ?? "unknown"}): ${reason}`, {
        backend: config.backend ?? "unknown",
        reason,
      });
    }
    return { id: storeConfigId, store: config.store, backend: config.backend ?? "memory", release: async () => undefined };
  }
  const store = defaultStores.acquire(
    DEFAULT_STORE_ID,
    holderId,
    () => new MemoryStore(runtimeWorld().clock),
    (s) => s.close(),
  );
  return { id: DEFAULT_STORE_ID, store, backend: "memory", release: () => defaultStores.release(DEFAULT_STORE_ID, holderId) };
}

/**
 * What a node that promises to keep things (dead letters, a gallery's index) adds to its status
 * when it runs on the memory store: its entries end with the deploy or the process.
 */
export function memoryStoreNote(RED: NodeAPI, handle: StoreHandle): string | undefined {
  return handle.backend === "memory" ? translate(RED, "storeNote.memory", "memory store: lost on restart") : undefined;
}

/** The node's store, or the node put out of action with the reason (a missing or broken store) and undefined. */
export function storeOrDisable(RED: NodeAPI, node: Node, status: StatusReporter, storeConfigId: unknown): StoreHandle | undefined {
  try {
    return acquireStore(RED, node.id, storeConfigId);
  } catch (error) {
    disableNode(RED, node, status, error);
    return undefined;
  }
}

/** `startNode` for a node that keeps its state in a store: it also takes the store chosen in its form, or is disabled with the reason. */
export function startStoredNode<N extends Node, T>(
  RED: NodeAPI,
  node: N,
  config: NodeDef & { store?: unknown },
  read: () => T,
): (StartedNode<N, T> & { handle: StoreHandle }) | undefined {
  const started = startNode(RED, node, config, read);
  if (!started) return undefined;
  const handle = storeOrDisable(RED, started.node, started.status, config.store);
  return handle ? { ...started, handle } : undefined;
}

/** On close: `stop` runs first (timers, registrations), then the status line stops and the store is released. */
export function releaseOnClose(
  RED: NodeAPI,
  started: { node: Node; status: StatusReporter; handle: StoreHandle },
  stop: () => unknown = () => undefined,
): void {
  onClose(RED, started.node, async () => {
    await stop();
    started.status.close();
    await started.handle.release();
  });
}
