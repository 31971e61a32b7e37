import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

const deafOnly = { when: { field: "deafCheck", is: true } } as const;

export const clientHealthSchema = {
  name: NAME_FIELD,
  client: { kind: "config", label: "Connection", type: "wa-client", required: true, default: "" },
  interval: { kind: "number", label: "Report every", default: 30, min: 1, max: 86_400, unit: "seconds" },
  silenceWarn: { kind: "number", label: "Quiet warning", default: 0, min: 0, max: 10_080, unit: "minutes (0: off)" },
  failureRate: { kind: "number", label: "Failure rate", default: 20, min: 0, aboveMin: true, max: 100, unit: "%" },
  window: { kind: "number", label: "Window", default: 5, min: 1, max: 1440, unit: "minutes" },
  // Connected but deaf: a silence the connection's own traffic for that hour of the week makes unlikely.
  deafCheck: { kind: "boolean", label: "Deaf detection", default: true },
  deafFloor: { kind: "number", label: "Never before", default: 20, min: 1, max: 1440, unit: "minutes of silence", ...deafOnly },
  deafOdds: { kind: "number", label: "Unlikely at", default: 1000, min: 10, max: 1_000_000_000, unit: "1 in N", ...deafOnly },
  deafLearn: { kind: "number", label: "Learn for", default: 24, min: 1, max: 720, unit: "connected hours", ...deafOnly },
  probeTimeout: { kind: "number", label: "Probe within", default: 20, min: 1, max: 300, unit: "seconds", ...deafOnly },
  deafReconnect: { kind: "boolean", label: "Reconnect", default: true, ...deafOnly },
  store: { kind: "config", label: "Traffic store", type: "wa-store", default: "" },
} as const satisfies SettingsSchema;
