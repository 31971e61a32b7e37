import type { SettingsSchema } from "../../core/settings/schema";
import { MESSAGE_PROPERTY, NAME_FIELD, STORE_FIELD } from "./common";

/** A cautious ramp for a new number, after what WhatsApp Business tools recommend. */
export const DEFAULT_WARMUP_SCHEDULE = "1: 50/day 10/hour\n4: 150/day 30/hour\n8: 400/day 80/hour\n15: 1000/day 200/hour\n29: no cap";

const warmupOnly = { when: { field: "warmup", is: true } } as const;
const SCHEDULE_LINE = String.raw`\d{1,4}\s*:\s*((\d{1,7}/(day|hour)[ \t,]*)+|no cap|none|-)[ \t]*`;

export const batchSendSchema = {
  name: NAME_FIELD,
  client: { kind: "config", label: "Connection", type: "wa-client", required: true, default: "" },
  via: { kind: "choice", label: "Send through", default: "message", options: ["message", "node"] },
  store: STORE_FIELD,
  chat: { kind: "text", label: "Chat", default: "wa.message.chatId", ...MESSAGE_PROPERTY },
  quote: { kind: "boolean", label: "Quote the message", default: false },
  gapMin: { kind: "number", label: "Gap per chat from", default: 1, min: 0, max: 3600, unit: "seconds" },
  gapMax: { kind: "number", label: "Gap per chat up to", default: 3, min: 0, max: 3600, unit: "seconds", atLeast: "gapMin" },
  globalPerSecond: { kind: "number", label: "In all", default: 5, min: 0.001, max: 1000, unit: "per second" },
  coalesceWindow: { kind: "number", label: "Join messages within", default: 0, min: 0, max: 60, unit: "seconds" },
  coalesceMaxChars: { kind: "number", label: "Joined up to", default: 1000, min: 1, max: 65_536, whole: true, unit: "characters" },
  typing: { kind: "boolean", label: "Show typing", default: false },
  typingMsPerChar: {
    kind: "number",
    label: "Typing for",
    default: 30,
    min: 0,
    max: 1000,
    unit: "ms per character",
    when: { field: "typing", is: true },
  },
  maxAttempts: { kind: "number", label: "Attempts", default: 4, min: 1, max: 20, whole: true },
  maxPerChat: { kind: "number", label: "Waiting per chat", default: 100, min: 1, max: 100_000, whole: true },
  maxTotal: { kind: "number", label: "Waiting in all", default: 10_000, min: 1, max: 10_000_000, whole: true },
  warmup: { kind: "boolean", label: "Warm-up", default: false },
  warmupSchedule: {
    kind: "text",
    label: "Schedule",
    default: DEFAULT_WARMUP_SCHEDULE,
    raw: true,
    pattern: String.raw`\s*(${SCHEDULE_LINE}([\n;]+\s*|$))+`,
    expects: 'one line per step, such as "1: 50/day 10/hour", the first for day 1',
    ...warmupOnly,
  },
  warmupSince: {
    kind: "text",
    label: "Number in use since",
    default: "",
    pattern: String.raw`(\d{4}-\d{2}-\d{2})?`,
    expects: "a date such as 2026-11-30, or blank for the first day this sender ran",
    ...warmupOnly,
  },
  newChatsPerDay: { kind: "number", label: "New chats per day", default: 20, min: 0, max: 1_000_000, whole: true, ...warmupOnly },
  unansweredPerChat: { kind: "number", label: "Unanswered per chat", default: 2, min: 0, max: 1000, whole: true, ...warmupOnly },
  slowDown: { kind: "boolean", label: "Slow down", default: true },
} as const satisfies SettingsSchema;
