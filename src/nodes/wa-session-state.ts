import { WaError } from "../core/errors";
import { SessionState, SessionStateManager } from "../core/session/session-state";
import { StatusReporter, failMessage, nodeTexts, readMessageKey, readSettings, traceMessage } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction, numberSetting, stringSetting } from "./kit/red";
import { chatKeyOf, sessionOf } from "./kit/session-key";
import { storeOrDisable } from "./kit/store-provider";
import { runtimeWorld } from "./kit/world";


export const STATE_OPERATIONS = ["get", "set", "merge", "delete", "increment"] as const;
type Operation = (typeof STATE_OPERATIONS)[number];

interface StateDef extends NodeDef {
  store: string;
  stateName: string;
  key: string;
  operation: string;
  value: string;
  path: string;
  by: string | number;
  ttl: string | number;
  maxKb: string | number;
}

export const STATE_LIMITS = { maxTtlSeconds: 365 * 86_400, maxKb: 1000 } as const;

export function stateSettingsFromConfig(config: StateDef) {
  const operation = stringSetting(config.operation, "get");
  const name = stringSetting(config.stateName, "default");
  const ttl = numberSetting(config.ttl, 86_400);
  const maxKb = numberSetting(config.maxKb, 64);
  const by = numberSetting(config.by, 1);
  const fail = (field: string, text: string) => new WaError("config.invalid", text, { field });
  if (operation !== "topic" && !(STATE_OPERATIONS as readonly string[]).includes(operation)) throw fail("operation", `Unknown operation: ${operation}`);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw fail("stateName", "State name: 1 to 64 letters, digits, '.', '_' or '-'");
  if (!(ttl > 0 && ttl <= STATE_LIMITS.maxTtlSeconds)) throw fail("ttl", `Forget after must be between 0 and ${STATE_LIMITS.maxTtlSeconds} s`);
  if (!(maxKb >= 1 && maxKb <= STATE_LIMITS.maxKb)) throw fail("maxKb", `Size limit must be between 1 and ${STATE_LIMITS.maxKb} KB`);
  if (!Number.isFinite(by)) throw fail("by", "The amount to add must be a number");
  return {
    operation: operation as Operation | "topic",
    name,
    keyProperty: stringSetting(config.key, "wa.message.chatId"),
    valueProperty: stringSetting(config.value, "payload"),
    path: stringSetting(config.path, "custom.count"),
    by,
    ttlMs: ttl * 1000,
    maxBytes: maxKb * 1024,
  };
}

export default function register(RED: NodeAPI): void {
  const nodeText = nodeTexts(RED, "wa-session-state");
  function WaSessionState(this: Node, config: StateDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const clock = runtimeWorld().clock;
    const status = new StatusReporter(node, clock);
    const settings = readSettings(RED, node, status, () => stateSettingsFromConfig(config));
    if (!settings) return;
    const handle = storeOrDisable(RED, node, status, config.store);
    if (!handle) return;
    const manager = new SessionStateManager(handle.store, clock, { name: settings.name, ttlMs: settings.ttlMs, maxBytes: settings.maxBytes });
    let handled = 0;
    // Operations on one chat apply in the order the messages arrived; chats run side by side.
    const perChat = new Map<string, Promise<unknown>>();
    const inOrder = <T>(chatId: string, work: () => Promise<T>): Promise<T> => {
      const result = (perChat.get(chatId) ?? Promise.resolve()).then(work, work);
      const settled = result.catch(() => undefined);
      perChat.set(chatId, settled);
      void settled.then(() => {
        if (perChat.get(chatId) === settled) perChat.delete(chatId);
      });
      return result;
    };
    status.set({ fill: "grey", shape: "dot", text: settings.operation === "topic" ? "msg.topic" : settings.operation }, true);

    const run = async (operation: Operation, chatId: string, msg: NodeMessage): Promise<{ state: SessionState; exists: boolean }> => {
      const value = readMessageKey(RED, msg, settings.valueProperty);
      switch (operation) {
        case "get":
          return manager.get(chatId);
        case "set":
          return { state: await manager.set(chatId, value), exists: true };
        case "merge":
          return { state: await manager.merge(chatId, value), exists: true };
        case "increment": {
          const by = typeof value === "number" ? value : settings.by;
          return { state: await manager.increment(chatId, settings.path, by), exists: true };
        }
        case "delete":
          await manager.delete(chatId);
          return manager.get(chatId);
      }
    };

    node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const start = clock.now();
      let chatId: string;
      let operation: Operation;
      try {
        chatId = chatKeyOf(RED, msg, settings.keyProperty);
        const chosen = settings.operation === "topic" ? msg.topic : settings.operation;
        if (!(STATE_OPERATIONS as readonly unknown[]).includes(chosen)) {
          const reason = `msg.topic must be one of ${STATE_OPERATIONS.join(", ")} (got ${JSON.stringify(chosen)?.slice(0, 40)})`;
          throw new WaError("state.badValue", reason, { field: "topic", reason });
        }
        operation = chosen as Operation;
      } catch (error) {
        failMessage(RED, status, done, error);
        return;
      }
      inOrder(chatId, () => run(operation, chatId, msg))
        .then(({ state, exists }) => {
          sessionOf(msg).state = { ...state, exists };
          handled += 1;
          traceMessage(msg, node, start, clock.now());
          send(msg);
          status.set(() => ({ fill: "green", shape: "dot", text: nodeText("state.handled", `${operation} · ${handled} handled`, { operation, count: handled }) }));
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      status.close();
      handle.release().then(done, done);
    });
  }

  RED.nodes.registerType("wa-session-state", WaSessionState);
}
