import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD, STORE_FIELD, STORE_NAME } from "./common";

export const deadLetterSchema = {
  name: NAME_FIELD,
  dlqName: { kind: "text", label: "Dead letters", default: "dead-letters", ...STORE_NAME },
  store: STORE_FIELD,
  autoRetry: { kind: "boolean", label: "Retry by itself", default: true },
  maxAttempts: { kind: "number", label: "Attempts", default: 5, min: 1, max: 100, whole: true },
  backoffSeconds: { kind: "number", label: "First retry after", default: 30, min: 1, max: 86_400, unit: "seconds" },
  maxBackoffMinutes: { kind: "number", label: "Longest wait", default: 60, min: 0, aboveMin: true, max: 10_080, unit: "minutes" },
  settleMinutes: { kind: "number", label: "Delivered after", default: 5, min: 0, aboveMin: true, max: 1440, unit: "minutes" },
  maxEntries: { kind: "number", label: "Keep at most", default: 10_000, min: 1, max: 100_000, whole: true, unit: "messages" },
  checkSeconds: { kind: "number", label: "Look for due retries every", default: 5, min: 1, max: 3600, unit: "seconds" },
} as const satisfies SettingsSchema;
