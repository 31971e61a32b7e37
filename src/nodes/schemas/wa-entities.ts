import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD } from "./common";
import { ENTITY_TYPES } from "../../core/nlu/entities";

export { ENTITY_TYPES };

export const entitiesSchema = {
  name: NAME_FIELD,
  region: {
    kind: "text",
    label: "Default country",
    default: "",
    pattern: "([A-Za-z]{2})?",
    expects: "a two-letter country code such as BR, IN, GB",
  },
  orderPatterns: { kind: "text", label: "Order id patterns", default: "", raw: true },
  types: { kind: "text", label: "Entities", default: ENTITY_TYPES.join(",") },
  products: { kind: "text", label: "Products", default: "", raw: true },
  productFile: {
    kind: "text",
    label: "Product file",
    default: "",
    pattern: "[^\\u0000]{0,500}",
    expects: "a path of at most 500 characters",
  },
  productSheets: { kind: "config", label: "Products from Sheets", type: "wa-sheets", default: "" },
  productRange: { kind: "text", label: "Product range", default: "" },
  productRefreshMinutes: { kind: "number", label: "Re-read the products every", default: 10, min: 1, max: 1440, unit: "minutes" },
  // "off" stays the default: a flow saved before the tagger existed keeps the rules' reading.
  tagger: { kind: "choice", label: "Learned tagger", default: "off", options: ["off", "builtIn", "file"] },
  annotatedFile: {
    kind: "text",
    label: "Annotated messages",
    default: "",
    pattern: "[^\\u0000]{1,500}",
    expects: "a path of 1 to 500 characters",
    when: { field: "tagger", is: "file" },
  },
  property: { kind: "text", label: "Text from", default: "payload", ...MESSAGE_PROPERTY, expects: "a message property such as payload" },
} as const satisfies SettingsSchema;
