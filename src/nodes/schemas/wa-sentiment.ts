import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD } from "./common";

export const sentimentSchema = {
  name: NAME_FIELD,
  mode: { kind: "choice", label: "Model", default: "lexicon", options: ["lexicon", "trained", "builtin"] },
  examples: { kind: "text", label: "Examples", default: "", raw: true },
  file: { kind: "text", label: "Training file", default: "" },
  positiveFrom: { kind: "number", label: "Positive from", default: 0.05, min: 0, aboveMin: true, max: 1, belowMax: true },
  negativeFrom: { kind: "number", label: "Negative from", default: -0.05, min: -1, aboveMin: true, max: 0, belowMax: true },
  englishWords: { kind: "boolean", label: "English words", default: true },
  lexiconReading: { kind: "boolean", label: "Lexicon's reading", default: true },
  property: { kind: "text", label: "Text from", default: "payload", ...MESSAGE_PROPERTY, expects: "a message property such as payload" },
} as const satisfies SettingsSchema;
