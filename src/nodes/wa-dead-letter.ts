import { randomUUID } from "node:crypto";
import { TimerHandle } from "../core/clock";
import { WaError, invalidSetting } from "../core/errors";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { deadLetterSchema } from "./schemas/wa-dead-letter";
import { DeadLetterEntry, DeadLetterMetrics, DeadLetterStore, summarise } from "../core/resilience/dead-letter-store";
import { MAX_STORE_VALUE_BYTES } from "../core/store/store";
import { serialiseMessage, reviveMessage } from "./kit/message-codec";
import { describeError, onClose, onInput, reportGauges, runtimeIdentity, toNodeError } from "./kit/node-kit";
import { pipelineControl } from "./kit/pipeline-control";
import { AdminRequest, AdminResponse, adminRoutes, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";
import { memoryStoreNote, startStoredNode } from "./kit/store-provider";

type DeadLetterDef = NodeDef & FlowConfigOf<typeof deadLetterSchema>;

export function deadLetterSettingsFromConfig(config: DeadLetterDef) {
  const read = readSettingsBySchema(deadLetterSchema, config);
  if (read.maxBackoffMinutes < read.backoffSeconds / 60) {
    throw invalidSetting("maxBackoffMinutes", "longestWait", `Longest wait: at least the first wait (${read.backoffSeconds} seconds)`, {
      seconds: read.backoffSeconds,
    });
  }
  return {
    name: read.dlqName,
    autoRetry: read.autoRetry,
    checkMs: read.checkSeconds * 1000,
    options: {
      namespace: read.dlqName,
      maxAttempts: read.maxAttempts,
      backoffMs: read.backoffSeconds * 1000,
      maxBackoffMs: read.maxBackoffMinutes * 60_000,
      settleMs: read.settleMinutes * 60_000,
      maxEntries: read.maxEntries,
    },
  };
}

/** What the admin endpoints and commands ask of a deployed dead-letter node. */
export interface DeadLetterControl {
  list(limit: number, offset: number): Promise<{ total: number; entries: ReturnType<typeof summarise>[]; metrics: DeadLetterMetrics }>;
  inspect(id: string): Promise<(Omit<DeadLetterEntry, "body"> & { message: unknown }) | undefined>;
  replay(id: string | "all"): Promise<number>;
  purge(id: string | "all"): Promise<number>;
}

export type WaDeadLetterNode = Node & { control?: DeadLetterControl };

const COMMANDS = ["replay", "purge", "list", "inspect", "metrics", "resolved"] as const;
type Command = (typeof COMMANDS)[number];
/** The bytes a stored entry needs beyond the message itself (error, times, ids). */
const ENTRY_OVERHEAD_BYTES = 8 * 1024;

/** Where this runtime lives; stable across its restarts, different from another instance's. */
export default function register(RED: NodeAPI): void {
  function WaDeadLetter(this: WaDeadLetterNode, config: DeadLetterDef) {
    const started = startStoredNode(RED, this, config, () => deadLetterSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, handle, text: nodeText } = started;
    const holder = runtimeIdentity(RED);
    const volatile = memoryStoreNote(RED, handle);
    const dlq = new DeadLetterStore(handle.store, clock, Math.random, () => randomUUID(), settings.options);
    let closed = false;
    let metrics: DeadLetterMetrics = { depth: 0, waiting: 0, replaying: 0, exhausted: 0, oldestAgeMs: 0 };

    const showStatus = () => {
      const oldestMinutes = Math.round(metrics.oldestAgeMs / 60_000);
      const counts = nodeText(
        "deadLetter.counts",
        `${metrics.waiting} waiting · ${metrics.replaying} replaying · ${metrics.exhausted} exhausted · oldest ${oldestMinutes} min`,
        { ...metrics, oldestMinutes },
      );
      const text = volatile ? `${counts} · ${volatile}` : counts;
      status.set(
        {
          fill: metrics.exhausted > 0 ? "red" : metrics.depth > 0 || volatile ? "yellow" : "green",
          shape: metrics.depth > 0 || volatile ? "ring" : "dot",
          text,
        },
        true,
      );
    };
    reportGauges(node, () => ({
      numbers: {
        deadLetters: metrics.depth,
        deadLettersExhausted: metrics.exhausted,
        deadLetterOldestAgeSeconds: Math.round(metrics.oldestAgeMs / 1000),
      },
    }));
    const refreshMetrics = async () => {
      metrics = await dlq.metrics();
      showStatus();
    };

    const replayOut = (entry: DeadLetterEntry, by: "automatic" | "manual") => {
      const msg = reviveMessage(entry.body) as NodeMessage & { deadLetter?: unknown; error?: unknown };
      delete msg.error;
      msg._msgid = RED.util.generateId();
      msg.deadLetter = { id: entry.id, attempts: entry.attempts, replay: by, firstFailedAt: entry.firstFailedAt, lastError: entry.error };
      node.send([msg, null]);
    };
    const replay = async (id: string | "all", by: "automatic" | "manual"): Promise<number> => {
      const ids = id === "all" ? (by === "automatic" ? await dlq.due() : (await dlq.all()).map((e) => e.id)) : [id];
      let count = 0;
      for (const entryId of ids) {
        if (closed) break;
        const entry = await dlq.claimForReplay(entryId, by, holder);
        if (!entry) continue;
        replayOut(entry, by);
        count += 1;
      }
      if (id !== "all" && count === 0 && !(await dlq.get(id)))
        throw new WaError("deadLetter.notFound", `No dead letter with the id ${id}`, { id });
      await refreshMetrics();
      return count;
    };
    const purge = async (id: string | "all"): Promise<number> => {
      const count = id === "all" ? await dlq.purge() : (await dlq.remove(id)) ? 1 : 0;
      await refreshMetrics();
      return count;
    };
    node.control = {
      list: async (limit, offset) => ({ ...(await dlq.list(limit, offset)), metrics: await dlq.metrics() }),
      inspect: async (id) => {
        const entry = await dlq.get(id);
        if (!entry) return undefined;
        const { body, ...rest } = entry;
        return { ...rest, message: JSON.parse(body) as unknown };
      },
      replay: (id) => replay(id, "manual"),
      purge,
    };

    // One housekeeping round at a time: settle old replays, send due retries, refresh the figures.
    let busy = false;
    const housekeeping = async () => {
      if (busy || closed) return;
      busy = true;
      try {
        await dlq.settle();
        if (settings.autoRetry) await replay("all", "automatic");
        else await refreshMetrics();
      } catch (error) {
        status.set({ fill: "red", shape: "ring", text: describeError(RED, error).slice(0, 60) }, true);
      } finally {
        busy = false;
      }
    };
    const timer: TimerHandle = clock.setInterval(() => void housekeeping(), settings.checkMs);
    dlq
      .requeueInterruptedReplays(holder)
      .then((requeued) => {
        if (requeued > 0)
          node.log(nodeText("deadLetter.requeued", `${requeued} replays interrupted by the restart wait again`, { count: requeued }));
        return refreshMetrics();
      })
      .catch((error: unknown) => node.warn(describeError(RED, error)));

    let inputs: Promise<unknown> = Promise.resolve();
    const report = (send: SendFunction, topic: string, payload: unknown) => send([null, { topic: `dead-letter:${topic}`, payload }]);

    const record = async (msg: NodeMessage, send: SendFunction) => {
      const carried = msg as NodeMessage & {
        error?: { message?: unknown; code?: unknown; source?: { id?: unknown; type?: unknown; name?: unknown } };
        deadLetter?: { id?: unknown };
      };
      const error = carried.error ?? {};
      const { error: _error, deadLetter: _letter, ...rest } = carried;
      const body = serialiseMessage(rest as NodeMessage);
      if (Buffer.byteLength(body) > MAX_STORE_VALUE_BYTES - ENTRY_OVERHEAD_BYTES) {
        throw new WaError("store.valueTooLarge", `The failed message is ${Buffer.byteLength(body)} bytes, over what the store keeps`, {
          key: "the failed message",
          bytes: Buffer.byteLength(body),
          max: MAX_STORE_VALUE_BYTES - ENTRY_OVERHEAD_BYTES,
        });
      }
      const chatId = (rest as { wa?: { message?: { chatId?: unknown } } }).wa?.message?.chatId;
      const source =
        error.source && typeof error.source === "object"
          ? {
              id: String(error.source.id ?? "").slice(0, 64),
              type: String(error.source.type ?? "").slice(0, 64),
              ...(error.source.name ? { name: String(error.source.name).slice(0, 100) } : {}),
            }
          : undefined;
      const entry = await dlq.record({
        ...(typeof carried.deadLetter?.id === "string" ? { id: carried.deadLetter.id } : {}),
        body,
        error: {
          message: String(error.message ?? "unknown error").slice(0, 2000),
          ...(typeof error.code === "string" ? { code: error.code.slice(0, 64) } : {}),
        },
        ...(source ? { source } : {}),
        ...(typeof chatId === "string" ? { chatId: chatId.slice(0, 256) } : {}),
      });
      if (typeof carried.deadLetter?.id !== "string") pipelineControl.completions.fail();
      if (entry.state === "exhausted") report(send, "exhausted", summarise(entry));
      await refreshMetrics();
    };

    onInput(RED, node, status, (msg, send, done) => {
      const topic =
        typeof msg.topic === "string" && msg.topic.startsWith("dead-letter:") ? msg.topic.slice("dead-letter:".length) : undefined;
      const letter = (msg as NodeMessage & { deadLetter?: { id?: unknown } }).deadLetter;
      const hasError = (msg as NodeMessage & { error?: unknown }).error !== undefined;
      const target = typeof msg.payload === "string" && msg.payload !== "" ? msg.payload.slice(0, 100) : "all";
      let run: () => Promise<void>;
      if (topic !== undefined) {
        if (!(COMMANDS as readonly string[]).includes(topic)) {
          const reason = `Unknown command dead-letter:${topic.slice(0, 40)}; use one of ${COMMANDS.map((c) => `dead-letter:${c}`).join(", ")}`;
          done(toNodeError(RED, new WaError("deadLetter.badCommand", reason, { reason })));
          return;
        }
        const command = topic as Command;
        run = async () => {
          switch (command) {
            case "replay":
              report(send, "replayed", { replayed: await replay(target, "manual") });
              break;
            case "purge":
              report(send, "purged", { purged: await purge(target) });
              break;
            case "list": {
              const options = (typeof msg.payload === "object" && msg.payload !== null ? msg.payload : {}) as {
                limit?: unknown;
                offset?: unknown;
              };
              const limit = Math.min(1000, Math.max(1, Number(options.limit) || 100));
              report(send, "list", await node.control!.list(limit, Math.max(0, Number(options.offset) || 0)));
              break;
            }
            case "inspect": {
              const entry = await node.control!.inspect(target);
              if (!entry) throw new WaError("deadLetter.notFound", `No dead letter with the id ${target}`, { id: target });
              report(send, "inspect", entry);
              break;
            }
            case "metrics":
              report(send, "metrics", await dlq.metrics());
              break;
            case "resolved":
              if (typeof letter?.id === "string") await dlq.remove(letter.id);
              await refreshMetrics();
              break;
          }
        };
      } else if (hasError) {
        run = () => record(msg, send);
      } else if (typeof letter?.id === "string") {
        // A replayed message that came through without an error: delivered.
        const id = letter.id;
        run = () => dlq.remove(id).then(refreshMetrics);
      } else {
        node.warn(
          nodeText(
            "deadLetter.nothingToDo",
            "A message without msg.error, msg.deadLetter or a dead-letter: command was ignored; wire a Catch node or an error output here",
            {},
          ),
        );
        done();
        return;
      }
      // Messages and commands apply in the order they arrived.
      const work = inputs.then(run);
      inputs = work.catch(() => undefined);
      work.then(
        () => done(),
        (error: unknown) => {
          // Not done(error): a Catch node feeding this node would see its own failure again.
          const text = describeError(RED, error);
          node.error(text);
          report(send, "refused", {
            reason: text,
            code: (error as { code?: unknown }).code,
            ...(topic === undefined ? { message: msg } : {}),
          });
          status.set({ fill: "red", shape: "ring", text: text.slice(0, 60) }, true);
          done();
        },
      );
    });

    onClose(RED, node, () => {
      closed = true;
      clock.clearInterval(timer);
      status.close();
      delete node.control;
      return handle.release();
    });
  }

  RED.nodes.registerType("wa-dead-letter", WaDeadLetter);
  registerDeadLetterEndpoints(RED);
}

/**
 * The editor's dead-letter panel and the node's button: list, inspect, replay and purge,
 * behind Node-RED's admin permissions (wa-dead-letter.read / .write).
 */
function registerDeadLetterEndpoints(RED: NodeAPI): void {
  const { admin, read, write } = adminRoutes(RED, "wa-dead-letter");
  const controlOf = (req: AdminRequest, res: AdminResponse): DeadLetterControl | undefined => {
    const node = req.params.id ? (RED.nodes.getNode(req.params.id) as WaDeadLetterNode | null) : null;
    if (!node?.control) {
      res.status(404).json({ error: "No deployed dead-letter node with this id: deploy the flow first" });
      return undefined;
    }
    return node.control;
  };
  const answer = (res: AdminResponse, work: Promise<unknown>) =>
    work.then(
      (body) => res.json(body),
      (error: unknown) =>
        res.status((error as { code?: unknown }).code === "deadLetter.notFound" ? 404 : 500).json({ error: describeError(RED, error) }),
    );
  const entryOf = (req: AdminRequest): string | "all" => {
    const entry = (typeof req.body === "object" && req.body !== null ? (req.body as { entry?: unknown }).entry : undefined) ?? "all";
    return typeof entry === "string" && /^(all|[\w.:-]{1,100})$/.test(entry) ? entry : "all";
  };

  admin.get("/wa-pipeline/dead-letters/:id/entries", read, (req: AdminRequest, res: AdminResponse) => {
    const control = controlOf(req, res);
    if (!control) return;
    const limit = Math.min(1000, Math.max(1, Number(req.query?.limit) || 100));
    answer(res, control.list(limit, Math.max(0, Number(req.query?.offset) || 0)));
  });
  admin.get("/wa-pipeline/dead-letters/:id/entries/:entry", read, (req: AdminRequest, res: AdminResponse) => {
    const control = controlOf(req, res);
    if (!control) return;
    const id = String(req.params.entry ?? "");
    answer(
      res,
      control.inspect(id).then((entry) => {
        if (!entry) throw new WaError("deadLetter.notFound", `No dead letter with the id ${id.slice(0, 100)}`, { id: id.slice(0, 100) });
        return entry;
      }),
    );
  });
  // Replay or purge one entry (body {entry: id}) or all of them.
  for (const action of ["replay", "purge"] as const) {
    admin.post(`/wa-pipeline/dead-letters/:id/${action}`, write, (req: AdminRequest, res: AdminResponse) => {
      const control = controlOf(req, res);
      if (control)
        answer(
          res,
          control[action](entryOf(req)).then((count) => ({ [action === "replay" ? "replayed" : "purged"]: count })),
        );
    });
  }
}
