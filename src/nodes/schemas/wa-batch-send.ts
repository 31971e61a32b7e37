import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD, STORE_FIELD } from "./common";

export const batchSendSchema = {
  name: NAME_FIELD,
  client: { kind: "config", label: "Connection", type: "wa-client", required: true, default: "" },
  store: STORE_FIELD,
  chat: { kind: "text", label: "Chat", default: "wa.message.chatId", ...MESSAGE_PROPERTY },
  quote: { kind: "boolean", label: "Quote the message", default: false },
  gapMin: { kind: "number", label: "Gap per chat from", default: 1, min: 0, max: 3600, unit: "seconds" },
  gapMax: { kind: "number", label: "Gap per chat up to", default: 3, min: 0, max: 3600, unit: "seconds", atLeast: "gapMin" },
  globalPerSecond: { kind: "number", label: "In all", default: 5, min: 0.001, max: 1000, unit: "per second" },
  coalesceWindow: { kind: "number", label: "Join messages within", default: 0, min: 0, max: 60, unit: "seconds" },
  coalesceMaxChars: { kind: "number", label: "Joined up to", default: 1000, min: 1, max: 65_536, whole: true, unit: "characters" },
  typing: { kind: "boolean", label: "Show typing", default: false },
  typingMsPerChar: {
    kind: "number",
    label: "Typing for",
    default: 30,
    min: 0,
    max: 1000,
    unit: "ms per character",
    when: { field: "typing", is: true },
  },
  maxAttempts: { kind: "number", label: "Attempts", default: 4, min: 1, max: 20, whole: true },
  maxPerChat: { kind: "number", label: "Waiting per chat", default: 100, min: 1, max: 100_000, whole: true },
  maxTotal: { kind: "number", label: "Waiting in all", default: 10_000, min: 1, max: 10_000_000, whole: true },
} as const satisfies SettingsSchema;
