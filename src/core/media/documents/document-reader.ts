import path from "node:path";
import { EngineWorker } from "../engine-pool";
import { DocumentLimits, DocumentResult } from "./limits";
import type { DocumentJob } from "./document-worker";
import { startEngineThread } from "../engine-thread";

export type { DocumentJob };

/** Starts one document-reading thread with the limits it enforces and a heap of its own. */
export function startDocumentThread(limits: DocumentLimits, maxHeapMb = 512): Promise<EngineWorker<DocumentJob, DocumentResult>> {
  return startEngineThread<DocumentJob, DocumentResult>(path.join(__dirname, "document-worker"), limits, {
    label: "document reader",
    maxHeapMb,
  });
}
