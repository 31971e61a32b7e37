import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const waInSchema = {
  name: NAME_FIELD,
  client: { kind: "config", label: "Connection", type: "wa-client", required: true, default: "" },
  includeGroups: { kind: "boolean", label: "Groups", default: true },
  types: { kind: "choice", label: "Messages", default: "all", options: ["all", "text", "media"] },
  chats: { kind: "text", label: "Only these chats", default: "" },
  events: { kind: "boolean", label: "Events", default: false },
  downloadMedia: { kind: "boolean", label: "Download media", default: false },
  maxMediaMB: {
    kind: "number",
    label: "Largest media",
    default: 16,
    min: 0,
    aboveMin: true,
    max: 100,
    unit: "MB",
    when: { field: "downloadMedia", is: true },
  },
} as const satisfies SettingsSchema;
