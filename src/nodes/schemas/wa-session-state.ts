import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD, STORE_FIELD, STORE_NAME } from "./common";

export const sessionStateSchema = {
  name: NAME_FIELD,
  store: STORE_FIELD,
  stateName: { kind: "text", label: "State name", default: "default", ...STORE_NAME },
  key: { kind: "text", label: "Chat key", default: "wa.message.chatId", ...MESSAGE_PROPERTY },
  operation: { kind: "choice", label: "Operation", default: "get", options: ["get", "merge", "set", "increment", "delete", "topic"] },
  value: { kind: "text", label: "Value from", default: "payload", ...MESSAGE_PROPERTY },
  path: {
    kind: "text",
    label: "Counter",
    default: "custom.count",
    pattern: "(slots|custom)(\\.[A-Za-z0-9_$-]+)+",
    expects: "a path under slots or custom, such as custom.count",
    when: { field: "operation", is: "increment" },
  },
  by: { kind: "number", label: "Add", default: 1 },
  ttl: { kind: "number", label: "Forget after", default: 86_400, min: 0, aboveMin: true, max: 31_536_000, unit: "seconds" },
  maxKb: { kind: "number", label: "Size limit", default: 64, min: 1, max: 1000, unit: "KB" },
} as const satisfies SettingsSchema;
