import { TimerHandle } from "../core/clock";
import { ClientHealthMonitor, ClientHealthSnapshot, HealthLevel } from "../core/session/client-health";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { clientHealthSchema } from "./schemas/wa-client-health";
import { findClient } from "./kit/client-ref";
import { onClose, onInput, startNode, reportGauges } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";

type HealthDef = NodeDef & FlowConfigOf<typeof clientHealthSchema>;

export function clientHealthSettings(config: HealthDef) {
  const read = readSettingsBySchema(clientHealthSchema, config);
  return {
    intervalMs: read.interval * 1000,
    options: { silenceWarnMs: read.silenceWarn * 60_000, failureRateWarn: read.failureRate / 100, windowMs: read.window * 60_000 },
  };
}

const readings = new Map<string, () => ClientHealthSnapshot>();

/** The latest reading of a wa-client-health node, for the health score and the degradation strategy. */
export function clientHealthReading(nodeId: string): ClientHealthSnapshot | undefined {
  return readings.get(nodeId)?.();
}

const FILL: Record<HealthLevel, "green" | "yellow" | "red"> = { healthy: "green", degraded: "yellow", down: "red" };

export default function register(RED: NodeAPI): void {
  function WaClientHealth(this: Node, config: HealthDef) {
    const started = startNode(RED, this, config, () => clientHealthSettings(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const client = findClient(RED, config.client);
    const monitor = new ClientHealthMonitor(clock, settings.options);
    const off: (() => void)[] = [];
    let lastKey = "";

    const report = (send: (msg: NodeMessage) => void, always: boolean) => {
      const snapshot = client?.transport
        ? monitor.snapshot()
        : { ...monitor.snapshot(), level: "down" as const, reason: client?.failure ?? "no connection configured" };
      const key = `${snapshot.level}|${snapshot.state}`;
      if (!always && key === lastKey) return;
      lastKey = key;
      send({ topic: "wa-health", payload: snapshot });
      status.set(
        { fill: FILL[snapshot.level], shape: "dot", text: nodeText(`health.${snapshot.level}`, snapshot.level) + ` · ${snapshot.reason}` },
        true,
      );
    };
    readings.set(node.id, () => monitor.snapshot());
    reportGauges(node, () => {
      const snapshot = monitor.snapshot();
      return {
        states: { connection: client?.transport ? snapshot.state : "not configured", health: client?.transport ? snapshot.level : "down" },
      };
    });

    const transport = client?.transport;
    if (transport) {
      monitor.observeState(transport.state());
      off.push(
        transport.onStateChange((state, detail) => {
          monitor.observeState(state, detail);
          report((msg) => node.send(msg), false);
        }),
        transport.onMessage(() => monitor.observeActivity()),
        transport.onSent(() => monitor.observeSend(true)),
        transport.onSendFailed(() => {
          monitor.observeSend(false);
          report((msg) => node.send(msg), false);
        }),
      );
    }
    report((msg) => node.send(msg), true);
    const timer: TimerHandle = clock.setInterval(() => report((msg) => node.send(msg), true), settings.intervalMs);

    onInput(RED, node, status, (_msg, send, done) => {
      report(send, true);
      done();
    });
    onClose(RED, node, () => {
      clock.clearInterval(timer);
      off.forEach((unsubscribe) => unsubscribe());
      readings.delete(node.id);
      status.close();
    });
  }

  RED.nodes.registerType("wa-client-health", WaClientHealth);
}
