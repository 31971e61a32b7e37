import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD } from "./common";

export const waOutSchema = {
  name: NAME_FIELD,
  client: { kind: "config", label: "Connection", type: "wa-client", required: true, default: "" },
  via: { kind: "choice", label: "Send through", default: "message", options: ["message", "node"] },
  chat: { kind: "text", label: "Chat", default: "wa.message.chatId", ...MESSAGE_PROPERTY },
  quote: { kind: "boolean", label: "Quote the message", default: false },
  maxMediaMB: { kind: "number", label: "Largest media", default: 16, min: 0, aboveMin: true, max: 64, unit: "MB" },
  fileFolders: { kind: "text", label: "Files from", default: "", raw: true },
  privateHosts: { kind: "text", label: "Private hosts", default: "", raw: true },
} as const satisfies SettingsSchema;
