import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD, STORE_FIELD, STORE_NAME } from "./common";

export const messageQueueSchema = {
  name: NAME_FIELD,
  store: STORE_FIELD,
  mode: { kind: "choice", label: "Mode", default: "enqueue", options: ["enqueue", "ack"] },
  queueName: { kind: "text", label: "Queue name", default: "default", ...STORE_NAME },
  key: { kind: "text", label: "Chat key", default: "wa.message.chatId", ...MESSAGE_PROPERTY },
  maxPerChat: { kind: "number", label: "Per chat", default: 100, min: 1, max: 10_000, whole: true, unit: "messages" },
  maxTotal: { kind: "number", label: "In all", default: 10_000, min: 1, max: 1_000_000, whole: true, unit: "messages" },
  overflow: { kind: "choice", label: "When full", default: "reject", options: ["reject", "drop-oldest", "block"] },
  blockWait: {
    kind: "number",
    label: "Wait for room",
    default: 30,
    min: 0,
    aboveMin: true,
    max: 3600,
    unit: "seconds",
    when: { field: "overflow", is: "block" },
  },
  ackTimeout: { kind: "number", label: "Ack timeout", default: 60, min: 0, max: 86_400, unit: "seconds" },
  maxDeliveries: { kind: "number", label: "Deliveries", default: 3, min: 1, max: 100, whole: true },
} as const satisfies SettingsSchema;
