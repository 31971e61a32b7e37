import type { PipelineSnapshot } from "../core/pipeline/pipeline-metrics";
import { SIDEBAR_CSS, SidebarText, sidebarHtml } from "./sidebar-view";

// The "WhatsApp pipeline" tab of the editor's sidebar: the state the runtime publishes every second
// (RED.comms topic wa-pipeline/state), the stage switches (POST wa-pipeline/stages/:stage) and links that
// reveal a node in the flow. Only the little of jQuery and of the editor it uses is declared.

interface JQueryLike {
  html(content: string): JQueryLike;
  on(event: string, selector: string, handler: (this: HTMLLikeElement, event: { preventDefault(): void }) => void): JQueryLike;
  is(selector: string): boolean;
  appendTo(target: string): JQueryLike;
  attr(name: string): string | undefined;
}
interface HTMLLikeElement {
  getAttribute(name: string): string | null;
}
interface AjaxSettings {
  url: string;
  type?: string;
  contentType?: string;
  data?: string;
  success?: (data: unknown) => void;
  error?: (xhr: { responseJSON?: { error?: string }; status: number }) => void;
}
declare const $: ((selector: string | HTMLLikeElement) => JQueryLike) & {
  ajax(settings: AjaxSettings): void;
  getJSON(url: string, success: (data: unknown) => void): void;
};
declare const RED: {
  _(key: string, params?: Record<string, string | number>): string;
  sidebar: { addTab(options: Record<string, unknown>): void; show(id: string): void };
  actions: { add(name: string, handler: () => void): void };
  comms: { subscribe(topic: string, handler: (topic: string, data: unknown) => void): void };
  view: { reveal(id: string): void };
  nodes: { node(id: string): unknown; workspace(id: string): { label?: string } | undefined };
  utils: { getNodeLabel(node: unknown, fallback?: string): string };
  notify(text: string, type: string): void;
};

const NAMESPACE = "@wapipe/node-red-whatsapp-pipeline/wa-client";
const text: SidebarText = (key, params) => RED._(`${NAMESPACE}:sidebar.${key}`, params);

export function installPipelineSidebar(): void {
  const marker = globalThis as unknown as { waPipelineSidebar?: boolean };
  if (marker.waPipelineSidebar) return;
  marker.waPipelineSidebar = true;

  $(`<style>${SIDEBAR_CSS}</style>`).appendTo("head");
  const content = $('<div class="wa-pipeline-sidebar"></div>');
  let latest: PipelineSnapshot | undefined;
  const open = new Set<string>();
  const context = {
    open,
    labelOf: (id: string) => {
      const node = RED.nodes.node(id);
      return node ? RED.utils.getNodeLabel(node) : undefined;
    },
    flowOf: (id: string) => RED.nodes.workspace(id)?.label,
  };
  const render = () => {
    if (content.is(":visible")) content.html(sidebarHtml(latest, text, context));
  };
  const receive = (data: unknown) => {
    latest = data as PipelineSnapshot;
    render();
  };

  content.on("click", ".wa-pipeline-reveal", function (event) {
    event.preventDefault();
    const id = this.getAttribute("data-node");
    if (id) RED.view.reveal(id);
  });
  // The lists are made anew every second: which ones a person unfolded is remembered here.
  content.on("click", ".wa-pipeline-details > summary", function () {
    const stage = (this as unknown as { parentNode: HTMLLikeElement }).parentNode.getAttribute("data-stage") ?? "";
    if (open.has(stage)) open.delete(stage);
    else open.add(stage);
  });
  content.on("click", ".wa-pipeline-switch", function (event) {
    event.preventDefault();
    const stage = this.getAttribute("data-stage");
    const enabled = this.getAttribute("data-enabled") !== "true";
    $.ajax({
      url: `wa-pipeline/stages/${encodeURIComponent(stage ?? "")}`,
      type: "POST",
      contentType: "application/json",
      data: JSON.stringify({ enabled, by: "editor sidebar" }),
      // The runtime publishes the new state at once (RED.comms): the tab is redrawn from it.
      error: (xhr) => RED.notify(text("switchFailed", { reason: xhr.responseJSON?.error ?? String(xhr.status) }), "error"),
    });
  });

  RED.sidebar.addTab({
    id: "wa-pipeline",
    label: text("label"),
    name: text("title"),
    iconClass: "fa fa-whatsapp",
    content,
    enableOnEdit: true,
    action: "wa-pipeline:show-pipeline-tab",
    onchange: render,
  });
  RED.actions.add("wa-pipeline:show-pipeline-tab", () => RED.sidebar.show("wa-pipeline"));
  RED.comms.subscribe("wa-pipeline/state", (_topic, data) => receive(data));
  $.getJSON("wa-pipeline/state", receive);
  // Until the first figures arrive, the tab says what to deploy to see them.
  render();
}
