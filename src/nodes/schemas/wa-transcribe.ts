import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const transcribeSchema = {
  name: NAME_FIELD,
  engine: { kind: "choice", label: "Engine", default: "offline", options: ["offline", "google", "openai"] },
  language: {
    kind: "text",
    label: "Language",
    default: "en-US",
    pattern: "[a-z]{2,3}(-[A-Za-z0-9]{2,8})*",
    expects: "a code such as en-US, pt-BR or es-MX",
  },
  grammar: { kind: "choice", label: "Listen for", default: "digits", options: ["digits", "phrases", "words"] },
  phrases: { kind: "text", label: "Phrases", default: "", raw: true },
  adaptList: {
    kind: "text",
    label: "Adapt to voices",
    default: "",
    pattern: "[^\\u0000]{0,500}",
    expects: "a file path, relative to the Node-RED user directory",
  },
  endpoint: { kind: "text", label: "Endpoint", default: "" },
  model: { kind: "text", label: "Model", default: "" },
  poolSize: { kind: "number", label: "At once", default: 1, min: 1, max: 4, whole: true },
  timeoutSeconds: { kind: "number", label: "Time limit", default: 60, min: 1, max: 600, unit: "seconds" },
  maxSeconds: { kind: "number", label: "Longest voice note", default: 120, min: 1, max: 900, unit: "seconds" },
  maxMegabytes: { kind: "number", label: "Largest file", default: 16, min: 0, aboveMin: true, max: 25, unit: "MB" },
  useAsText: { kind: "boolean", label: "Use as the message text", default: true },
} as const satisfies SettingsSchema;
