import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { sessionLockSchema } from "./schemas/wa-session-lock";
import { WaError, isWaError } from "../core/errors";
import { restoredAfterRestart } from "../core/envelope";
import { LockGrant, SessionLockManager } from "../core/session/session-lock";
import {
  attachError,
  failMessage,
  onClose,
  onInput,
  reportError,
  traceMessage,
  translate,
  reportGauges,
  runtimeIdentity,
} from "./kit/node-kit";
import { wasSkippedBy } from "./kit/pipeline-control";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";
import { chatKeyOf, sessionOf } from "./kit/session-key";
import { SharedRegistry } from "./kit/shared";
import { startStoredNode } from "./kit/store-provider";

type LockDef = NodeDef & FlowConfigOf<typeof sessionLockSchema>;

export interface LockSettings {
  mode: "acquire" | "release";
  lockName: string;
  keyProperty: string;
  ttlMs: number;
  waitMs: number;
  onTimeout: "output" | "error";
  /** Renew while held, for at most this long; undefined: no renewal. */
  renewForMs: number | undefined;
}

export function lockSettingsFromConfig(config: LockDef): LockSettings {
  const read = readSettingsBySchema(sessionLockSchema, config);
  return {
    mode: read.mode,
    lockName: read.lockName,
    keyProperty: read.key,
    ttlMs: read.ttl * 1000,
    waitMs: read.wait * 1000,
    onTimeout: read.onTimeout,
    renewForMs: read.renew ? read.maxHold * 1000 : undefined,
  };
}

const managers = new SharedRegistry<SessionLockManager>();

function isGrant(value: unknown): value is LockGrant {
  const grant = value as Partial<LockGrant> | undefined;
  return (
    typeof grant === "object" &&
    grant !== null &&
    typeof grant.chatId === "string" &&
    typeof grant.token === "number" &&
    typeof grant.owner === "string" &&
    typeof grant.acquiredAt === "number" &&
    typeof grant.expiresAt === "number"
  );
}

export default function register(RED: NodeAPI): void {
  function WaSessionLock(this: Node, config: LockDef) {
    const started = startStoredNode(RED, this, config, () => lockSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, handle: storeHandle, text: nodeText } = started;
    const managerKey = `${storeHandle.id}|${settings.lockName}`;
    const manager = managers.acquire(
      managerKey,
      node.id,
      () => new SessionLockManager({ store: storeHandle.store, clock }, { lockName: settings.lockName, instance: runtimeIdentity(RED) }),
      (m) => m.close(),
    );
    let timedOut = 0;
    let released = 0;
    if (settings.mode === "acquire") {
      reportGauges(node, () => ({ numbers: { locksHeld: manager.heldCount(), lockWaiters: manager.waitingCount() } }));
    }

    const showCounts = (force = false) =>
      status.set(() => {
        if (settings.mode === "release") {
          return { fill: "blue", shape: "dot", text: nodeText("lock.released", `${released} released`, { count: released }) };
        }
        const waiting = manager.waitingCount();
        const held = manager.heldCount();
        return {
          fill: timedOut > 0 ? "yellow" : "green",
          shape: waiting > 0 ? "ring" : "dot",
          text: nodeText("lock.counts", `${held} held · ${waiting} waiting · ${timedOut} timed out`, { held, waiting, timedOut }),
        };
      }, force);
    showCounts(true);
    // Locks are let go by release nodes elsewhere in the flow, or by their TTL: the acquiring node's counts follow.
    const offCounts = settings.mode === "acquire" ? manager.onCountsChanged(() => showCounts()) : () => undefined;

    const offExpired = manager.onExpired((grant, context) => {
      if (grant.owner !== node.id) return;
      const msg = (context as NodeMessage | undefined) ?? { payload: undefined };
      reportError(
        RED,
        node,
        status,
        msg,
        new WaError(
          "lock.expired",
          `The lock on chat ${grant.chatId} expired after ${grant.expiresAt - grant.acquiredAt} ms without being released: does every path of the flow reach a release node?`,
          {
            chatId: grant.chatId,
            ttlMs: grant.expiresAt - grant.acquiredAt,
          },
        ),
      );
    });

    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      if (settings.mode === "release") {
        const grant = (msg as { wa?: { session?: { lock?: unknown } } }).wa?.session?.lock;
        if (!isGrant(grant) && wasSkippedBy(msg, "session")) {
          // Its acquiring node was switched off: there is nothing to release.
          send(msg);
          done();
          return;
        }
        if (!isGrant(grant)) {
          throw new WaError(
            "lock.grantMissing",
            "This message holds no lock (msg.wa.session.lock): route it through an acquiring wa-session-lock first",
          );
        }
        if (restoredAfterRestart(msg)) {
          // Its lock was taken before the restart; the message's new delivery holds the chat's lock now.
          node.debug(`The lock on chat ${grant.chatId} is from before the restart: not released here`);
          send(msg);
          done();
          return;
        }
        const owning = (typeof grant.lockName === "string" ? managers.peek(`${storeHandle.id}|${grant.lockName}`) : undefined) ?? manager;
        owning
          .release(grant)
          .then((wasHeld) => {
            sessionOf(msg).lock = { ...grant, released: wasHeld };
            if (!wasHeld) {
              node.warn(
                translate(
                  RED,
                  "errors.lock.notHeld",
                  `The lock on chat ${grant.chatId} had already expired or been taken over before release`,
                  { chatId: grant.chatId },
                ),
              );
            }
            released += 1;
            traceMessage(msg, node, start, clock.now());
            send(msg);
            showCounts();
            done();
          })
          .catch((error: unknown) => failMessage(RED, status, done, error));
        return;
      }

      const chatId = chatKeyOf(RED, msg, settings.keyProperty);
      manager
        .acquire(chatId, { owner: node.id, ttlMs: settings.ttlMs, renewForMs: settings.renewForMs, context: msg }, settings.waitMs)
        .then((grant) => {
          sessionOf(msg).lock = { ...grant };
          traceMessage(msg, node, start, clock.now());
          send([msg, null]);
          showCounts();
          done();
        })
        .catch((error: unknown) => {
          if (isWaError(error) && error.code === "lock.timeout" && settings.onTimeout === "output") {
            timedOut += 1;
            attachError(RED, node, msg, error);
            traceMessage(msg, node, start, clock.now());
            send([null, msg]);
            showCounts(true);
            done();
            return;
          }
          if (isWaError(error) && error.code === "lock.timeout") timedOut += 1;
          failMessage(RED, status, done, error);
        });
      showCounts();
    });

    onClose(RED, node, async () => {
      offExpired();
      offCounts();
      status.close();
      await managers.release(managerKey, node.id);
      await storeHandle.release();
    });
  }

  RED.nodes.registerType("wa-session-lock", WaSessionLock);
}
