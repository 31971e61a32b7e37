import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD, STORE_NAME } from "./common";

export const parallelSchema = {
  name: NAME_FIELD,
  mode: { kind: "choice", label: "Mode", default: "limit", options: ["limit", "release"] },
  poolName: { kind: "text", label: "Pool name", default: "default", ...STORE_NAME },
  key: { kind: "text", label: "Chat key", default: "wa.message.chatId", ...MESSAGE_PROPERTY },
  maxInFlight: { kind: "number", label: "In flight", default: 10, min: 1, max: 10_000, whole: true },
  perChat: { kind: "number", label: "Per chat", default: 1, min: 1, max: 1000, whole: true, atMost: "maxInFlight" },
  maxWaiting: { kind: "number", label: "Waiting", default: 10_000, min: 1, max: 1_000_000, whole: true },
  ackTimeout: { kind: "number", label: "Ack timeout", default: 60, min: 0, max: 86_400, unit: "seconds" },
} as const satisfies SettingsSchema;
