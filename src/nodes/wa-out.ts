import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { waOutSchema } from "./schemas/wa-out";
import { SentReceipt } from "../core/envelope";
import { WaError } from "../core/errors";
import { connectionRef, findClient, sendingClient, showClientState } from "./kit/client-ref";
import { disableNode, failMessage, onClose, onInput, readMessageKey, startNode, traceMessage, userDirOf } from "./kit/node-kit";
import { MediaSourceRules, loadMediaToSend, parseFileFolders } from "../core/transport/outgoing-media";
import { AddressPolicy, parseAllowList } from "../core/transport/address-policy";
import { readOutgoingContent } from "../core/transport/outgoing-content";
import { sendContentThrough } from "../core/transport/transport";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";

type WaOutDef = NodeDef & FlowConfigOf<typeof waOutSchema>;

interface OutMessage extends NodeMessage {
  wa?: { message?: { id?: unknown }; sent?: SentReceipt & { reaction?: string }; trace?: [] };
  media?: unknown;
  reaction?: unknown;
}

export default function register(RED: NodeAPI): void {
  function WaOut(this: Node, config: WaOutDef) {
    const started = startNode(RED, this, config, () => readSettingsBySchema(waOutSchema, config));
    if (!started) return;
    const { node, clock, status, settings } = started;
    const client = findClient(RED, settings.client);
    const { chat: chatProperty, quote, maxMediaMB } = settings;
    const userDir = userDirOf(RED);
    let sourceRules: MediaSourceRules;
    try {
      sourceRules = {
        maxBytes: Math.floor(maxMediaMB * 1024 * 1024),
        userDir,
        fileFolders: parseFileFolders(settings.fileFolders),
        addresses: new AddressPolicy(parseAllowList(settings.privateHosts)),
        urlTimeoutMs: 30_000,
      };
    } catch (error) {
      disableNode(RED, node, status, error);
      return;
    }
    const chatChains = new Map<string, Promise<void>>();
    let sent = 0;
    // Short, so that the status does not run under the next node of a flow.
    const counter = () => (sent > 0 ? `${sent} sent` : "");
    const unsubscribe = client?.transport?.onStateChange(() => showClientState(RED, status, client, counter, true));
    showClientState(RED, status, client, counter, true);

    onInput(RED, node, status, (raw, send, done) => {
      const msg = raw as OutMessage;
      const start = clock.now();
      const through = sendingClient(RED, client, msg, settings.via);
      const transport = through?.transport;
      if (!transport) {
        throw new WaError("transport.notReady", through?.failure ?? "No WhatsApp connection is configured for this node", {
          state: "none",
          stateTerm: "state.none",
        });
      }
      const chatId = readMessageKey(RED, msg, chatProperty) as string;
      const payload = msg.payload;
      const text = typeof payload === "number" || typeof payload === "boolean" ? String(payload) : payload;
      const incomingId = typeof msg.wa?.message?.id === "string" ? msg.wa.message.id : undefined;
      const quotedId = quote ? incomingId : undefined;
      let sendOne: () => Promise<SentReceipt & { reaction?: string }>;
      const content = msg.reaction === undefined ? readOutgoingContent(msg as unknown as Record<string, unknown>) : undefined;
      if (content) {
        sendOne = () => sendContentThrough(transport, chatId, content, quotedId);
      } else if (msg.reaction !== undefined) {
        // A reaction goes to the message being answered; "" takes a reaction back.
        const emoji = msg.reaction;
        sendOne = async () => {
          if (typeof emoji !== "string" || [...emoji].length > 8)
            throw new WaError("transport.notText", "msg.reaction must be an emoji (or an empty string to take a reaction back)");
          if (!incomingId)
            throw new WaError("transport.invalidTarget", "A reaction needs the message to react to in msg.wa.message.id", {
              chatId: String(chatId),
            });
          if (!transport.react)
            throw new WaError("transport.sendFailed", "This connection cannot send reactions", { reason: transport.kind });
          await transport.react(chatId, incomingId, emoji);
          return { id: incomingId, chatId, sentAt: clock.now(), transport: transport.kind, reaction: emoji };
        };
      } else if (msg.media !== undefined && msg.media !== null) {
        sendOne = async () => {
          if (!transport.sendMedia)
            throw new WaError("transport.sendFailed", "This connection cannot send media", { reason: transport.kind });
          const media = await loadMediaToSend(msg.media, sourceRules);
          const caption = typeof text === "string" && text.trim() !== "" ? text : undefined;
          return transport.sendMedia({ chatId, ...media, ...(caption ? { caption } : {}), ...(quotedId ? { quotedId } : {}) });
        };
      } else {
        sendOne = () => transport.sendText({ chatId, text: text as string, quotedId });
      }
      // One chat's sends go out in the order they came in, even when a file takes a while to read.
      const chain = through === client ? chatId : `${through!.id}\u0000${chatId}`;
      const sending = (chatChains.get(chain) ?? Promise.resolve()).then(sendOne);
      const settled = sending.then(
        () => undefined,
        () => undefined,
      );
      chatChains.set(chain, settled);
      void settled.then(() => {
        if (chatChains.get(chain) === settled) chatChains.delete(chain);
      });
      sending
        .then((receipt) => {
          if (typeof msg.wa !== "object" || msg.wa === null) msg.wa = { trace: [] } as OutMessage["wa"];
          msg.wa!.sent = { ...receipt, connection: connectionRef(through!) };
          sent += 1;
          traceMessage(msg, node, start, clock.now());
          send(msg);
          showClientState(RED, status, client, counter);
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    onClose(RED, node, () => {
      unsubscribe?.();
      status.close();
    });
  }

  RED.nodes.registerType("wa-out", WaOut);
}
