import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const sheetsWriteSchema = {
  name: NAME_FIELD,
  sheets: { kind: "config", label: "Sheets", type: "wa-sheets", required: true, default: "" },
  range: { kind: "text", label: "Range", default: "Sheet1!A1" },
  columns: {
    kind: "text",
    label: "Columns",
    default: "wa.message.id, wa.message.chatId, wa.message.timestamp, payload",
    pattern: "\\s*[A-Za-z_$][\\w$.\\[\\]]*(\\s*,\\s*[A-Za-z_$][\\w$.\\[\\]]*)*\\s*",
    expects: "1 to 50 message properties, separated by commas, e.g. wa.message.id, wa.message.chatId, payload",
  },
  windowMs: { kind: "number", label: "Batch window", default: 1000, min: 0, max: 60_000, whole: true, unit: "ms" },
  maxRows: { kind: "number", label: "Rows per request", default: 100, min: 1, max: 1000, whole: true },
  giveUpMinutes: { kind: "number", label: "Give up after", default: 15, min: 0, aboveMin: true, max: 1440, unit: "minutes" },
  mode: { kind: "choice", label: "Write", default: "append", options: ["append", "upsert"] },
  valueInput: { kind: "choice", label: "Values", default: "RAW", options: ["RAW", "USER_ENTERED"] },
} as const satisfies SettingsSchema;
