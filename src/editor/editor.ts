import { schemasByType } from "../nodes/schemas";
import { EditorDefault, editorDefaults } from "./defaults";
import { installPipelineSidebar } from "./sidebar";

// The pack's shared editor code, bundled into resources/editor.js by the build and loaded by every
// node's HTML from Node-RED's resources path. Only the little of jQuery and of the editor it uses is declared.
declare const $: (selector: string) => { length: number; val(): unknown };
declare const RED: { nodes: { registerType(type: string, definition: Record<string, unknown>): void } };

/** The palette colour of each stage, and the stage of each pipeline node type. */
const STAGE_COLOURS = {
  transport: "#5fc98a",
  session: "#7fb6d9",
  intelligence: "#c7a4e0",
  media: "#f3b567",
  resilience: "#e2b76f",
  sheets: "#9fd29f",
  performance: "#a99bd6",
  sending: "#8fd18f",
} as const;
const STAGE_OF: Record<string, keyof typeof STAGE_COLOURS> = {
  "wa-in": "transport",
  "wa-out": "transport",
  "wa-message-queue": "session",
  "wa-session-lock": "session",
  "wa-session-state": "session",
  "wa-entities": "intelligence",
  "wa-intent": "intelligence",
  "wa-sentiment": "intelligence",
  "wa-thread": "intelligence",
  "wa-flow-analyzer": "intelligence",
  "wa-ocr": "media",
  "wa-transcribe": "media",
  "wa-document": "media",
  "wa-gallery": "media",
  "wa-dedupe": "resilience",
  "wa-ordering": "resilience",
  "wa-dead-letter": "resilience",
  "wa-degrade": "resilience",
  "wa-sheets-read": "sheets",
  "wa-sheets-write": "sheets",
  "wa-client-health": "performance",
  "wa-health-score": "performance",
  "wa-parallel": "performance",
  "wa-perf-monitor": "performance",
  "wa-batch-send": "sending",
};

const EXAMPLE_LINE = /^\s*([\p{L}\p{N}_.:-]{1,100})\s*:\s*\S/u;

interface LabelledNode {
  name?: unknown;
  _(key: string): string;
}

/** The current value of a field in whichever dialog is open (a node's, or a config node's). */
function formValue(name: string): unknown {
  for (const prefix of ["#node-input-", "#node-config-input-"]) {
    const input = $(`${prefix}${name}`);
    if (input.length > 0) return input.val();
  }
  return undefined;
}

const WaPipeline = {
  /** A node's `defaults` from its schema, with `extra` (editor-only entries such as outputs) laid over them. */
  defaults(type: string, extra: Record<string, EditorDefault> = {}): Record<string, EditorDefault> {
    const schema = schemasByType[type];
    if (schema === undefined) throw new Error(`wa-pipeline editor: no settings schema for ${type}`);
    return { ...editorDefaults(schema, formValue), ...extra };
  },
  /** The default of one field of a node's schema (for an entry the form defines itself). */
  schemaDefault(type: string, field: string): unknown {
    return schemasByType[type]?.[field]?.default;
  },
  /** A `label` function: the node's name, or its palette label in the editor's language. */
  label(type: string): (this: LabelledNode) => string {
    return function (this: LabelledNode) {
      return typeof this.name === "string" && this.name !== "" ? this.name : this._(`${type}.paletteLabel`);
    };
  },
  /**
   * Registers a node type with what every node of the pack shares: its category and stage colour, one
   * input and one output, its icon, labels, and `defaults` from its schema (the definition's `defaults`
   * are laid over them). The definition gives the rest and may override any of it.
   */
  register(type: string, definition: Record<string, unknown> & { defaults?: Record<string, EditorDefault> }): void {
    const { defaults: extra, ...rest } = definition;
    const shared: Record<string, unknown> =
      rest.category === "config"
        ? {}
        : { category: "WhatsApp pipeline", color: STAGE_COLOURS[STAGE_OF[type] ?? "performance"], inputs: 1, outputs: 1 };
    RED.nodes.registerType(type, {
      ...shared,
      icon: `${type}.svg`,
      paletteLabel: WaPipeline.paletteLabel(type),
      label: WaPipeline.label(type),
      ...rest,
      defaults: WaPipeline.defaults(type, extra ?? {}),
    });
  },
  /** A function giving one text of the node's locale file in the editor's language (e.g. an output label). */
  text(key: string): (this: LabelledNode) => string {
    return function (this: LabelledNode) {
      return this._(key);
    };
  },
  /** The entries of a list written one a line: blank lines and lines starting with # are not entries. */
  listEntries(value: unknown): string[] {
    return String(value ?? "")
      .split(/\r?\n/)
      .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  },
  /**
   * The check of a classifier's examples ("label: text" a line, as wa-intent and wa-sentiment read them):
   * none at all is fine only with an examples file.
   */
  examplesValid(node: Record<string, unknown>, value: unknown): boolean {
    const entries = WaPipeline.listEntries(value);
    if (entries.length === 0) return Boolean(WaPipeline.fieldValue(node, "file"));
    return entries.every((line) => EXAMPLE_LINE.test(line));
  },
  /** A field's value as the open form shows it, or the node's when no form is open (for a validator). */
  fieldValue(node: Record<string, unknown>, name: string): unknown {
    return formValue(name) ?? node[name];
  },
  /** A `paletteLabel` function in the editor's language. */
  paletteLabel(type: string): (this: LabelledNode) => string {
    return function (this: LabelledNode) {
      return this._(`${type}.paletteLabel`);
    };
  },
};

(globalThis as unknown as { WaPipeline: typeof WaPipeline }).WaPipeline = WaPipeline;
installPipelineSidebar();
