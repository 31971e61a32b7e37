import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD, STORE_FIELD, STORE_NAME } from "./common";

export const threadSchema = {
  name: NAME_FIELD,
  store: STORE_FIELD,
  threadName: { kind: "text", label: "Keep as", default: "threads", ...STORE_NAME },
  closeAfterHours: { kind: "number", label: "Close a thread after", default: 72, min: 0, aboveMin: true, max: 2160, unit: "hours" },
  resumeAfterMinutes: { kind: "number", label: "A pause of", default: 30, min: 0, aboveMin: true, max: 10_080, unit: "minutes" },
  participantMinutes: {
    kind: "number",
    label: "A participant's own thread for",
    default: 30,
    min: 0,
    aboveMin: true,
    max: 1440,
    unit: "minutes",
  },
  joinSimilarity: { kind: "number", label: "Join a topic from", default: 0.2, min: 0, aboveMin: true, max: 1 },
  smallGroupWriters: {
    kind: "number",
    label: "Shared topics up to",
    default: 6,
    min: 0,
    max: 1000,
    whole: true,
    unit: "writers",
  },
  /** Before smallGroupWriters: ticked meant topics shared in every group (read only from flows saved then). */
  topicsInGroups: { kind: "boolean", label: "Share topics in groups", default: false },
  cues: { kind: "text", label: "New-topic phrases", default: "", raw: true },
} as const satisfies SettingsSchema;
