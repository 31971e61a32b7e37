import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

const simulatorOnly = { when: { field: "mode", is: "simulator" } } as const;

export const clientSchema = {
  name: NAME_FIELD,
  mode: { kind: "choice", label: "Connection", default: "simulator", options: ["simulator", "whatsapp-web", "baileys", "cloud"] },
  // The simulator
  source: { kind: "choice", label: "Chats", default: "demo", options: ["demo", "file"], ...simulatorOnly },
  scriptPath: { kind: "text", label: "Chat script file", default: "" },
  speed: { kind: "number", label: "Speed", default: 30, min: 0, aboveMin: true, max: 100_000, ...simulatorOnly },
  maxGap: { kind: "number", label: "Longest pause", default: 4, min: 0, max: 3600, unit: "seconds", ...simulatorOnly },
  stagger: { kind: "number", label: "Between conversations", default: 1.5, min: 0, max: 3600, unit: "seconds", ...simulatorOnly },
  // Up to a day: the batch command parks its silent simulator that far off.
  startDelay: { kind: "number", label: "Start after", default: 1, min: 0, max: 86_400, unit: "seconds", ...simulatorOnly },
  loop: { kind: "boolean", label: "Play again", default: true },
  rateLimit: {
    kind: "number",
    label: "Refuse sends over",
    default: 0,
    min: 0,
    max: 100_000,
    whole: true,
    unit: "per minute",
    ...simulatorOnly,
  },
  serviceWindow: { kind: "boolean", label: "24-hour window", default: false },
  answerInteractive: { kind: "boolean", label: "Customers answer", default: false },
  mediaFolder: { kind: "text", label: "Media folder", default: "" },
  transcript: { kind: "text", label: "Replies to file", default: "" },
  // The Cloud API
  // Blank until the number is set up: the connection then says what it lacks in its status, as for a missing token.
  phoneNumberId: {
    kind: "text",
    label: "Phone number id",
    default: "",
    pattern: "(\\d{5,30})?",
    expects: "the digits Meta shows for the number",
    when: { field: "mode", is: "cloud" },
  },
  apiVersion: { kind: "text", label: "API version", default: "v21.0", pattern: "(v\\d+\\.\\d+)?", expects: "such as v21.0" },
  apiBase: {
    kind: "text",
    label: "API base",
    default: "https://graph.facebook.com",
    pattern: "(https?://\\S+)?",
    expects: "an http(s) URL",
  },
  deliveryStore: { kind: "config", label: "Seen deliveries", type: "wa-store", default: "" },
  maxDeliveryAgeHours: { kind: "number", label: "Refuse messages older than", default: 24, min: 0, max: 720, unit: "hours (0: any age)" },
  webhookPath: { kind: "text", label: "Webhook path", default: "/whatsapp/webhook" },
  // WhatsApp Web
  chromiumPath: { kind: "text", label: "Chromium", default: "" },
  headless: { kind: "boolean", label: "Headless", default: true },
  browserArgs: { kind: "text", label: "Browser arguments", default: "" },
  includeOwn: { kind: "boolean", label: "Own messages too", default: false },
  sessionStore: { kind: "config", label: "Session store", type: "wa-store", default: "" },
  pairingPhone: {
    kind: "text",
    label: "Pairing phone number",
    default: "",
    pattern: "(\\+?[\\d\\s()-]{8,20})?",
    expects: "the international number, e.g. +44 7700 900123",
  },
} as const satisfies SettingsSchema;
