import { Clock } from "../clock";
import { escapeLabel, quantile } from "../perf/perf-monitor";
import { StageSwitch } from "./stage-switches";
import { PIPELINE_STAGES, StageId } from "./stages";

/** Latencies kept per node: the last this many, enough for a p99 that moves with the traffic. */
const LATENCY_WINDOW = 1024;
/** One throughput and p99 point every this long, and this many points (10 minutes) for the sidebar's chart. */
export const HISTORY_STEP_MS = 5_000;
export const HISTORY_POINTS = 120;

/** The last `size` values of a stream, for quantiles over recent traffic. */
class RecentValues {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly size = LATENCY_WINDOW) {}

  add(value: number): void {
    if (this.values.length < this.size) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }

  quantiles(): { p50: number; p99: number } {
    const sorted = [...this.values].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
  }
}

/** A node's counts since deploy: what came in, what failed, and how long each took from input to done. */
export class NodeMeter {
  messages = 0;
  errors = 0;
  skipped = 0;
  inFlight = 0;
  private readonly latencies = new RecentValues();

  started(): void {
    this.messages += 1;
    this.inFlight += 1;
  }

  finished(durationMs: number, failed: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (failed) this.errors += 1;
    this.latencies.add(Math.max(0, durationMs));
  }

  passedBy(): void {
    this.skipped += 1;
  }

  quantiles(): { p50: number; p99: number } {
    return this.latencies.quantiles();
  }
}

/** Messages through the whole pipeline: complete when their chat's ack releases them, failed when they reach a dead letter. */
export class CompletionMeter {
  completed = 0;
  failed = 0;
  private readonly latencies = new RecentValues();

  complete(endToEndMs: number | undefined): void {
    this.completed += 1;
    if (endToEndMs !== undefined && Number.isFinite(endToEndMs)) this.latencies.add(Math.max(0, endToEndMs));
  }

  fail(): void {
    this.failed += 1;
  }

  quantiles(): { p50: number; p99: number } {
    return this.latencies.quantiles();
  }
}

/** What a node reports beyond its counts: numbers (queue depth, dead letters) and named states (breaker, mode). */
export interface NodeGauges {
  numbers?: Record<string, number>;
  states?: Record<string, string>;
}

export interface MeteredNode {
  id: string;
  type: string;
  name: string;
  /** The flow (tab) the node is on, for the editor to reveal it. */
  flow: string;
  stage: StageId | undefined;
  runsWhileOff: boolean;
  meter: NodeMeter;
  gauges?: () => NodeGauges;
}

export interface NodeFigures extends Pick<MeteredNode, "id" | "type" | "name" | "flow" | "stage" | "runsWhileOff"> {
  messages: number;
  errors: number;
  skipped: number;
  inFlight: number;
  ratePerSec: number;
  successRate: number;
  p50Ms: number;
  p99Ms: number;
  numbers: Record<string, number>;
  states: Record<string, string>;
}

export type StageHealth = "off" | "idle" | "ok" | "warning" | "failing";

export interface StageFigures {
  id: StageId;
  number: number;
  title: string;
  enabled: boolean;
  switch: StageSwitch;
  health: StageHealth;
  nodes: string[];
  /** Messages per second through the stage's busiest node. */
  ratePerSec: number;
  errors: number;
  successRate: number;
  p99Ms: number;
}

export interface HistoryPoint {
  at: number;
  ratePerSec: number;
  p99Ms: number;
}

export interface PipelineSnapshot {
  at: number;
  instance: string;
  stages: StageFigures[];
  nodes: NodeFigures[];
  messages: { completed: number; failed: number; ratePerSec: number; p50Ms: number; p99Ms: number };
  history: HistoryPoint[];
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** States a node reports that put its stage in trouble (an open breaker, the client not connected). */
const FAILING_STATES: Record<string, readonly string[]> = {
  breaker: ["open"],
  connection: ["disconnected", "stopped"],
  health: ["down"],
};

/**
 * Turns the meters of the running nodes into the pipeline's figures: per node, per stage and for whole
 * messages, with rates over the time since the previous snapshot and a history for a small chart.
 */
export class PipelineFigures {
  private previous = new Map<string, { messages: number; at: number }>();
  private previousCompleted: { completed: number; at: number } | undefined;
  private readonly history: HistoryPoint[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly instance: string,
  ) {}

  snapshot(nodes: readonly MeteredNode[], switches: Record<StageId, StageSwitch>, completions: CompletionMeter): PipelineSnapshot {
    const at = this.clock.now();
    const nodeFigures = nodes.map((node) => this.nodeFigures(node, at));
    this.previous = new Map(nodes.map((node) => [node.id, { messages: node.meter.messages, at }]));
    const stages = PIPELINE_STAGES.map((stage): StageFigures => {
      const members = nodeFigures.filter((node) => node.stage === stage.id);
      const messages = members.reduce((sum, node) => sum + node.messages, 0);
      const errors = members.reduce((sum, node) => sum + node.errors, 0);
      const state = switches[stage.id];
      const failingState = members.some((node) =>
        Object.entries(node.states).some(([kind, value]) => FAILING_STATES[kind]?.includes(value)),
      );
      const successRate = messages === 0 ? 1 : 1 - errors / messages;
      const health: StageHealth = !state.enabled
        ? "off"
        : failingState || successRate < 0.9
          ? "failing"
          : errors > 0
            ? "warning"
            : messages === 0
              ? "idle"
              : "ok";
      return {
        id: stage.id,
        number: stage.number,
        title: stage.title,
        enabled: state.enabled,
        switch: state,
        health,
        nodes: members.map((node) => node.id),
        ratePerSec: round(Math.max(0, ...members.map((node) => node.ratePerSec))),
        errors,
        successRate: round(successRate, 4),
        p99Ms: round(Math.max(0, ...members.map((node) => node.p99Ms))),
      };
    });
    const { p50, p99 } = completions.quantiles();
    const since = this.previousCompleted;
    const ratePerSec = since && at > since.at ? round(((completions.completed - since.completed) * 1000) / (at - since.at)) : 0;
    if (!since || at - since.at >= HISTORY_STEP_MS) {
      this.previousCompleted = { completed: completions.completed, at };
      if (since) this.history.push({ at, ratePerSec, p99Ms: round(p99) });
      if (this.history.length > HISTORY_POINTS) this.history.splice(0, this.history.length - HISTORY_POINTS);
    }
    return {
      at,
      instance: this.instance,
      stages,
      nodes: nodeFigures,
      messages: { completed: completions.completed, failed: completions.failed, ratePerSec, p50Ms: round(p50), p99Ms: round(p99) },
      history: [...this.history],
    };
  }

  private nodeFigures(node: MeteredNode, at: number): NodeFigures {
    const { meter } = node;
    const before = this.previous.get(node.id);
    const ratePerSec = before && at > before.at ? ((meter.messages - before.messages) * 1000) / (at - before.at) : 0;
    const { p50, p99 } = meter.quantiles();
    let gauges: NodeGauges = {};
    try {
      gauges = node.gauges?.() ?? {};
    } catch {
      gauges = { states: { gauges: "unavailable" } };
    }
    return {
      id: node.id,
      type: node.type,
      name: node.name,
      flow: node.flow,
      stage: node.stage,
      runsWhileOff: node.runsWhileOff,
      messages: meter.messages,
      errors: meter.errors,
      skipped: meter.skipped,
      inFlight: meter.inFlight,
      ratePerSec: round(ratePerSec),
      successRate: round(meter.messages === 0 ? 1 : 1 - meter.errors / meter.messages, 4),
      p50Ms: round(p50),
      p99Ms: round(p99),
      numbers: gauges.numbers ?? {},
      states: gauges.states ?? {},
    };
  }
}

const PREFIX = "wa_pipeline";

function metricName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^a-zA-Z0-9_]/g, "_")
    .toLowerCase();
}

/** The snapshot in the Prometheus text exposition format (0.0.4), for a scrape of the admin endpoint. */
export function pipelinePrometheusText(snapshot: PipelineSnapshot): string {
  const lines: string[] = [];
  const family = (name: string, type: "counter" | "gauge" | "summary", help: string) => {
    lines.push(`# HELP ${PREFIX}_${name} ${help}`);
    lines.push(`# TYPE ${PREFIX}_${name} ${type}`);
  };
  const instance = `instance_id="${escapeLabel(snapshot.instance)}"`;
  family("stage_enabled", "gauge", "1 while the stage runs, 0 while it is switched off.");
  for (const stage of snapshot.stages) lines.push(`${PREFIX}_stage_enabled{${instance},stage="${stage.id}"} ${stage.enabled ? 1 : 0}`);
  family("messages_completed_total", "counter", "Messages whose chat's ack released them.");
  lines.push(`${PREFIX}_messages_completed_total{${instance}} ${snapshot.messages.completed}`);
  family("messages_failed_total", "counter", "Messages that reached a dead letter.");
  lines.push(`${PREFIX}_messages_failed_total{${instance}} ${snapshot.messages.failed}`);
  family("message_latency_ms", "summary", "Time from receipt to the ack, recent messages.");
  lines.push(`${PREFIX}_message_latency_ms{${instance},quantile="0.5"} ${snapshot.messages.p50Ms}`);
  lines.push(`${PREFIX}_message_latency_ms{${instance},quantile="0.99"} ${snapshot.messages.p99Ms}`);
  const nodeLabels = (node: NodeFigures) =>
    `${instance},node="${escapeLabel(node.id)}",type="${escapeLabel(node.type)}",name="${escapeLabel(node.name)}",stage="${node.stage ?? ""}"`;
  family("node_messages_total", "counter", "Messages into each pipeline node.");
  for (const node of snapshot.nodes) lines.push(`${PREFIX}_node_messages_total{${nodeLabels(node)}} ${node.messages}`);
  family("node_errors_total", "counter", "Messages each pipeline node failed.");
  for (const node of snapshot.nodes) lines.push(`${PREFIX}_node_errors_total{${nodeLabels(node)}} ${node.errors}`);
  family("node_skipped_total", "counter", "Messages passed through untouched while the node's stage was off.");
  for (const node of snapshot.nodes) lines.push(`${PREFIX}_node_skipped_total{${nodeLabels(node)}} ${node.skipped}`);
  family("node_latency_ms", "summary", "Time from a node's input to its done, recent messages.");
  for (const node of snapshot.nodes) {
    lines.push(`${PREFIX}_node_latency_ms{${nodeLabels(node)},quantile="0.5"} ${node.p50Ms}`);
    lines.push(`${PREFIX}_node_latency_ms{${nodeLabels(node)},quantile="0.99"} ${node.p99Ms}`);
  }
  const gaugeNames = [...new Set(snapshot.nodes.flatMap((node) => Object.keys(node.numbers)))].sort();
  for (const gauge of gaugeNames) {
    family(`node_${metricName(gauge)}`, "gauge", `${gauge} as the node reports it.`);
    for (const node of snapshot.nodes) {
      const value = node.numbers[gauge];
      if (value !== undefined && Number.isFinite(value)) lines.push(`${PREFIX}_node_${metricName(gauge)}{${nodeLabels(node)}} ${value}`);
    }
  }
  family("node_state", "gauge", "1 for the state each node is in (breaker, degrade mode, connection).");
  for (const node of snapshot.nodes) {
    for (const [kind, value] of Object.entries(node.states)) {
      lines.push(`${PREFIX}_node_state{${nodeLabels(node)},kind="${escapeLabel(kind)}",state="${escapeLabel(value)}"} 1`);
    }
  }
  return `${lines.join("\n")}\n`;
}
