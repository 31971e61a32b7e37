import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const documentSchema = {
  name: NAME_FIELD,
  maxMegabytes: { kind: "number", label: "Largest file", default: 20, min: 0.01, max: 100, unit: "MB" },
  maxUnpackedMegabytes: { kind: "number", label: "Largest unpacked", default: 100, min: 1, max: 500, unit: "MB" },
  maxPages: { kind: "number", label: "Pages read", default: 200, min: 1, max: 5000, whole: true },
  maxRows: { kind: "number", label: "Rows read", default: 10_000, min: 1, max: 1_000_000, whole: true },
  maxChars: { kind: "number", label: "Characters kept", default: 1_000_000, min: 1000, max: 10_000_000, whole: true },
  timeoutSeconds: { kind: "number", label: "Time limit", default: 60, min: 1, max: 600, unit: "seconds" },
  poolSize: { kind: "number", label: "At once", default: 1, min: 1, max: 4, whole: true },
  useAsText: { kind: "boolean", label: "Use as the message text", default: false },
} as const satisfies SettingsSchema;
