import { MAX_TEXT_LENGTH, WaMessage, createEnvelope } from "../core/envelope";
import { WaError } from "../core/errors";
import { findClient, showClientState } from "./lib/client-ref";
import { StatusReporter, reportError, traceMessage } from "./lib/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage, booleanSetting, stringSetting } from "./lib/red";
import { runtimeWorld } from "./lib/world";

interface WaInDef extends NodeDef {
  client: string;
  includeGroups: boolean | string;
  types: string;
}

/** Which message types a wa-in passes: every type, or text only. */
export function acceptsMessage(message: WaMessage, options: { includeGroups: boolean; types: string }): boolean {
  if (!options.includeGroups && message.isGroup) return false;
  if (options.types === "text" && message.type !== "chat") return false;
  return true;
}

export default function register(RED: NodeAPI): void {
  function WaIn(this: Node, config: WaInDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const client = findClient(RED, config.client);
    const options = { includeGroups: booleanSetting(config.includeGroups, true), types: stringSetting(config.types, "all") };
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
          const msg: NodeMessage = { payload: message.body, topic: message.chatId, wa: envelope };
          traceMessage(msg, node, now, now);
          if (typeof message.body !== "string" || message.body.length > MAX_TEXT_LENGTH) {
            // Never passed on silently: the Catch node gets it with the reason.
            reportError(RED, node, status, msg, new WaError("envelope.bodyTooLong", `Message body is longer than ${MAX_TEXT_LENGTH} characters`, { max: MAX_TEXT_LENGTH }));
            return;
          }
          node.send(msg);
          showClientState(RED, status, client, counter);
        }),
        transport.onStateChange(() => showClientState(RED, status, client, counter, true)),
      );
    }
    showClientState(RED, status, client, counter, true);

    node.on("close", (done: () => void) => {
      unsubscribe.forEach((off) => off());
      status.close();
      done();
    });
  }

  RED.nodes.registerType("wa-in", WaIn);
}
