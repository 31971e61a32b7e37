import { checkCarriedChatIds, validateChatId, writeEnvelopePart } from "../core/envelope";
import { TimerHandle } from "../core/clock";
import { WaError } from "../core/errors";
import { Resequencer } from "../core/resilience/resequencer";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { orderingSchema } from "./schemas/wa-ordering";
import { onClose, onInput, readMessageKey, startNode, traceMessage } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";

type OrderingDef = NodeDef & FlowConfigOf<typeof orderingSchema>;

export function orderingSettingsFromConfig(config: OrderingDef) {
  const { orderBy, chatProperty, idProperty, maxWaitMs, maxHeldPerChat, startAt, ...read } = readSettingsBySchema(orderingSchema, config);
  // Sequence numbers have their own usual property when none is given.
  const orderProperty =
    orderBy === "sequence" && (config.orderProperty === undefined || config.orderProperty === "") ? "seq" : read.orderProperty;
  return { orderBy, orderProperty, chatProperty, idProperty, maxWaitMs, maxHeldPerChat, startAt };
}

interface HeldMessage {
  msg: NodeMessage;
  send: SendFunction;
  done: DoneFunction;
  arrivedAt: number;
}

export default function register(RED: NodeAPI): void {
  function WaOrdering(this: Node, config: OrderingDef) {
    const started = startNode(RED, this, config, () => orderingSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;

    const showStatus = (force = false) =>
      status.set(() => {
        const s = resequencer.stats;
        return {
          fill: resequencer.held > 0 ? "yellow" : "green",
          shape: resequencer.held > 0 ? "ring" : "dot",
          text: nodeText("ordering.counts", `${resequencer.held} held · ${s.late} late · ${s.duplicates} duplicates`, {
            held: resequencer.held,
            late: s.late,
            duplicates: s.duplicates,
          }),
        };
      }, force);

    const resequencer = new Resequencer<HeldMessage>(
      {
        orderBy: settings.orderBy,
        maxWaitMs: settings.maxWaitMs,
        maxHeldPerChat: settings.maxHeldPerChat,
        rememberIds: 1000,
        idleForgetMs: Math.max(600_000, settings.maxWaitMs * 10),
      },
      {
        clock,
        release: ({ item, late, waitedMs, gapBefore }) => {
          writeEnvelopePart(item.msg, "resilience", "ordering", { late, waitedMs, ...(gapBefore > 0 ? { gapBefore } : {}) });
          traceMessage(item.msg, node, item.arrivedAt, clock.now());
          item.send(late ? [null, item.msg] : [item.msg, null]);
          item.done();
          showStatus();
        },
        duplicate: (item, chatId, id) => {
          node.debug(`exact duplicate ${id} in chat ${chatId} dropped`);
          item.done();
          showStatus();
        },
      },
      settings.startAt,
    );
    const sweeper: TimerHandle = clock.setInterval(() => resequencer.sweep(), 60_000);
    showStatus(true);

    onInput(RED, node, status, (msg, send, done) => {
      const read = (path: string): unknown => readMessageKey(RED, msg, path);
      const chat = read(settings.chatProperty);
      const order = Number(read(settings.orderProperty));
      const id = read(settings.idProperty);
      if (chat === undefined || chat === null || chat === "") {
        throw new WaError("key.missing", `The message has no chat in msg.${settings.chatProperty}`, { property: settings.chatProperty });
      }
      const chatId = validateChatId(chat);
      checkCarriedChatIds(msg);
      if (!Number.isFinite(order)) {
        throw new WaError("key.missing", `The message has no ${settings.orderBy} in msg.${settings.orderProperty}`, {
          property: settings.orderProperty,
        });
      }
      resequencer.offer({
        chatId,
        order,
        id: typeof id === "string" && id !== "" ? id.slice(0, 256) : undefined,
        item: { msg, send, done, arrivedAt: clock.now() },
      });
      showStatus();
    });

    onClose(RED, node, () => {
      clock.clearInterval(sweeper);
      // Nothing is kept back when the flow stops: what was held goes out in order now.
      resequencer.flush();
      resequencer.close();
      status.close();
    });
  }

  RED.nodes.registerType("wa-ordering", WaOrdering);
}
