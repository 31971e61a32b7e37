import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD, OPTIONAL_STORE_NAME } from "./common";

const weight = (label: string, value: number) => ({ kind: "number", label, default: value, min: 0, max: 100 }) as const;

export const healthScoreSchema = {
  name: NAME_FIELD,
  threshold: { kind: "number", label: "Emit on a change of", default: 5, min: 1, max: 100, unit: "points" },
  queueName: { kind: "text", label: "Queue", default: "", ...OPTIONAL_STORE_NAME },
  wErrorRate: weight("Weight of the error rate", 35),
  wLatency: weight("Weight of the latency", 20),
  wQueueDepth: weight("Weight of the queue depth", 15),
  wClient: weight("Weight of the client health", 20),
  wBreaker: weight("Weight of the breaker", 10),
} as const satisfies SettingsSchema;
