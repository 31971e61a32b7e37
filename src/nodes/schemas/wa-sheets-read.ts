import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD } from "./common";

export const sheetsReadSchema = {
  name: NAME_FIELD,
  sheets: { kind: "config", label: "Sheets", type: "wa-sheets", required: true, default: "" },
  range: { kind: "text", label: "Range", default: "Sheet1" },
  mode: { kind: "choice", label: "Read", default: "range", options: ["range", "lookup"] },
  keyProperty: {
    kind: "text",
    label: "Key",
    default: "payload",
    ...MESSAGE_PROPERTY,
    expects: "a message property such as payload or wa.message.chatId",
  },
  keyColumn: { kind: "text", label: "Key column", default: "A", pattern: "[A-Za-z]{1,3}", expects: "a column letter such as A or AB" },
  headerRow: { kind: "boolean", label: "First row names the columns", default: true },
  property: {
    kind: "text",
    label: "Put the result in",
    default: "payload",
    ...MESSAGE_PROPERTY,
    expects: "a message property such as payload",
  },
} as const satisfies SettingsSchema;
