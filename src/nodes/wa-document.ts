import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { documentSchema } from "./schemas/wa-document";
import { WaError } from "../core/errors";
import { DocumentLimits, DocumentResult } from "../core/media/documents/limits";
import { EnginePool } from "../core/media/engine-pool";
import { DocumentJob, startDocumentThread } from "../core/media/documents/document-reader";
import { mediaOf } from "./kit/media-message";
import { serveMediaStage } from "./kit/media-stage";
import { startNode } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef } from "./kit/red";

type DocumentDef = NodeDef & FlowConfigOf<typeof documentSchema>;

const MB = 1024 * 1024;

export function documentSettingsFromConfig(config: DocumentDef) {
  const read = readSettingsBySchema(documentSchema, config);
  const limits: DocumentLimits = {
    maxBytes: Math.round(read.maxMegabytes * MB),
    maxUnpackedBytes: Math.round(read.maxUnpackedMegabytes * MB),
    maxPages: read.maxPages,
    maxRows: read.maxRows,
    maxChars: read.maxChars,
  };
  return { limits, timeoutMs: read.timeoutSeconds * 1000, poolSize: read.poolSize, useAsText: read.useAsText };
}

export default function register(RED: NodeAPI): void {
  function WaDocument(this: Node, config: DocumentDef) {
    const started = startNode(RED, this, config, () => documentSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    // Heap for the thread: enough for the unpacked parts as strings, bounded so a hostile file stops there.
    const heapMb = Math.max(256, Math.ceil((settings.limits.maxUnpackedBytes * 4) / MB));
    const pool = new EnginePool<DocumentJob, DocumentResult>(
      () => startDocumentThread(settings.limits, heapMb),
      { label: "Document reading", size: settings.poolSize, timeoutMs: settings.timeoutMs, startTimeoutMs: 60_000, maxWaiting: 100 },
      clock,
    );
    status.set({ fill: "grey", shape: "dot", text: nodeText("document.idle", "ready (PDF, DOCX, XLSX, CSV, text)", {}) }, true);
    serveMediaStage(RED, node, status, clock, pool, {
      key: "document",
      prepare(msg) {
        const media = mediaOf(msg);
        if (!media || media.data.length === 0)
          throw new WaError("media.unreadable", "The message carries no document (msg.wa.message.media.data or a Buffer in msg.payload)", {
            reason: "no document",
          });
        if (media.data.length > settings.limits.maxBytes)
          throw new WaError("media.tooLarge", `The media is ${media.data.length} bytes; the limit is ${settings.limits.maxBytes}`, {
            size: media.data.length,
            max: settings.limits.maxBytes,
          });
        return { data: media.data, name: media.filename, mimetype: media.mimetype };
      },
      present(result, job, msg) {
        const message = (msg as { wa?: { message?: { text?: unknown } } }).wa?.message;
        if (settings.useAsText && message && !message.text) message.text = result.text;
        if (result.truncated)
          node.warn(
            nodeText("document.truncated", `${job.name ?? "A document"} was read in part: ${result.notes.join("; ")}`, {
              name: job.name ?? "A document",
              notes: result.notes.join("; "),
            }),
          );
        const { engineMs, queuedMs, ...document } = result;
        return { ...document, name: job.name, bytes: job.data.length, ms: Math.round(engineMs), waitedMs: Math.round(queuedMs) };
      },
    });
  }

  RED.nodes.registerType("wa-document", WaDocument);
}
