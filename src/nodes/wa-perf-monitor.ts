import { TimerHandle } from "../core/clock";
import { TraceSpan } from "../core/envelope";
import { PerfSnapshot, PerformanceMonitor, toPrometheusText } from "../core/perf/perf-monitor";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { perfMonitorSchema } from "./schemas/wa-perf-monitor";
import { onClose, onInput, startNode } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";

type PerfDef = NodeDef & FlowConfigOf<typeof perfMonitorSchema>;

export function perfSettingsFromConfig(config: PerfDef): { intervalMs: number; format: "json" | "prometheus" | "both" } {
  const { interval, format } = readSettingsBySchema(perfMonitorSchema, config);
  return { intervalMs: interval * 1000, format };
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1);
}

export default function register(RED: NodeAPI): void {
  function WaPerfMonitor(this: Node, config: PerfDef) {
    const started = startNode(RED, this, config, () => perfSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const monitor = new PerformanceMonitor(clock);
    status.set({ fill: "grey", shape: "ring", text: nodeText("perf.waiting", "waiting for messages") }, true);

    const emit = (send: SendFunction) => {
      const snapshot: PerfSnapshot = monitor.snapshot(true);
      const msg: NodeMessage = { topic: "wa-perf", payload: snapshot };
      if (settings.format === "prometheus") msg.payload = toPrometheusText(snapshot);
      if (settings.format === "both") (msg as NodeMessage & { prometheus?: string }).prometheus = toPrometheusText(snapshot);
      send(msg);
      const errorPct = (snapshot.errorRate * 100).toFixed(snapshot.errorRate > 0 && snapshot.errorRate < 0.01 ? 2 : 0);
      status.set(
        {
          fill: snapshot.errorRate > 0.05 ? "red" : snapshot.errorRate > 0 ? "yellow" : snapshot.messages > 0 ? "green" : "grey",
          shape: "dot",
          text: nodeText(
            "perf.summary",
            `${formatRate(snapshot.throughputPerSec)} msg/s · p99 ${Math.round(snapshot.endToEnd.p99)} ms · ${errorPct}% errors`,
            {
              rate: formatRate(snapshot.throughputPerSec),
              p99: Math.round(snapshot.endToEnd.p99),
              errors: errorPct,
            },
          ),
        },
        true,
      );
    };
    const timer: TimerHandle = clock.setInterval(() => emit((msg) => node.send(msg)), settings.intervalMs);

    onInput(RED, node, status, (msg, send, done) => {
      const wa = (msg as { wa?: { trace?: TraceSpan[]; message?: { receivedAt?: number } } }).wa;
      if (msg.topic === "snapshot" && wa === undefined) {
        emit(send);
        done();
        return;
      }
      const failed = (msg as { error?: unknown }).error !== undefined;
      monitor.record(Array.isArray(wa?.trace) ? wa.trace : undefined, wa?.message?.receivedAt, failed);
      done();
    });

    onClose(RED, node, () => {
      clock.clearInterval(timer);
      status.close();
    });
  }

  RED.nodes.registerType("wa-perf-monitor", WaPerfMonitor);
}
