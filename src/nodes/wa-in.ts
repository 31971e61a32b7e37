import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { waInSchema } from "./schemas/wa-in";
import { MAX_TEXT_LENGTH, WaMessage, createEnvelope } from "../core/envelope";
import { WaError } from "../core/errors";
import { connectionRef, findClient, showClientState } from "./kit/client-ref";
import { reportError, startNode, toNodeError, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";

type WaInDef = NodeDef & FlowConfigOf<typeof waInSchema>;

export interface WaInFilter {
  includeGroups: boolean;
  /** all, text (chat messages only) or media (messages with media only). */
  types: string;
  /** Only these chats, when not empty. */
  chats: Set<string>;
}

/** Which messages a wa-in passes. */
export function acceptsMessage(message: WaMessage, options: WaInFilter): boolean {
  if (!options.includeGroups && message.isGroup) return false;
  if (options.types === "text" && message.type !== "chat") return false;
  if (options.types === "media" && !message.media) return false;
  if (options.chats.size > 0 && !options.chats.has(message.chatId)) return false;
  return true;
}

export default function register(RED: NodeAPI): void {
  function WaIn(this: Node, config: WaInDef) {
    const started = startNode(RED, this, config, () => readSettingsBySchema(waInSchema, config));
    if (!started) return;
    const { node, clock, status, settings } = started;
    const client = findClient(RED, settings.client);
    const options: WaInFilter = {
      includeGroups: settings.includeGroups,
      types: settings.types,
      chats: new Set(settings.chats.split(/[\s,]+/).filter((chat) => chat !== "")),
    };
    const { downloadMedia, events: emitEvents, maxMediaMB } = settings;
    // A chat's messages leave in arrival order even when one waits for its media download.
    const chatChains = new Map<string, Promise<void>>();
    let received = 0;
    const unsubscribe: (() => void)[] = [];
    const counter = () => (received > 0 ? `${received} received` : "");

    const transport = client?.transport;
    if (transport) {
      unsubscribe.push(
        transport.onMessage((message) => {
          if (!acceptsMessage(message, options)) return;
          received += 1;
          const now = clock.now();
          const envelope = createEnvelope(message);
          // Named, so that a flow fed by several connections answers each customer through the number they wrote to.
          envelope.message.connection = connectionRef(client!);
          const msg: NodeMessage = { payload: message.body, topic: message.chatId, wa: envelope };
          if (typeof message.body !== "string" || message.body.length > MAX_TEXT_LENGTH) {
            traceMessage(msg, node, now, now);
            // Never passed on silently: the Catch node gets it with the reason.
            reportError(
              RED,
              node,
              status,
              msg,
              new WaError("envelope.bodyTooLong", `Message body is longer than ${MAX_TEXT_LENGTH} characters`, { max: MAX_TEXT_LENGTH }),
            );
            return;
          }
          // Its own copy: several wa in nodes (and simulator loops) share the transport's descriptor.
          const media = envelope.message.media ? (envelope.message.media = { ...envelope.message.media }) : undefined;
          const emit = () => {
            traceMessage(msg, node, now, clock.now());
            node.send(msg);
            showClientState(RED, status, client, counter);
          };
          const previous = chatChains.get(message.chatId);
          if (!previous && !(downloadMedia && media?.ref)) {
            emit();
            return;
          }
          const next = (previous ?? Promise.resolve())
            .then(async () => {
              if (!downloadMedia || !media?.ref) return;
              try {
                if (!transport.downloadMedia)
                  throw new WaError("media.unavailable", `This connection cannot download media`, { ref: media.ref });
                const file = await transport.downloadMedia(media.ref, Math.floor(maxMediaMB * 1024 * 1024));
                media.data = file.data;
                media.sizeBytes = file.data.length;
                media.mimetype = file.mimetype || media.mimetype;
                if (file.filename && !media.filename) media.filename = file.filename;
              } catch (error) {
                // The message still flows (its text may matter); the reason travels with it and is logged.
                media.error = toNodeError(RED, error).message;
                node.warn(media.error);
              }
            })
            .then(emit)
            .finally(() => {
              if (chatChains.get(message.chatId) === next) chatChains.delete(message.chatId);
            });
          chatChains.set(message.chatId, next);
        }),
        transport.onStateChange(() => showClientState(RED, status, client, counter, true)),
      );
      if (emitEvents && transport.onMessageEvent) {
        unsubscribe.push(
          transport.onMessageEvent((event) => {
            if (options.chats.size > 0 && !options.chats.has(event.chatId)) return;
            node.send([null, { payload: event, topic: event.chatId, wa: { event, trace: [] } }]);
          }),
        );
      }
    }
    showClientState(RED, status, client, counter, true);

    // Intake stops the moment the flows stop (not after the drain): no new message enters a stopping pipeline.
    node.on("close", () => {
      unsubscribe.forEach((off) => off());
      status.close();
    });
  }

  RED.nodes.registerType("wa-in", WaIn);
}
