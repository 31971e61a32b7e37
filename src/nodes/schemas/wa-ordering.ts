import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

const PROPERTY = "[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*|\\[\\d+\\])*";
const PROPERTY_EXPECTS = "a message property such as wa.message.timestamp";

export const orderingSchema = {
  name: NAME_FIELD,
  orderBy: { kind: "choice", label: "Order by", default: "timestamp", options: ["timestamp", "sequence"] },
  orderProperty: {
    kind: "text",
    label: "Order by property",
    default: "wa.message.timestamp",
    pattern: PROPERTY,
    expects: PROPERTY_EXPECTS,
  },
  chatProperty: { kind: "text", label: "Chat", default: "wa.message.chatId", pattern: PROPERTY, expects: PROPERTY_EXPECTS },
  idProperty: { kind: "text", label: "Message id", default: "wa.message.id", pattern: PROPERTY, expects: PROPERTY_EXPECTS },
  maxWaitMs: { kind: "number", label: "Wait at most", default: 2000, min: 0, max: 600_000, whole: true, unit: "ms" },
  maxHeldPerChat: { kind: "number", label: "Hold at most", default: 100, min: 1, max: 10_000, whole: true, unit: "messages per chat" },
  startAt: { kind: "number", label: "First sequence number", default: 0, whole: true, optional: true },
} as const satisfies SettingsSchema;
