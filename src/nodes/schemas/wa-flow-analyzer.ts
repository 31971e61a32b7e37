import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD, STORE_FIELD, STORE_NAME } from "./common";

/** The form's starting stages: how a shop's chat usually goes. */
export const DEFAULT_STAGES = [
  'greeting: greeting, "hello", "hi", "hola", "oi", "namaste", "hallo", "bonjour"',
  "inquiry: product, price, availability",
  "ordering: order, order_change",
  "payment: payment",
  "closed: thanks, goodbye",
].join("\n");

export const flowAnalyzerSchema = {
  name: NAME_FIELD,
  store: STORE_FIELD,
  flowName: { kind: "text", label: "Flow name", default: "conversation", ...STORE_NAME },
  stages: { kind: "text", label: "Stages", default: DEFAULT_STAGES, raw: true },
  unansweredMinutes: { kind: "number", label: "Unanswered after", default: 10, min: 0, aboveMin: true, max: 10_080, unit: "minutes" },
  negativeStreak: { kind: "number", label: "Negative messages in a row", default: 2, min: 1, max: 100, whole: true },
  humanIntents: {
    kind: "text",
    label: "Human intents",
    default: "human",
    pattern: "[\\p{L}\\p{N}_.:,\\s-]{0,500}",
    expects: "intent names separated by commas",
  },
  ttlHours: { kind: "number", label: "Forget chats after", default: 72, min: 0, aboveMin: true, max: 8760, unit: "hours" },
} as const satisfies SettingsSchema;
