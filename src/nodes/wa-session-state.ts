import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { sessionStateSchema } from "./schemas/wa-session-state";
import { WaError } from "../core/errors";
import { SessionState, SessionStateManager } from "../core/session/session-state";
import { failMessage, onInput, readMessageKey, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";
import { chatKeyOf, sessionOf } from "./kit/session-key";
import { releaseOnClose, startStoredNode } from "./kit/store-provider";

export const STATE_OPERATIONS = ["get", "set", "merge", "delete", "increment"] as const;
type Operation = (typeof STATE_OPERATIONS)[number];

type StateDef = NodeDef & FlowConfigOf<typeof sessionStateSchema>;

export function stateSettingsFromConfig(config: StateDef) {
  const read = readSettingsBySchema(sessionStateSchema, config);
  return {
    operation: read.operation,
    name: read.stateName,
    keyProperty: read.key,
    valueProperty: read.value,
    path: read.path,
    by: read.by,
    ttlMs: read.ttl * 1000,
    maxBytes: read.maxKb * 1024,
  };
}

export default function register(RED: NodeAPI): void {
  function WaSessionState(this: Node, config: StateDef) {
    const started = startStoredNode(RED, this, config, () => stateSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, handle, text: nodeText } = started;
    const manager = new SessionStateManager(handle.store, clock, {
      name: settings.name,
      ttlMs: settings.ttlMs,
      maxBytes: settings.maxBytes,
    });
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

    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      const chatId = chatKeyOf(RED, msg, settings.keyProperty);
      const chosen = settings.operation === "topic" ? msg.topic : settings.operation;
      if (!(STATE_OPERATIONS as readonly unknown[]).includes(chosen)) {
        const reason = `msg.topic must be one of ${STATE_OPERATIONS.join(", ")} (got ${JSON.stringify(chosen)?.slice(0, 40)})`;
        throw new WaError("state.badValue", reason, { field: "topic", reason });
      }
      const operation = chosen as Operation;
      inOrder(chatId, () => run(operation, chatId, msg))
        .then(({ state, exists }) => {
          sessionOf(msg).state = { ...state, exists };
          handled += 1;
          traceMessage(msg, node, start, clock.now());
          send(msg);
          status.ok(() => nodeText("state.handled", `${operation} · ${handled} handled`, { operation, count: handled }));
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    releaseOnClose(RED, { node, status, handle });
  }

  RED.nodes.registerType("wa-session-state", WaSessionState);
}
