import { schemasByType } from "../nodes/schemas";
import { paletteStageOf } from "../nodes/schemas/palette";
import { catalogueAnswer, settingsWordsFor } from "../nodes/schemas/settings-words";
import { EditorDefault, editorDefaults } from "./defaults";
import { installPipelineSidebar } from "./sidebar";

// The pack's shared editor code, bundled into resources/editor.js by the build and loaded by every
// node's HTML from Node-RED's resources path. Only the little of jQuery and of the editor it uses is declared.
declare const $: (selector: string) => { length: number; val(value?: string): unknown; addClass(name: string): unknown };
declare const RED: {
  nodes: { registerType(type: string, definition: Record<string, unknown>): void };
  _(key: string, params?: Record<string, string | number>): string;
};

/** A key of a catalogue in the editor's language, undefined when no catalogue has it (i18next then gives the key back). */
function editorCatalogueText(namespace: string, key: string, params?: Record<string, string | number>): string | undefined {
  return catalogueAnswer(RED._(`${namespace}:${key}`, params), key);
}

const EXAMPLE_LINE = /^\s*([\p{L}\p{N}_.:?!-]{1,100})\s*:\s*\S/u;

/**
 * The pack's forms: labels wider than Node-RED's 100 px, so that "Remember for" or "Fallback below" stay on one
 * line, and the inputs after them narrower by as much. Checkbox labels (written with their own width) keep theirs.
 */
const FORM_STYLE = `
.wa-form .form-row > label:first-child:not([style]) { width: 150px; }
.wa-form .form-row > label:first-child:not([style]) ~ input:not([type="checkbox"]):not([type="hidden"]),
.wa-form .form-row > label:first-child:not([style]) ~ select,
.wa-form .form-row > label:first-child:not([style]) ~ textarea,
.wa-form .form-row > label:first-child:not([style]) ~ .red-ui-typedInput-container { max-width: calc(100% - 160px); }
`;

function installFormStyle(): void {
  if (document.getElementById("wa-form-style")) return;
  const style = document.createElement("style");
  style.id = "wa-form-style";
  style.textContent = FORM_STYLE;
  document.head.appendChild(style);
}

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
    return { ...editorDefaults(schema, formValue, settingsWordsFor(type, editorCatalogueText)), ...extra };
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
    const stage = paletteStageOf(type);
    const shared: Record<string, unknown> =
      rest.category === "config" || !stage ? {} : { category: stage.category, color: stage.colour, inputs: 1, outputs: 1 };
    const prepare = rest.oneditprepare as ((this: unknown, ...args: unknown[]) => void) | undefined;
    const defaults = WaPipeline.defaults(type, extra ?? {});
    // Node-RED fills a new config node with its truthy defaults only: a 0 would leave the input blank, and refused.
    if (rest.category === "config") for (const entry of Object.values(defaults)) if (entry.value === 0) entry.value = "0";
    RED.nodes.registerType(type, {
      ...shared,
      icon: `${type}.svg`,
      paletteLabel: WaPipeline.paletteLabel(type),
      label: WaPipeline.label(type),
      ...rest,
      oneditprepare: function (this: unknown, ...args: unknown[]) {
        // A config node opened from a node's dialog has its own form beside the node's.
        $("#dialog-form, #node-config-dialog-edit-form").addClass("wa-form");
        // A node saved before one of its choices existed has no value for it: the form shows the default the
        // runtime reads in its place, not an empty list (the node's own handlers then see that value).
        const prefix = rest.category === "config" ? "#node-config-input-" : "#node-input-";
        for (const [name, field] of Object.entries(schemasByType[type] ?? {})) {
          if (field.kind !== "choice") continue;
          const select = $(`${prefix}${name}`);
          const chosen = select.val();
          if (select.length > 0 && (chosen === null || chosen === "" || chosen === undefined)) select.val(field.default);
        }
        prepare?.apply(this, args);
      },
      defaults,
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
installFormStyle();
installPipelineSidebar();
