/**
 * Where each pipeline node sits in the editor's palette: one category per stage, in the order a
 * message goes through them, and the stage's colour. Categories appear in the palette in the order
 * their first node is registered, which is the order of package.json's node list (a test keeps the two alike).
 */
export const PALETTE_STAGES = [
  { category: "WhatsApp", colour: "#5fc98a", types: ["wa-in", "wa-out", "wa-batch-send"] },
  { category: "WA session", colour: "#7fb6d9", types: ["wa-message-queue", "wa-session-lock", "wa-session-state"] },
  { category: "WA resilience", colour: "#e2b76f", types: ["wa-dedupe", "wa-ordering", "wa-dead-letter", "wa-degrade"] },
  { category: "WA understanding", colour: "#c7a4e0", types: ["wa-entities", "wa-intent", "wa-sentiment", "wa-thread", "wa-flow-analyzer"] },
  { category: "WA media", colour: "#f3b567", types: ["wa-ocr", "wa-transcribe", "wa-document", "wa-gallery"] },
  { category: "WA Google Sheets", colour: "#9fd29f", types: ["wa-sheets-read", "wa-sheets-write"] },
  { category: "WA performance", colour: "#a99bd6", types: ["wa-parallel", "wa-client-health", "wa-health-score", "wa-perf-monitor"] },
] as const;

/** Longest palette label that fits the palette's node width in one line. */
export const MAX_PALETTE_LABEL = 14;

export function paletteStageOf(type: string): (typeof PALETTE_STAGES)[number] | undefined {
  return PALETTE_STAGES.find((stage) => (stage.types as readonly string[]).includes(type));
}
