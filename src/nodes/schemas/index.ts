import type { SettingsSchema } from "../../core/settings/schema";
import { deadLetterSchema } from "./wa-dead-letter";
import { degradeSchema } from "./wa-degrade";
import { flowAnalyzerSchema } from "./wa-flow-analyzer";
import { intentSchema } from "./wa-intent";
import { orderingSchema } from "./wa-ordering";
import { perfMonitorSchema } from "./wa-perf-monitor";

/** Every node type's settings schema, by type: the editor's defaults and validators come from here. */
export const schemasByType: Record<string, SettingsSchema> = {
  "wa-dead-letter": deadLetterSchema,
  "wa-degrade": degradeSchema,
  "wa-flow-analyzer": flowAnalyzerSchema,
  "wa-intent": intentSchema,
  "wa-ordering": orderingSchema,
  "wa-perf-monitor": perfMonitorSchema,
};
