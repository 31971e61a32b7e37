import { WaError } from "../errors";

/** The five stages of the pipeline, in the order a message passes them, with the node types of each. */
export const PIPELINE_STAGES = [
  {
    id: "session",
    number: 1,
    title: "Session management",
    nodeTypes: ["wa-message-queue", "wa-session-lock", "wa-session-state", "wa-client-health", "wa-health-score"],
  },
  {
    id: "intelligence",
    number: 2,
    title: "Conversation intelligence",
    nodeTypes: ["wa-entities", "wa-intent", "wa-sentiment", "wa-thread", "wa-flow-analyzer"],
  },
  { id: "media", number: 3, title: "Media intelligence", nodeTypes: ["wa-ocr", "wa-transcribe", "wa-document", "wa-gallery"] },
  {
    id: "resilience",
    number: 4,
    title: "Error handling and resilience",
    nodeTypes: ["wa-dedupe", "wa-ordering", "wa-sheets-write", "wa-dead-letter", "wa-degrade"],
  },
  { id: "performance", number: 5, title: "Performance", nodeTypes: ["wa-parallel", "wa-sheets-read", "wa-batch-send", "wa-perf-monitor"] },
] as const;

export type StageId = (typeof PIPELINE_STAGES)[number]["id"];
export const STAGE_IDS: readonly StageId[] = PIPELINE_STAGES.map((stage) => stage.id);

const STAGE_BY_TYPE = new Map<string, StageId>(
  PIPELINE_STAGES.flatMap((stage) => stage.nodeTypes.map((type) => [type, stage.id] as const)),
);

/** The stage a node type belongs to; undefined for transports and configuration nodes. */
export function stageOfNodeType(type: string): StageId | undefined {
  return STAGE_BY_TYPE.get(type);
}

/**
 * Nodes that run even while their stage is off: the halves that hand back what the other half took (a lock's
 * release, a queue's or parallelizer's ack) so nothing stays held, the dead letters so no failure is lost,
 * the paced send so no reply is dropped, and the health monitors, which watch rather than handle messages.
 */
export function runsWhileStageOff(type: string, mode: unknown): boolean {
  if (["wa-dead-letter", "wa-batch-send", "wa-client-health", "wa-health-score"].includes(type)) return true;
  return (mode === "release" || mode === "ack") && ["wa-session-lock", "wa-message-queue", "wa-parallel"].includes(type);
}

/**
 * A stage named by its id ("intelligence"), its number (2 or "2") or its title, in any case; a
 * `config.invalid`-style error a person can act on otherwise.
 */
export function parseStage(value: unknown): StageId {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim().toLowerCase() : "";
  const found = PIPELINE_STAGES.find((stage) => stage.id === text || String(stage.number) === text || stage.title.toLowerCase() === text);
  if (!found) {
    const named = (JSON.stringify(value) ?? String(value)).slice(0, 60);
    throw new WaError("pipeline.unknownStage", `Unknown pipeline stage ${named}: use one of ${STAGE_IDS.join(", ")} or 1 to 5`, {
      stage: named,
      stages: STAGE_IDS.join(", "),
    });
  }
  return found.id;
}
