import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const clientHealthSchema = {
  name: NAME_FIELD,
  client: { kind: "config", label: "Connection", type: "wa-client", required: true, default: "" },
  interval: { kind: "number", label: "Report every", default: 30, min: 1, max: 86_400, unit: "seconds" },
  silenceWarn: { kind: "number", label: "Quiet warning", default: 0, min: 0, max: 10_080, unit: "minutes (0: off)" },
  failureRate: { kind: "number", label: "Failure rate", default: 20, min: 0, aboveMin: true, max: 100, unit: "%" },
  window: { kind: "number", label: "Window", default: 5, min: 1, max: 1440, unit: "minutes" },
} as const satisfies SettingsSchema;
