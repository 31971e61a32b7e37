import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD } from "./common";

export const sheetsSchema = {
  name: NAME_FIELD,
  // "demo": the pack's Sheets emulator started inside Node-RED (no account, data in memory), for trying flows.
  server: { kind: "choice", label: "Server", default: "google", options: ["google", "demo"] },
  demoPort: {
    kind: "number",
    label: "Demo port",
    default: 8085,
    min: 1024,
    max: 65_535,
    whole: true,
    when: { field: "server", is: "demo" },
  },
  spreadsheetId: {
    kind: "text",
    label: "Spreadsheet id",
    default: "",
    required: true,
    example: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
    pattern: "[A-Za-z0-9_-]{10,128}",
    expects: "the long id in the sheet's URL, between /d/ and /edit",
  },
  apiRoot: {
    kind: "text",
    label: "API root URL",
    default: "",
    pattern: "(https?://\\S+)?",
    expects: "it must start with http:// or https://",
  },
  failureRate: { kind: "number", label: "Open the breaker at a failure rate of", default: 0.5, min: 0.01, max: 1 },
  minimumCalls: { kind: "number", label: "Over at least", default: 5, min: 1, max: 1000, unit: "calls" },
  windowSeconds: { kind: "number", label: "Within", default: 60, min: 1, max: 3600, unit: "seconds" },
  resetSeconds: { kind: "number", label: "Try again after", default: 30, min: 1, max: 3600, unit: "seconds" },
  requestsPerMinute: {
    kind: "number",
    label: "Requests per minute",
    default: 60,
    min: 1,
    max: 10_000,
    unit: "(Google allows 60 per user and 300 per project)",
  },
  cacheSeconds: { kind: "number", label: "Cache reads for", default: 60, min: 0, max: 86_400, unit: "seconds" },
  staleSeconds: { kind: "number", label: "Serve stale for", default: 300, min: 0, max: 86_400, unit: "seconds" },
  cacheStore: { kind: "config", label: "Cache store", type: "wa-store", default: "" },
} as const satisfies SettingsSchema;
