import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const perfMonitorSchema = {
  name: NAME_FIELD,
  interval: { kind: "number", label: "Report every", default: 10, min: 1, max: 86_400, unit: "seconds" },
  format: { kind: "choice", label: "Format", default: "json", options: ["json", "prometheus", "both"] },
} as const satisfies SettingsSchema;
