import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const storeSchema = {
  name: NAME_FIELD,
  backend: { kind: "choice", label: "Type", default: "sqlite", options: ["memory", "sqlite", "redis"] },
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
  tls: { kind: "boolean", label: "TLS", default: false },
  keyPrefix: {
    kind: "text",
    label: "Key prefix",
    default: "wapipe:",
    raw: true,
    pattern: "\\s*[A-Za-z0-9:._-]{0,64}\\s*",
    expects: "up to 64 letters, digits, ':', '.', '_' or '-'",
  },
} as const satisfies SettingsSchema;
