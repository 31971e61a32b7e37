import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

/** The form's starting examples: three intents in four languages, enough to try the node. */
const DEFAULT_EXAMPLES = [
  "greeting: hi",
  "greeting: hello, good morning",
  "greeting: hola",
  "greeting: olá, bom dia",
  "order_status: where is my order?",
  "order_status: my parcel has not arrived",
  "order_status: dónde está mi pedido",
  "order_status: cadê meu pedido",
  "human: can I talk to a person",
  "human: I want to speak to someone",
  "human: quiero hablar con una persona",
  "human: quero falar com um atendente",
].join("\n");

const fromExamples = { when: { field: "model", is: "examples" } } as const;

export const intentSchema = {
  name: NAME_FIELD,
  // "examples" stays the default: a flow saved before the built-in model existed keeps the model of its own examples.
  model: { kind: "choice", label: "Model", default: "examples", options: ["examples", "business"] },
  examples: { kind: "text", label: "Examples", default: DEFAULT_EXAMPLES, raw: true, ...fromExamples },
  file: {
    kind: "text",
    label: "Training file",
    default: "",
    pattern: "[^\\u0000]{0,500}",
    expects: "a path of at most 500 characters",
    ...fromExamples,
  },
  threshold: { kind: "number", label: "Fallback below", default: 0.5, min: 0, max: 1 },
  fallback: {
    kind: "text",
    label: "Fallback intent",
    default: "fallback",
    pattern: "[\\p{L}\\p{N}_.:?!-]{1,100}",
    expects: "1 to 100 letters, digits, '_', '.', ':', '?', '!' or '-'",
  },
  topK: { kind: "number", label: "Alternatives", default: 3, min: 1, max: 20, whole: true },
  property: {
    kind: "text",
    label: "Text from",
    default: "payload",
    pattern: "[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*|\\[\\d+\\])*",
    expects: "a message property such as payload",
  },
} as const satisfies SettingsSchema;
