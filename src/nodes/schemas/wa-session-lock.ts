import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD, STORE_FIELD, STORE_NAME } from "./common";

export const sessionLockSchema = {
  name: NAME_FIELD,
  store: STORE_FIELD,
  mode: { kind: "choice", label: "Mode", default: "acquire", options: ["acquire", "release"] },
  lockName: { kind: "text", label: "Lock name", default: "default", ...STORE_NAME },
  key: { kind: "text", label: "Chat key", default: "wa.message.chatId", ...MESSAGE_PROPERTY },
  ttl: { kind: "number", label: "Expire after", default: 30, min: 0, aboveMin: true, max: 86_400, unit: "seconds" },
  wait: { kind: "number", label: "Wait at most", default: 10, min: 0, max: 3600, unit: "seconds" },
  onTimeout: { kind: "choice", label: "On timeout", default: "output", options: ["output", "error"] },
  renew: { kind: "boolean", label: "Renew while held", default: false },
  maxHold: {
    kind: "number",
    label: "Hold at most",
    default: 300,
    max: 604_800,
    unit: "seconds",
    atLeast: "ttl",
    when: { field: "renew", is: true },
  },
} as const satisfies SettingsSchema;
