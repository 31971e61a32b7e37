import { checkCarriedChatIds, validateChatId } from "../core/envelope";
import { TimerHandle } from "../core/clock";
import { WaError } from "../core/errors";
import { Resequencer } from "../core/resilience/resequencer";
import { StatusReporter, failMessage, nodeTexts, readSettings, traceMessage } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, numberSetting, stringSetting } from "./kit/red";
import { runtimeWorld } from "./kit/world";


interface OrderingDef extends NodeDef {
  orderBy: string;
  orderProperty: string;
  chatProperty: string;
  idProperty: string;
  maxWaitMs: string | number;
  maxHeldPerChat: string | number;
  startAt: string | number;
}

const PROPERTY = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/;

export function orderingSettingsFromConfig(config: OrderingDef) {
  const fail = (field: string, text: string) => new WaError("config.invalid", text, { field });
  const orderBy = stringSetting(config.orderBy, "timestamp");
  if (orderBy !== "timestamp" && orderBy !== "sequence") throw fail("orderBy", `Order by: timestamp or sequence (got ${orderBy})`);
  const orderProperty = stringSetting(config.orderProperty, orderBy === "timestamp" ? "wa.message.timestamp" : "seq");
  const chatProperty = stringSetting(config.chatProperty, "wa.message.chatId");
  const idProperty = stringSetting(config.idProperty, "wa.message.id");
  for (const [field, value] of [["orderProperty", orderProperty], ["chatProperty", chatProperty], ["idProperty", idProperty]] as const) {
    if (!PROPERTY.test(value)) throw fail(field, `${field}: a message property such as wa.message.timestamp`);
  }
  const maxWaitMs = numberSetting(config.maxWaitMs, 2000);
  const maxHeldPerChat = numberSetting(config.maxHeldPerChat, 100);
  if (!(Number.isInteger(maxWaitMs) && maxWaitMs >= 0 && maxWaitMs <= 600_000)) throw fail("maxWaitMs", "Wait at most: 0 to 600000 ms");
  if (!(Number.isInteger(maxHeldPerChat) && maxHeldPerChat >= 1 && maxHeldPerChat <= 10_000)) throw fail("maxHeldPerChat", "Hold at most: 1 to 10000 messages per chat");
  const startAtText = config.startAt === undefined || config.startAt === null ? "" : String(config.startAt).trim();
  const startAt = startAtText === "" ? undefined : Number(startAtText);
  if (startAt !== undefined && !Number.isInteger(startAt)) throw fail("startAt", "First sequence number: a whole number, or empty");
  return { orderBy: orderBy as "timestamp" | "sequence", orderProperty, chatProperty, idProperty, maxWaitMs, maxHeldPerChat, startAt };
}

interface HeldMessage {
  msg: NodeMessage;
  send: SendFunction;
  done: DoneFunction;
  arrivedAt: number;
}

export default function register(RED: NodeAPI): void {
  const nodeText = nodeTexts(RED, "wa-ordering");
  function WaOrdering(this: Node, config: OrderingDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const settings = readSettings(RED, node, status, () => orderingSettingsFromConfig(config));
    if (!settings) return;

    const showStatus = (force = false) =>
      status.set(() => {
        const s = resequencer.stats;
        return {
          fill: resequencer.held > 0 ? "yellow" : "green",
          shape: resequencer.held > 0 ? "ring" : "dot",
          text: nodeText("ordering.counts", `${resequencer.held} held · ${s.late} late · ${s.duplicates} duplicates`, { held: resequencer.held, late: s.late, duplicates: s.duplicates }),
        };
      }, force);

    const resequencer = new Resequencer<HeldMessage>(
      { orderBy: settings.orderBy, maxWaitMs: settings.maxWaitMs, maxHeldPerChat: settings.maxHeldPerChat, rememberIds: 1000, idleForgetMs: Math.max(600_000, settings.maxWaitMs * 10) },
      {
        clock,
        release: ({ item, late, waitedMs, gapBefore }) => {
          (item.msg as NodeMessage & { ordering?: unknown }).ordering = { late, waitedMs, ...(gapBefore > 0 ? { gapBefore } : {}) };
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

    node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const read = (path: string): unknown => {
        try {
          return RED.util.getMessageProperty(msg, path);
        } catch {
          return undefined;
        }
      };
      const chat = read(settings.chatProperty);
      const order = Number(read(settings.orderProperty));
      const id = read(settings.idProperty);
      if (chat === undefined || chat === null || chat === "") {
        failMessage(RED, status, done, new WaError("key.missing", `The message has no chat in msg.${settings.chatProperty}`, { property: settings.chatProperty }));
        return;
      }
      let chatId: string;
      try {
        chatId = validateChatId(chat);
        checkCarriedChatIds(msg);
      } catch (error) {
        failMessage(RED, status, done, error);
        return;
      }
      if (!Number.isFinite(order)) {
        failMessage(RED, status, done, new WaError("key.missing", `The message has no ${settings.orderBy} in msg.${settings.orderProperty}`, { property: settings.orderProperty }));
        return;
      }
      resequencer.offer({ chatId, order, id: typeof id === "string" && id !== "" ? id.slice(0, 256) : undefined, item: { msg, send, done, arrivedAt: clock.now() } });
      showStatus();
    });

    node.on("close", (done: () => void) => {
      clock.clearInterval(sweeper);
      // Nothing is kept back when the flow stops: what was held goes out in order now.
      resequencer.flush();
      resequencer.close();
      status.close();
      done();
    });
  }

  RED.nodes.registerType("wa-ordering", WaOrdering);
}
