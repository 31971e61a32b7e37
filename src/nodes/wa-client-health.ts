import { Clock, TimerHandle } from "../core/clock";
import { ClientHealthMonitor, ClientHealthSnapshot, HealthLevel } from "../core/session/client-health";
import { DeafDetector, DeafReading } from "../core/session/deaf-detector";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { WaTransport } from "../core/transport/transport";
import { clientHealthSchema } from "./schemas/wa-client-health";
import { findClient } from "./kit/client-ref";
import { onInput, reportGauges } from "./kit/node-kit";
import { releaseOnClose, startStoredNode } from "./kit/store-provider";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";

type HealthDef = NodeDef & FlowConfigOf<typeof clientHealthSchema>;

/** How often a silence is judged; the report interval can be much longer. */
const DEAF_CHECK_MS = 60_000;
/** How often the learned traffic is written to the store (and once more on close). */
const SAVE_EVERY_MS = 5 * 60_000;

export function clientHealthSettings(config: HealthDef) {
  const read = readSettingsBySchema(clientHealthSchema, config);
  return {
    intervalMs: read.interval * 1000,
    options: { silenceWarnMs: read.silenceWarn * 60_000, failureRateWarn: read.failureRate / 100, windowMs: read.window * 60_000 },
    deaf: read.deafCheck
      ? {
          detector: { floorMs: read.deafFloor * 60_000, unlikely: 1 / read.deafOdds, minLearnedHours: read.deafLearn },
          probeTimeoutMs: read.probeTimeout * 1000,
          reconnect: read.deafReconnect,
        }
      : undefined,
  };
}

const readings = new Map<string, () => ClientHealthSnapshot>();

/** The latest reading of a wa-client-health node, for the health score and the degradation strategy. */
export function clientHealthReading(nodeId: string): ClientHealthSnapshot | undefined {
  return readings.get(nodeId)?.();
}

const FILL: Record<HealthLevel, "green" | "yellow" | "red"> = { healthy: "green", degraded: "yellow", down: "red" };

/** The store key of a connection's learned traffic: every health node watching it shares what it learned. */
export function trafficKey(clientId: string): string {
  return `wa:client-health:traffic:${clientId}`;
}

/** A probe that gets its own deadline, whatever the transport does with its timeout. */
async function probeWithin(clock: Clock, transport: WaTransport & { probe(timeoutMs: number): Promise<void> }, timeoutMs: number) {
  let timer: TimerHandle | undefined;
  try {
    await Promise.race([
      transport.probe(timeoutMs),
      new Promise<never>((_resolve, reject) => {
        timer = clock.setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 1000);
      }),
    ]);
  } finally {
    clock.clearTimeout(timer);
  }
}

export default function register(RED: NodeAPI): void {
  function WaClientHealth(this: Node, config: HealthDef) {
    const started = startStoredNode(RED, this, config, () => clientHealthSettings(config));
    if (!started) return;
    const { node, clock, status, settings, handle, text: nodeText } = started;
    const client = findClient(RED, config.client);
    const detector = settings.deaf ? new DeafDetector(clock, settings.deaf.detector) : undefined;
    const monitor = new ClientHealthMonitor(clock, settings.options, detector);
    const off: (() => void)[] = [];
    const timers: TimerHandle[] = [];
    const clientName = client?.name || client?.id || "connection";
    const clientId = typeof config.client === "string" ? config.client : "";
    let lastKey = "";
    let closed = false;
    let silenceWarned = false;

    const report = (send: (msg: NodeMessage) => void, always: boolean) => {
      const snapshot = client?.transport
        ? monitor.snapshot()
        : { ...monitor.snapshot(), level: "down" as const, reason: client?.failure ?? "no connection configured" };
      const key = `${snapshot.level}|${snapshot.state}|${snapshot.deaf?.phase ?? ""}`;
      if (!always && key === lastKey) return;
      lastKey = key;
      send({ topic: "wa-health", payload: snapshot });
      status.set(
        { fill: FILL[snapshot.level], shape: "dot", text: nodeText(`health.${snapshot.level}`, snapshot.level) + ` · ${snapshot.reason}` },
        true,
      );
    };
    const reportChange = () => report((msg) => node.send(msg), false);
    readings.set(node.id, () => monitor.snapshot());
    reportGauges(node, () => {
      const snapshot = monitor.snapshot();
      return {
        states: {
          connection: client?.transport ? snapshot.state : "not configured",
          health: client?.transport ? snapshot.level : "down",
          ...(snapshot.deaf ? { deaf: snapshot.deaf.phase } : {}),
        },
        ...(snapshot.deaf ? { counters: { deafEpisodes: snapshot.deaf.deafEpisodes } } : {}),
      };
    });

    const transport = client?.transport;
    if (transport) {
      monitor.observeState(transport.state());
      off.push(
        transport.onStateChange((state, detail) => {
          monitor.observeState(state, detail);
          reportChange();
        }),
        transport.onMessage((message) => {
          const before = detector?.reading().phase;
          monitor.observeIncoming(message.chatId);
          silenceWarned = false;
          if (before === "suspect" || before === "deaf") reportChange();
        }),
        transport.onSent(() => monitor.observeSend(true)),
        transport.onSendFailed(() => {
          monitor.observeSend(false);
          reportChange();
        }),
      );
    }

    const describeSilence = (reading: DeafReading) => ({
      client: clientName,
      minutes: Math.round((reading.silenceMs ?? 0) / 60_000),
      expected: reading.expectedArrivals.toFixed(1),
    });

    let probing = false;
    const checkDeaf = async () => {
      if (!detector || !transport || !settings.deaf || probing || !detector.shouldProbe()) return;
      const reading = detector.reading();
      if (!transport.probe) {
        if (silenceWarned) return;
        silenceWarned = true;
        const about = describeSilence(reading);
        node.warn(
          nodeText(
            "wa-client-health.deaf.noProbe",
            `${about.client}: nothing received for ${about.minutes} min where about ${about.expected} chats would usually have written; this kind of connection cannot be probed: check that WhatsApp still delivers to it (for the Cloud API, the app's webhook subscription)`,
            about,
          ),
        );
        reportChange();
        return;
      }
      probing = true;
      detector.probeStarted();
      reportChange();
      try {
        await probeWithin(clock, transport as WaTransport & { probe(timeoutMs: number): Promise<void> }, settings.deaf.probeTimeoutMs);
        if (closed) return;
        detector.probePassed();
        reportChange();
      } catch (error) {
        if (closed) return;
        const reason = (error instanceof Error ? error.message : String(error)).slice(0, 200);
        detector.probeFailed(reason);
        const about = { ...describeSilence(reading), reason };
        node.warn(
          nodeText(
            "wa-client-health.deaf.found",
            `${about.client}: nothing received for ${about.minutes} min where about ${about.expected} chats would usually have written, and the connection did not answer a probe (${reason})`,
            about,
          ),
        );
        report((msg) => node.send(msg), true);
        if (settings.deaf.reconnect && transport.reconnect) {
          node.warn(
            nodeText("wa-client-health.deaf.reconnecting", `${clientName}: reconnecting after a deaf session`, { client: clientName }),
          );
          await transport.reconnect().catch((reconnectError: unknown) => node.error(reconnectError));
        } else {
          node.warn(
            nodeText(
              "wa-client-health.deaf.noReconnect",
              `${clientName}: reconnect it by hand (Reconnect is off, or this kind of connection cannot)`,
              { client: clientName },
            ),
          );
        }
      } finally {
        probing = false;
      }
    };

    const saveTraffic = async () => {
      if (!detector || !clientId) return;
      await handle.store
        .set(trafficKey(clientId), JSON.stringify(detector.profile.toJson()))
        .catch((error: unknown) => node.debug(String(error)));
    };
    if (detector && clientId) {
      handle.store
        .get(trafficKey(clientId))
        .then((saved) => {
          if (saved !== undefined && !closed && !detector.profile.merge(JSON.parse(saved) as unknown))
            throw new Error("not a traffic profile");
        })
        .catch((error: unknown) =>
          node.warn(
            nodeText("wa-client-health.deaf.loadFailed", "learned traffic not read", {
              reason: error instanceof Error ? error.message : String(error),
            }),
          ),
        );
      timers.push(
        clock.setInterval(() => void checkDeaf(), DEAF_CHECK_MS),
        clock.setInterval(() => void saveTraffic(), SAVE_EVERY_MS),
      );
    }

    report((msg) => node.send(msg), true);
    timers.push(clock.setInterval(() => report((msg) => node.send(msg), true), settings.intervalMs));

    onInput(RED, node, status, (_msg, send, done) => {
      report(send, true);
      done();
    });
    releaseOnClose(RED, started, async () => {
      closed = true;
      timers.forEach((timer) => clock.clearInterval(timer));
      off.forEach((unsubscribe) => unsubscribe());
      readings.delete(node.id);
      await saveTraffic();
    });
  }

  RED.nodes.registerType("wa-client-health", WaClientHealth);
}
