import { Clock } from "../clock";
import { TraceSpan } from "../envelope";
import { WaError } from "../errors";

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface NodeLatency extends LatencySummary {
  nodeId: string;
  nodeType: string;
  nodeName?: string;
}

export interface PerfSnapshot {
  at: number;
  windowMs: number;
  messages: number;
  errors: number;
  throughputPerSec: number;
  errorRate: number;
  endToEnd: LatencySummary;
  nodes: NodeLatency[];
  totals: { messages: number; errors: number; since: number };
}

export interface PerfMonitorOptions {
  /** Most latency samples kept per series and window; beyond it a uniform sample is kept. */
  reservoirSize?: number;
  random?: () => number;
}

/** A fixed-size uniform sample of a stream (Vitter's algorithm R), plus exact count/sum/max. */
class Reservoir {
  private readonly samples: number[] = [];
  count = 0;
  sum = 0;
  max = 0;

  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}

  add(value: number): void {
    this.count += 1;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (this.samples.length < this.size) {
      this.samples.push(value);
      return;
    }
    const slot = Math.floor(this.random() * this.count);
    if (slot < this.size) this.samples[slot] = value;
  }

  summary(): LatencySummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return {
      count: this.count,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      max: this.max,
    };
  }
}

/** Nearest-rank quantile of an ascending array (0 for an empty one). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

interface NodeSeries {
  nodeType: string;
  nodeName?: string;
  reservoir: Reservoir;
}

/**
 * Turns the trace spans carried by envelopes into per-node latency, end-to-end latency,
 * throughput and error rate, per reporting window, plus running totals.
 */
export class PerformanceMonitor {
  private readonly reservoirSize: number;
  private readonly random: () => number;
  private windowStart: number;
  private readonly since: number;
  private messages = 0;
  private errors = 0;
  private totalMessages = 0;
  private totalErrors = 0;
  private endToEnd: Reservoir;
  private nodes = new Map<string, NodeSeries>();

  constructor(
    private readonly clock: Clock,
    options: PerfMonitorOptions = {},
  ) {
    this.reservoirSize = options.reservoirSize ?? 2048;
    if (!(this.reservoirSize >= 16)) throw new WaError("config.invalid", "reservoirSize must be at least 16");
    this.random = options.random ?? Math.random;
    this.windowStart = clock.now();
    this.since = this.windowStart;
    this.endToEnd = new Reservoir(this.reservoirSize, this.random);
  }

  /** Records one message that finished the pipeline (or failed, with `failed`). */
  record(trace: readonly TraceSpan[] | undefined, receivedAt: number | undefined, failed = false): void {
    this.messages += 1;
    this.totalMessages += 1;
    if (failed) {
      this.errors += 1;
      this.totalErrors += 1;
    }
    if (typeof receivedAt === "number" && Number.isFinite(receivedAt)) {
      this.endToEnd.add(Math.max(0, this.clock.now() - receivedAt));
    }
    for (const span of trace ?? []) {
      if (!span || typeof span.nodeId !== "string" || !Number.isFinite(span.end - span.start)) continue;
      let series = this.nodes.get(span.nodeId);
      if (!series) {
        series = { nodeType: String(span.nodeType), nodeName: span.nodeName, reservoir: new Reservoir(this.reservoirSize, this.random) };
        this.nodes.set(span.nodeId, series);
      }
      series.reservoir.add(Math.max(0, span.end - span.start));
    }
  }

  /** Figures for the window since the last reset; `reset` starts a new window. */
  snapshot(reset = true): PerfSnapshot {
    const at = this.clock.now();
    const windowMs = Math.max(1, at - this.windowStart);
    const nodes: NodeLatency[] = [...this.nodes.entries()]
      .map(([nodeId, series]) => ({ nodeId, nodeType: series.nodeType, nodeName: series.nodeName, ...series.reservoir.summary() }))
      .sort((a, b) => b.mean - a.mean);
    const snapshot: PerfSnapshot = {
      at,
      windowMs,
      messages: this.messages,
      errors: this.errors,
      throughputPerSec: (this.messages * 1000) / windowMs,
      errorRate: this.messages === 0 ? 0 : this.errors / this.messages,
      endToEnd: this.endToEnd.summary(),
      nodes,
      totals: { messages: this.totalMessages, errors: this.totalErrors, since: this.since },
    };
    if (reset) {
      this.windowStart = at;
      this.messages = 0;
      this.errors = 0;
      this.endToEnd = new Reservoir(this.reservoirSize, this.random);
      this.nodes = new Map();
    }
    return snapshot;
  }
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Renders a snapshot in the Prometheus text exposition format (version 0.0.4). */
export function toPrometheusText(snapshot: PerfSnapshot, prefix = "wa_pipeline"): string {
  const lines: string[] = [];
  const summary = (name: string, labels: string, value: LatencySummary) => {
    const sep = labels ? "," : "";
    lines.push(`${name}{${labels}${sep}quantile="0.5"} ${value.p50}`);
    lines.push(`${name}{${labels}${sep}quantile="0.9"} ${value.p90}`);
    lines.push(`${name}{${labels}${sep}quantile="0.99"} ${value.p99}`);
    lines.push(`${name}_sum${labels ? `{${labels}}` : ""} ${value.mean * value.count}`);
    lines.push(`${name}_count${labels ? `{${labels}}` : ""} ${value.count}`);
  };
  lines.push(`# HELP ${prefix}_messages_total Messages that reached the monitor since it started.`);
  lines.push(`# TYPE ${prefix}_messages_total counter`);
  lines.push(`${prefix}_messages_total ${snapshot.totals.messages}`);
  lines.push(`# HELP ${prefix}_errors_total Failed messages that reached the monitor since it started.`);
  lines.push(`# TYPE ${prefix}_errors_total counter`);
  lines.push(`${prefix}_errors_total ${snapshot.totals.errors}`);
  lines.push(`# HELP ${prefix}_throughput_per_second Messages per second in the last window.`);
  lines.push(`# TYPE ${prefix}_throughput_per_second gauge`);
  lines.push(`${prefix}_throughput_per_second ${snapshot.throughputPerSec}`);
  lines.push(`# HELP ${prefix}_end_to_end_ms Time from receipt to the monitor, last window.`);
  lines.push(`# TYPE ${prefix}_end_to_end_ms summary`);
  summary(`${prefix}_end_to_end_ms`, "", snapshot.endToEnd);
  lines.push(`# HELP ${prefix}_node_latency_ms Time spent in each pipeline node, last window.`);
  lines.push(`# TYPE ${prefix}_node_latency_ms summary`);
  for (const node of snapshot.nodes) {
    const labels = `node="${escapeLabel(node.nodeId)}",type="${escapeLabel(node.nodeType)}",name="${escapeLabel(node.nodeName ?? "")}"`;
    summary(`${prefix}_node_latency_ms`, labels, node);
  }
  return `${lines.join("\n")}\n`;
}
