import type { SettingsSchema } from "../../core/settings/schema";
import { batchSendSchema } from "./wa-batch-send";
import { clientHealthSchema } from "./wa-client-health";
import { clientSchema } from "./wa-client";
import { deadLetterSchema } from "./wa-dead-letter";
import { dedupeSchema } from "./wa-dedupe";
import { degradeSchema } from "./wa-degrade";
import { documentSchema } from "./wa-document";
import { entitiesSchema } from "./wa-entities";
import { flowAnalyzerSchema } from "./wa-flow-analyzer";
import { gallerySchema } from "./wa-gallery";
import { healthScoreSchema } from "./wa-health-score";
import { waInSchema } from "./wa-in";
import { intentSchema } from "./wa-intent";
import { messageQueueSchema } from "./wa-message-queue";
import { ocrSchema } from "./wa-ocr";
import { orderingSchema } from "./wa-ordering";
import { waOutSchema } from "./wa-out";
import { parallelSchema } from "./wa-parallel";
import { perfMonitorSchema } from "./wa-perf-monitor";
import { sentimentSchema } from "./wa-sentiment";
import { sessionLockSchema } from "./wa-session-lock";
import { sessionStateSchema } from "./wa-session-state";
import { sheetsReadSchema } from "./wa-sheets-read";
import { sheetsWriteSchema } from "./wa-sheets-write";
import { sheetsSchema } from "./wa-sheets";
import { storeSchema } from "./wa-store";
import { threadSchema } from "./wa-thread";
import { transcribeSchema } from "./wa-transcribe";

/** Every node type's settings schema, by type: the editor's defaults and validators come from here. */
export const schemasByType: Record<string, SettingsSchema> = {
  "wa-batch-send": batchSendSchema,
  "wa-client-health": clientHealthSchema,
  "wa-client": clientSchema,
  "wa-dead-letter": deadLetterSchema,
  "wa-dedupe": dedupeSchema,
  "wa-degrade": degradeSchema,
  "wa-document": documentSchema,
  "wa-entities": entitiesSchema,
  "wa-flow-analyzer": flowAnalyzerSchema,
  "wa-gallery": gallerySchema,
  "wa-health-score": healthScoreSchema,
  "wa-in": waInSchema,
  "wa-intent": intentSchema,
  "wa-message-queue": messageQueueSchema,
  "wa-ocr": ocrSchema,
  "wa-ordering": orderingSchema,
  "wa-out": waOutSchema,
  "wa-parallel": parallelSchema,
  "wa-perf-monitor": perfMonitorSchema,
  "wa-sentiment": sentimentSchema,
  "wa-session-lock": sessionLockSchema,
  "wa-session-state": sessionStateSchema,
  "wa-sheets-read": sheetsReadSchema,
  "wa-sheets-write": sheetsWriteSchema,
  "wa-sheets": sheetsSchema,
  "wa-store": storeSchema,
  "wa-thread": threadSchema,
  "wa-transcribe": transcribeSchema,
};
