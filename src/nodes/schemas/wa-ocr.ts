import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const ocrSchema = {
  name: NAME_FIELD,
  languages: {
    kind: "text",
    label: "Languages",
    default: "eng+por+spa",
    pattern: "[a-z]{3}(_[a-z]{3,4})?([+][a-z]{3}(_[a-z]{3,4})?){0,4}",
    expects: "one to five tesseract codes such as eng+por+spa",
  },
  layout: { kind: "choice", label: "Page layout", default: "auto", options: ["auto", "block"] },
  poolSize: { kind: "number", label: "Workers", default: 1, min: 1, max: 8, whole: true },
  timeoutSeconds: { kind: "number", label: "Time limit", default: 30, min: 1, max: 600, unit: "seconds" },
  maxMegabytes: { kind: "number", label: "Largest image", default: 10, min: 0, aboveMin: true, max: 64, unit: "MB" },
  words: { kind: "boolean", label: "Word boxes", default: true },
  rotate: { kind: "boolean", label: "Turn upright", default: true },
  grayscale: { kind: "boolean", label: "Grey scale", default: false },
  minWidth: { kind: "number", label: "Enlarge below", default: 1000, min: 0, max: 4000, whole: true, unit: "pixels (0: never)" },
  threshold: { kind: "number", label: "Black and white at", default: 0, min: 0, max: 254, whole: true, unit: "(0: off)" },
} as const satisfies SettingsSchema;
