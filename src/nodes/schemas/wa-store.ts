import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

/** host:port, the host a name, an IPv4 address or an IPv6 address in brackets. */
const ADDRESS = "(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9._-]+):\\d{1,5}";

export const storeSchema = {
  name: NAME_FIELD,
  backend: { kind: "choice", label: "Type", default: "sqlite", options: ["memory", "sqlite", "redis", "redis-sentinel", "redis-cluster"] },
  file: {
    kind: "text",
    label: "Embedded file",
    default: "wa-pipeline/store.db",
    pattern: "[^\\u0000]{1,500}",
    expects: "a file path",
    when: { field: "backend", is: "sqlite" },
  },
  synchronous: { kind: "choice", label: "Writes", default: "NORMAL", options: ["NORMAL", "FULL"] },
  url: {
    kind: "text",
    label: "Redis URL",
    default: "redis://127.0.0.1:6379",
    // A password belongs in the credentials, never in the flow file.
    pattern: "rediss?://[^\\s:@/]+(:\\d+)?(/\\d+)?",
    expects: "redis://host:port or rediss://host:port, with the password in the credentials",
    when: { field: "backend", is: "redis" },
  },
  sentinels: {
    kind: "text",
    label: "Sentinels",
    default: "127.0.0.1:26379",
    pattern: `\\s*${ADDRESS}([\\s,]+${ADDRESS})*[\\s,]*`,
    expects: "host:port of each sentinel, separated by commas",
    when: { field: "backend", is: "redis-sentinel" },
  },
  primaryName: {
    kind: "text",
    label: "Primary name",
    default: "mymaster",
    pattern: "[A-Za-z0-9._-]{1,64}",
    expects: "the name the sentinels monitor the primary by (1 to 64 letters, digits, '.', '_' or '-')",
    when: { field: "backend", is: "redis-sentinel" },
  },
  clusterNodes: {
    kind: "text",
    label: "Cluster nodes",
    default: "127.0.0.1:7000",
    pattern: `\\s*${ADDRESS}([\\s,]+${ADDRESS})*[\\s,]*`,
    expects: "host:port of one or more nodes of the cluster, separated by commas",
    when: { field: "backend", is: "redis-cluster" },
  },
  tls: { kind: "boolean", label: "TLS", default: false },
  tlsCaFile: {
    kind: "text",
    label: "CA file",
    default: "",
    pattern: "[^\\u0000]{0,500}",
    expects: "blank, or the path of a PEM file",
    when: { field: "tls", is: true },
  },
  waitReplicas: { kind: "number", label: "Replicas to confirm", default: 0, min: 0, max: 5, whole: true },
  waitTimeout: { kind: "number", label: "Confirm within", default: 500, min: 10, max: 10_000, whole: true, unit: "ms" },
  keyPrefix: {
    kind: "text",
    label: "Key prefix",
    default: "wapipe:",
    raw: true,
    pattern: "\\s*[A-Za-z0-9:._-]{0,64}\\s*",
    expects: "up to 64 letters, digits, ':', '.', '_' or '-'",
  },
} as const satisfies SettingsSchema;
