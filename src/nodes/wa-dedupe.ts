import { checkCarriedChatIds, writeEnvelopePart } from "../core/envelope";
import { WaError, invalidSetting } from "../core/errors";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { MESSAGE_PROPERTY } from "./schemas/common";
import { dedupeSchema } from "./schemas/wa-dedupe";
import { Deduplicator } from "../core/resilience/deduplicator";
import { disableNode, failMessage, onInput, readMessageKey, startNode, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";
import { releaseOnClose, storeOrDisable } from "./kit/store-provider";

type DedupeDef = NodeDef & FlowConfigOf<typeof dedupeSchema>;

export const MAX_DEDUPE_KEY_CHARS = 10_000;

export function dedupeSettingsFromConfig(config: DedupeDef) {
  const read = readSettingsBySchema(dedupeSchema, config);
  if (read.keyType === "msg" && !new RegExp(`^(?:${MESSAGE_PROPERTY.pattern})$`).test(read.key)) {
    throw invalidSetting("key", "dedupeKeyProperty", `Key: ${MESSAGE_PROPERTY.expects}`);
  }
  return { name: read.dedupeName, keyType: read.keyType, key: read.key, ttlMs: read.ttlHours * 3_600_000, action: read.action };
}

export default function register(RED: NodeAPI): void {
  function WaDedupe(this: Node, config: DedupeDef) {
    const started = startNode(RED, this, config, () => dedupeSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    let expression: ReturnType<NodeAPI["util"]["prepareJSONataExpression"]> | undefined;
    if (settings.keyType === "jsonata") {
      try {
        expression = RED.util.prepareJSONataExpression(settings.key, node);
      } catch (error) {
        disableNode(
          RED,
          node,
          status,
          invalidSetting("key", "jsonata", `Key: the JSONata expression does not parse (${(error as Error).message})`, {
            reason: (error as Error).message,
          }),
        );
        return;
      }
    }
    const handle = storeOrDisable(RED, node, status, config.store);
    if (!handle) return;
    const dedupe = new Deduplicator(handle.store, clock, settings.name, settings.ttlMs);
    const counts = { first: 0, duplicates: 0, forgotten: 0 };
    status.set({ fill: "grey", shape: "dot", text: settings.action === "forget" ? "forget" : `${handle.backend}` }, true);

    const keyOf = (msg: NodeMessage): Promise<unknown> => {
      if (!expression) {
        return Promise.resolve(readMessageKey(RED, msg, settings.key));
      }
      const prepared = expression;
      return new Promise((resolve, reject) =>
        RED.util.evaluateJSONataExpression(prepared, msg, (error, value) =>
          error
            ? reject(
                new WaError("key.invalid", `msg.${settings.key} cannot be used as a key: the expression failed (${error.message})`, {
                  property: settings.key,
                  reason: `the expression failed (${error.message})`,
                }),
              )
            : resolve(value),
        ),
      );
    };

    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      Promise.resolve()
        .then(() => checkCarriedChatIds(msg))
        .then(() => keyOf(msg))
        .then(async (raw) => {
          if (raw === undefined || raw === null || raw === "") {
            throw new WaError(
              "key.missing",
              `The message has no idempotency key (${settings.keyType === "msg" ? `msg.${settings.key}` : settings.key})`,
              { property: settings.key },
            );
          }
          const key = typeof raw === "string" ? raw : JSON.stringify(raw);
          if (key.length > MAX_DEDUPE_KEY_CHARS)
            throw new WaError(
              "key.invalid",
              `msg.${settings.key} cannot be used as a key: it is longer than ${MAX_DEDUPE_KEY_CHARS} characters`,
              { property: settings.key, reason: `it is longer than ${MAX_DEDUPE_KEY_CHARS} characters` },
            );
          if (settings.action === "forget") {
            const forgotten = await dedupe.forget(key);
            counts.forgotten += forgotten ? 1 : 0;
            writeEnvelopePart(msg, "resilience", "dedupe", { key, forgotten });
            traceMessage(msg, node, start, clock.now());
            send([msg, null]);
          } else {
            const verdict = await dedupe.claim(key);
            writeEnvelopePart(msg, "resilience", "dedupe", { key, first: verdict.first, firstSeenAt: verdict.firstSeenAt });
            if (verdict.first) counts.first += 1;
            else counts.duplicates += 1;
            traceMessage(msg, node, start, clock.now());
            send(verdict.first ? [msg, null] : [null, msg]);
          }
          status.ok(() =>
            settings.action === "forget"
              ? nodeText("dedupe.forgotten", `${counts.forgotten} forgotten`, { forgotten: counts.forgotten })
              : nodeText("dedupe.counts", `${counts.first} new · ${counts.duplicates} duplicates`, {
                  first: counts.first,
                  duplicates: counts.duplicates,
                }),
          );
          done();
        })
        .catch((error: unknown) => failMessage(RED, status, done, error));
    });

    releaseOnClose(RED, { node, status, handle });
  }

  RED.nodes.registerType("wa-dedupe", WaDedupe);
}
