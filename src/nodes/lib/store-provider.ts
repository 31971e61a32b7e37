import { MemoryStore } from "../../core/store/memory-store";
import { Store } from "../../core/store/store";
import { SharedRegistry } from "./shared";
import { runtimeWorld } from "./world";

const stores = new SharedRegistry<Store>();

/**
 * The store a node uses. Until a wa-store config node is chosen, every node of the runtime
 * shares one in-memory store, so an acquire node and its release node see the same locks.
 */
export function acquireStore(holderId: string): Store {
  return stores.acquire("default-memory", holderId, () => new MemoryStore(runtimeWorld().clock), (store) => store.close());
}

export function releaseStore(holderId: string): Promise<void> {
  return stores.release("default-memory", holderId);
}
