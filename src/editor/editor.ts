import { schemasByType } from "../nodes/schemas";
import { EditorDefault, editorDefaults } from "./defaults";

// The pack's shared editor code, bundled into resources/editor.js by the build and loaded by every
// node's HTML from Node-RED's resources path. Only the little of jQuery and of the editor it uses is declared.
declare const $: (selector: string) => { length: number; val(): unknown };

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
  /** A `paletteLabel` function in the editor's language. */
  paletteLabel(type: string): (this: LabelledNode) => string {
    return function (this: LabelledNode) {
      return this._(`${type}.paletteLabel`);
    };
  },
};

(globalThis as unknown as { WaPipeline: typeof WaPipeline }).WaPipeline = WaPipeline;
