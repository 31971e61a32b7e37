import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { TimerHandle } from "../core/clock";
import { WaError } from "../core/errors";
import { MemoryStore } from "../core/store/memory-store";
import { RedisStore } from "../core/store/redis-store";
import { SqliteStore } from "../core/store/sqlite-store";
import { Store } from "../core/store/store";
import { describeError } from "./kit/node-kit";
import { NodeAPI, NodeDef, booleanSetting, stringSetting } from "./kit/red";
import { resolveUserPath } from "../core/store/user-files";
import { runtimeWorld } from "./kit/world";
import type { StoreBackend, StoreCredentials, WaStoreNode } from "./kit/contracts";



interface StoreDef extends NodeDef {
  backend: string;
  file: string;
  synchronous: string;
  url: string;
  tls: boolean | string;
  keyPrefix: string;
}



export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9:._-]{0,64}$/;

export function openStore(RED: NodeAPI, config: StoreDef, credentials: StoreCredentials): { store: Store; backend: StoreBackend } {
  const backend = stringSetting(config.backend, "memory");
  const clock = runtimeWorld().clock;
  if (backend === "memory") return { store: new MemoryStore(clock), backend };
  if (backend === "sqlite") {
    const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
    const file = resolveUserPath(userDir, stringSetting(config.file, "wa-pipeline/store.db"));
    mkdirSync(path.dirname(file), { recursive: true });
    const synchronous = stringSetting(config.synchronous, "NORMAL") === "FULL" ? "FULL" : "NORMAL";
    return { store: new SqliteStore({ file, synchronous, clock }), backend };
  }
  if (backend === "redis") {
    const keyPrefix = typeof config.keyPrefix === "string" ? config.keyPrefix.trim() : "wapipe:";
    if (!KEY_PREFIX_PATTERN.test(keyPrefix)) {
      throw new WaError("config.invalid", "Key prefix: up to 64 letters, digits, ':', '.', '_' or '-'", { field: "keyPrefix" });
    }
    return {
      store: new RedisStore({
        url: stringSetting(config.url, "redis://127.0.0.1:6379"),
        tls: booleanSetting(config.tls, false),
        keyPrefix,
        username: credentials.username || undefined,
        password: credentials.password || undefined,
      }),
      backend,
    };
  }
  throw new WaError("config.invalid", `Unknown store type: ${backend}`, { field: "backend" });
}

export default function register(RED: NodeAPI): void {
  function WaStore(this: WaStoreNode, config: StoreDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    node.backend = stringSetting(config.backend, "memory") as StoreBackend;
    let purgeTimer: TimerHandle | undefined;
    try {
      const opened = openStore(RED, config, node.credentials ?? {});
      node.store = opened.store;
      node.backend = opened.backend;
      const store = opened.store;
      if (store instanceof SqliteStore) {
        purgeTimer = clock.setInterval(() => {
          try {
            store.purgeExpired();
          } catch (error) {
            node.warn(describeError(RED, error));
          }
        }, 60_000);
      }
    } catch (error) {
      node.failure = describeError(RED, error);
      node.error(node.failure);
    }

    node.on("close", (_removed: boolean, done: () => void) => {
      clock.clearInterval(purgeTimer);
      const store = node.store;
      node.store = undefined;
      if (!store) {
        done();
        return;
      }
      store.close().then(done, (error: unknown) => {
        node.warn(describeError(RED, error));
        done();
      });
    });
  }

  RED.nodes.registerType<WaStoreNode, StoreDef, unknown, StoreCredentials>("wa-store", WaStore, {
    credentials: { username: { type: "text" }, password: { type: "password" } },
  });
}
