import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD, OPTIONAL_STORE_NAME } from "./common";

export const degradeSchema = {
  name: NAME_FIELD,
  routing: { kind: "choice", label: "Messages", default: "route", options: ["route", "mark"] },
  healthNode: { kind: "text", label: "Health score", default: "" },
  queueName: { kind: "text", label: "Queue", default: "", ...OPTIONAL_STORE_NAME },
  sheets: { kind: "config", label: "Sheets", type: "wa-sheets", default: "" },
  reducedBelowScore: { kind: "number", label: "Score for reduced", default: 70, min: 0, max: 100 },
  minimalBelowScore: { kind: "number", label: "Score for minimal", default: 40, min: 0, max: 100, atMost: "reducedBelowScore" },
  reducedAboveDepth: { kind: "number", label: "Queue depth for reduced", default: 200, min: 1, max: 1_000_000, whole: true },
  minimalAboveDepth: { kind: "number", label: "Queue depth for minimal", default: 1000, min: 1, whole: true, atLeast: "reducedAboveDepth" },
  openBreakerMode: { kind: "choice", label: "Open breaker", default: "reduced", options: ["full", "reduced", "minimal"] },
  recoverSeconds: { kind: "number", label: "Recover after", default: 30, min: 0, max: 3600, unit: "seconds" },
} as const satisfies SettingsSchema;
