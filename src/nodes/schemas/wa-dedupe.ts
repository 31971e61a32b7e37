import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD, STORE_FIELD, STORE_NAME } from "./common";

export const dedupeSchema = {
  name: NAME_FIELD,
  store: STORE_FIELD,
  dedupeName: { kind: "text", label: "Dedupe set", default: "write-back", ...STORE_NAME },
  key: { kind: "text", label: "Key", default: "wa.message.id" },
  keyType: { kind: "choice", label: "Key type", default: "msg", options: ["msg", "jsonata"] },
  ttlHours: { kind: "number", label: "Remember for", default: 24, min: 0, aboveMin: true, max: 8760, unit: "hours" },
  action: { kind: "choice", label: "Action", default: "claim", options: ["claim", "forget"] },
} as const satisfies SettingsSchema;
