import type { HistoryPoint, NodeFigures, PipelineSnapshot, StageFigures, StageHealth } from "../core/pipeline/pipeline-metrics";

// What the "WhatsApp pipeline" sidebar tab shows, as HTML made from a snapshot of the pipeline's state.
// Pure (no DOM), so it is tested without a browser; src/editor/sidebar.ts puts it in the editor.

/** The sidebar's texts in the editor's language (`key` below `sidebar.` in the wa-client catalogue). */
export type SidebarText = (key: string, params?: Record<string, string | number>) => string;

/** What the editor knows that the runtime does not: the label it shows for a node and its flow's name; which stages are unfolded. */
export interface SidebarContext {
  labelOf?: (nodeId: string) => string | undefined;
  flowOf?: (flowId: string) => string | undefined;
  open?: ReadonlySet<string>;
}

/** Gauges the runtime reports, in the order and words the sidebar shows them (`gauge.<name>` texts). */
const GAUGES = [
  "queueInFlight",
  "queueWaiting",
  "queueRefused",
  "locksHeld",
  "lockWaiters",
  "rowsWritten",
  "rowsWaiting",
  "rowsDeadLettered",
  "deadLetters",
  "deadLettersExhausted",
  "deadLetterOldestAgeSeconds",
];

export const HEALTH_COLOURS: Record<StageHealth, string> = {
  ok: "#3f9b5e",
  idle: "#9aa5b1",
  warning: "#e0a030",
  failing: "#d9534f",
  off: "#6b6b6b",
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

function figure(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1).replace(/\.0$/, "");
  return value.toFixed(2).replace(/\.?0+$/, "") || "0";
}

/** A polyline of `values` scaled into a width×height box (highest value at the top). */
function polyline(values: readonly number[], width: number, height: number): string {
  const top = Math.max(...values, 0) || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((value, i) => `${(i * step).toFixed(1)},${(height - (value / top) * (height - 2) - 1).toFixed(1)}`).join(" ");
}

/** Throughput (green) and p99 (orange, its own scale) over the history the runtime keeps. */
export function sparklineSvg(history: readonly HistoryPoint[], t: SidebarText, width = 260, height = 48): string {
  if (history.length < 2) return `<div class="wa-pipeline-chart-empty">${escapeHtml(t("chartWaiting"))}</div>`;
  const minutes = Math.max(1, Math.round((history[history.length - 1].at - history[0].at) / 60_000));
  const peakRate = Math.max(...history.map((point) => point.ratePerSec));
  const peakP99 = Math.max(...history.map((point) => point.p99Ms));
  return (
    `<svg class="wa-pipeline-chart" viewBox="0 0 ${width} ${height}" width="100%" height="${height}" preserveAspectRatio="none" role="img" aria-label="${escapeHtml(t("chartLabel", { minutes }))}">` +
    `<polyline class="wa-pipeline-rate" fill="none" stroke="#3f9b5e" stroke-width="1.5" points="${polyline(
      history.map((p) => p.ratePerSec),
      width,
      height,
    )}"/>` +
    `<polyline class="wa-pipeline-p99" fill="none" stroke="#e0a030" stroke-width="1" stroke-dasharray="3 2" points="${polyline(
      history.map((p) => p.p99Ms),
      width,
      height,
    )}"/>` +
    `</svg><div class="wa-pipeline-legend"><span style="color:#3f9b5e">━ ${escapeHtml(t("legendRate", { peak: figure(peakRate) }))}</span> ` +
    `<span style="color:#e0a030">┅ ${escapeHtml(t("legendP99", { peak: figure(peakP99) }))}</span> <span>${escapeHtml(t("lastMinutes", { minutes }))}</span></div>`
  );
}

function gaugeText(node: NodeFigures, t: SidebarText): string {
  const known = GAUGES.filter((name) => node.numbers[name] !== undefined);
  const other = Object.keys(node.numbers).filter((name) => !GAUGES.includes(name));
  const parts = [
    ...known.map((name) => t(`gauge.${name}`, { value: figure(node.numbers[name]) })),
    ...other.map((name) => `${name} ${figure(node.numbers[name])}`),
    ...Object.entries(node.states).map(([name, value]) => `${name} ${value}`),
  ];
  return parts.join(" · ");
}

function nodeRow(node: NodeFigures, t: SidebarText, context: SidebarContext): string {
  const label = context.labelOf?.(node.id) || (node.name !== "" ? node.name : node.type);
  const flow = context.flowOf?.(node.flow) ?? "";
  const figures = t("nodeFigures", { messages: node.messages, p99: figure(node.p99Ms), errors: node.errors });
  const skipped = node.skipped > 0 ? ` · ${escapeHtml(t("skipped", { count: node.skipped }))}` : "";
  const gauges = gaugeText(node, t);
  return (
    `<li class="wa-pipeline-node" data-node="${escapeHtml(node.id)}">` +
    `<a href="#" class="wa-pipeline-reveal" data-node="${escapeHtml(node.id)}" title="${escapeHtml(t("reveal"))}">${escapeHtml(label)}</a>` +
    ` <span class="wa-pipeline-type">${escapeHtml(flow ? `${node.type} · ${flow}` : node.type)}</span><br><span class="wa-pipeline-figures">${escapeHtml(figures)}${skipped}</span>` +
    (gauges ? `<br><span class="wa-pipeline-gauges">${escapeHtml(gauges)}</span>` : "") +
    `</li>`
  );
}

function nodeList(id: string, nodes: readonly NodeFigures[], t: SidebarText, context: SidebarContext): string {
  if (nodes.length === 0) return "";
  const open = context.open?.has(id) ? " open" : "";
  return (
    `<details class="wa-pipeline-details" data-stage="${escapeHtml(id)}"${open}><summary>${escapeHtml(t("nodes", { count: nodes.length }))}</summary>` +
    `<ul class="wa-pipeline-nodes">${nodes.map((node) => nodeRow(node, t, context)).join("")}</ul></details>`
  );
}

function stageCard(stage: StageFigures, nodes: readonly NodeFigures[], t: SidebarText, context: SidebarContext): string {
  const members = nodes.filter((node) => node.stage === stage.id);
  const colour = HEALTH_COLOURS[stage.health];
  const figures =
    members.length === 0
      ? t("noNodes")
      : t("stageFigures", { rate: figure(stage.ratePerSec), p99: figure(stage.p99Ms), errors: stage.errors });
  const switchedBy =
    !stage.enabled && stage.switch.by ? `<div class="wa-pipeline-by">${escapeHtml(t("offBy", { by: stage.switch.by }))}</div>` : "";
  return (
    `<div class="wa-pipeline-stage" data-stage="${stage.id}" data-health="${stage.health}" style="border-left:5px solid ${colour}">` +
    `<div class="wa-pipeline-stage-head"><span class="wa-pipeline-stage-title">${stage.number} · ${escapeHtml(t(`stage.${stage.id}`))}</span>` +
    `<button type="button" class="red-ui-button red-ui-button-small wa-pipeline-switch${stage.enabled ? " selected" : ""}" data-stage="${stage.id}" data-enabled="${stage.enabled}" aria-pressed="${stage.enabled}" title="${escapeHtml(t(stage.enabled ? "turnOff" : "turnOn"))}">${escapeHtml(t(stage.enabled ? "on" : "off"))}</button></div>` +
    `<div class="wa-pipeline-stage-figures"><span class="wa-pipeline-health" style="color:${colour}">● ${escapeHtml(t(`health.${stage.health}`))}</span> · ${escapeHtml(figures)}</div>` +
    switchedBy +
    nodeList(stage.id, members, t, context) +
    `</div>`
  );
}

/** The whole tab: totals, the chart, the five stages with their switches and nodes, and the nodes outside the stages. */
export function sidebarHtml(snapshot: PipelineSnapshot | undefined, t: SidebarText, context: SidebarContext = {}): string {
  if (!snapshot || snapshot.nodes.length === 0) return `<div class="wa-pipeline-empty">${escapeHtml(t("empty"))}</div>`;
  const { messages } = snapshot;
  const others = snapshot.nodes.filter((node) => node.stage === undefined);
  return (
    `<div class="wa-pipeline-totals">${escapeHtml(
      t("totals", {
        rate: figure(messages.ratePerSec),
        p99: figure(messages.p99Ms),
        completed: messages.completed,
        failed: messages.failed,
      }),
    )}</div>` +
    sparklineSvg(snapshot.history, t) +
    snapshot.stages.map((stage) => stageCard(stage, snapshot.nodes, t, context)).join("") +
    (others.length > 0
      ? `<div class="wa-pipeline-stage wa-pipeline-other"><div class="wa-pipeline-stage-head"><span class="wa-pipeline-stage-title">${escapeHtml(t("other"))}</span></div>${nodeList("other", others, t, context)}</div>`
      : "")
  );
}

export const SIDEBAR_CSS = `
.wa-pipeline-sidebar { padding: 8px 10px; font-size: 12px; overflow-y: auto; height: 100%; box-sizing: border-box; }
.wa-pipeline-totals { font-weight: bold; margin-bottom: 4px; }
.wa-pipeline-legend { font-size: 11px; color: var(--red-ui-secondary-text-color, #777); margin-bottom: 8px; }
.wa-pipeline-chart-empty, .wa-pipeline-empty { color: var(--red-ui-secondary-text-color, #777); margin: 6px 0 10px; }
.wa-pipeline-stage { padding: 6px 8px; margin: 6px 0; background: var(--red-ui-secondary-background, #f7f7f7); border-radius: 3px; }
.wa-pipeline-stage-head { display: flex; justify-content: space-between; align-items: center; }
.wa-pipeline-stage-title { font-weight: bold; }
.wa-pipeline-switch { min-width: 42px; }
.wa-pipeline-switch.selected { background: #3f9b5e !important; color: #fff !important; }
.wa-pipeline-stage[data-health="off"] .wa-pipeline-nodes { opacity: 0.6; }
.wa-pipeline-by { color: var(--red-ui-secondary-text-color, #777); font-style: italic; }
.wa-pipeline-details > summary { cursor: pointer; color: var(--red-ui-secondary-text-color, #777); margin-top: 2px; }
.wa-pipeline-nodes { list-style: none; margin: 4px 0 0; padding: 0 0 0 12px; }
.wa-pipeline-node { margin: 3px 0; line-height: 1.35; }
.wa-pipeline-type, .wa-pipeline-gauges { color: var(--red-ui-secondary-text-color, #777); }
`;
