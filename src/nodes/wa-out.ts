import { SentReceipt } from "../core/envelope";
import { WaError } from "../core/errors";
import { findClient, showClientState } from "./lib/client-ref";
import { StatusReporter, failMessage, readMessageKey, traceMessage, truncate } from "./lib/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, booleanSetting, stringSetting } from "./lib/red";
import { runtimeWorld } from "./lib/world";

interface WaOutDef extends NodeDef {
  client: string;
  chat: string;
  quote: boolean | string;
}

interface OutMessage extends NodeMessage {
  wa?: { message?: { id?: unknown }; sent?: SentReceipt; trace?: [] };
}

export default function register(RED: NodeAPI): void {
  function WaOut(this: Node, config: WaOutDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const client = findClient(RED, config.client);
    const chatProperty = stringSetting(config.chat, "wa.message.chatId");
    const quote = booleanSetting(config.quote, false);
    let sent = 0;
    let lastChat = "";
    const counter = () => (sent > 0 ? `${sent} sent · last ${truncate(lastChat, 24)}` : "");
    const unsubscribe = client?.transport?.onStateChange(() => showClientState(RED, status, client, counter, true));
    showClientState(RED, status, client, counter, true);

    node.on("input", (raw: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const msg = raw as OutMessage;
      const start = clock.now();
      const transport = client?.transport;
      if (!transport) {
        failMessage(RED, status, done, new WaError("transport.notReady", client?.failure ?? "No WhatsApp connection is configured for this node", { state: "none" }));
        return;
      }
      const chatId = readMessageKey(RED, msg, chatProperty);
      const payload = msg.payload;
      const text = typeof payload === "number" || typeof payload === "boolean" ? String(payload) : payload;
      const quotedId = quote && typeof msg.wa?.message?.id === "string" ? msg.wa.message.id : undefined;
      transport
        .sendText({ chatId: chatId as string, text: text as string, quotedId })
        .then((receipt) => {
          if (typeof msg.wa !== "object" || msg.wa === null) msg.wa = { trace: [] } as OutMessage["wa"];
          msg.wa!.sent = receipt;
          sent += 1;
          lastChat = receipt.chatId;
          traceMessage(msg, node, start, clock.now());
          send(msg);
          showClientState(RED, status, client, counter);
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    node.on("close", (done: () => void) => {
      unsubscribe?.();
      status.close();
      done();
    });
  }

  RED.nodes.registerType("wa-out", WaOut);
}
