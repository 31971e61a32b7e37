import { isWaError } from "../core/errors";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { storeSchema } from "./schemas/wa-store";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { TimerHandle } from "../core/clock";
import { MemoryStore } from "../core/store/memory-store";
import { RedisStore, RedisTopology, parseRedisAddresses } from "../core/store/redis-store";
import { SqliteStore } from "../core/store/sqlite-store";
import { Store } from "../core/store/store";
import { describeError, onClose, userDirOf } from "./kit/node-kit";
import { NodeAPI, NodeDef, stringSetting } from "./kit/red";
import { readUserTextFile, resolveUserPath } from "../core/store/user-files";
import { runtimeWorld } from "./kit/world";
import { pipelineControl } from "./kit/pipeline-control";
import type { StoreBackend, StoreCredentials, WaStoreNode } from "./kit/contracts";

type StoreDef = NodeDef & FlowConfigOf<typeof storeSchema>;

/** A bundle of a few authorities' certificates fits easily. */
const MAX_CA_FILE_BYTES = 256 * 1024;

export function openStore(RED: NodeAPI, config: StoreDef, credentials: StoreCredentials): { store: Store; backend: StoreBackend } {
  const read = readSettingsBySchema(storeSchema, config);
  const clock = runtimeWorld().clock;
  const backend = read.backend;
  if (backend === "memory") return { store: new MemoryStore(clock), backend };
  if (backend === "sqlite") {
    const userDir = userDirOf(RED);
    const file = resolveUserPath(userDir, read.file);
    mkdirSync(path.dirname(file), { recursive: true });
    return { store: new SqliteStore({ file, synchronous: read.synchronous, clock }), backend };
  }
  const topology: RedisTopology =
    backend === "redis-sentinel"
      ? {
          kind: "sentinel",
          sentinels: parseRedisAddresses(read.sentinels, "sentinels"),
          primaryName: read.primaryName,
          sentinelPassword: credentials.sentinelPassword || undefined,
        }
      : backend === "redis-cluster"
        ? { kind: "cluster", seeds: parseRedisAddresses(read.clusterNodes, "clusterNodes") }
        : { kind: "single", url: read.url };
  const tlsCa =
    read.tls && read.tlsCaFile !== ""
      ? readUserTextFile(userDirOf(RED), read.tlsCaFile, MAX_CA_FILE_BYTES, "caFile", "tlsCaFile").text
      : undefined;
  return {
    store: new RedisStore({
      topology,
      tls: read.tls,
      ...(tlsCa !== undefined ? { tlsCa } : {}),
      keyPrefix: read.keyPrefix.trim(),
      waitReplicas: read.waitReplicas,
      waitTimeoutMs: read.waitTimeout,
      username: credentials.username || undefined,
      password: credentials.password || undefined,
    }),
    backend,
  };
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
      // The stage switches are kept in every store, so they survive a restart and reach other instances.
      pipelineControl.addStore(node.id, opened.store);
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
      node.error(describeError(RED, error));
      // The nodes using this store say "the store is not available (sqlite): …" themselves: keep only the reason.
      const reason = isWaError(error) && error.code === "store.unavailable" ? error.params.reason : undefined;
      node.failure = typeof reason === "string" ? reason : describeError(RED, error);
      pipelineControl.addBrokenStore(node.id, stringSetting(config.backend, "sqlite"));
    }

    onClose(RED, node, () => {
      clock.clearInterval(purgeTimer);
      pipelineControl.removeStore(node.id);
      const store = node.store;
      node.store = undefined;
      return store?.close();
    });
  }

  RED.nodes.registerType<WaStoreNode, StoreDef, unknown, StoreCredentials>("wa-store", WaStore, {
    credentials: { username: { type: "text" }, password: { type: "password" }, sentinelPassword: { type: "password" } },
  });
}
