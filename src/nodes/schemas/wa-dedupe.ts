import type { SettingsSchema } from "../../core/settings/schema";
import { STORE_NAME } from "./common";

export const dedupeSchema = {
  name: { kind: "text", label: "Name", default: "" },
  store: { kind: "config", label: "Store", type: "wa-store", default: "" },
  dedupeName: { kind: "text", label: "Dedupe set", default: "write-back", ...STORE_NAME },
  key: { kind: "text", label: "Key", default: "wa.message.id" },
  keyType: { kind: "choice", label: "Key type", default: "msg", options: ["msg", "jsonata"] },
  ttlHours: { kind: "number", label: "Remember for", default: 24, min: 0, aboveMin: true, max: 8760, unit: "hours" },
  action: { kind: "choice", label: "Action", default: "claim", options: ["claim", "forget"] },
} as const satisfies SettingsSchema;
