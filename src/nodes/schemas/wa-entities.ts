import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD } from "./common";

export const ENTITY_TYPES = [
  "phone",
  "email",
  "url",
  "order_id",
  "tracking_number",
  "money",
  "datetime",
  "quantity",
  "product",
  "person",
  "address",
] as const;

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
  property: { kind: "text", label: "Text from", default: "payload", ...MESSAGE_PROPERTY, expects: "a message property such as payload" },
} as const satisfies SettingsSchema;
