import type { SettingField, SettingsSchema } from "../core/settings/schema";

// The forms' ordinary rows are written as one-line macros in nodes/<type>.html and made into Node-RED
// form rows by the build, from the node's settings schema: the control follows the field's kind, the
// options of a choice are the schema's, a number input's range is the schema's. Rows that are not
// ordinary (two inputs in one row, a list, buttons) stay written out in the template.
//
//   <wa-row field="maxPerChat" icon="user" hint="hint.messages" class="wa-queue-enqueue"></wa-row>
//
// Attributes: field, icon (Font Awesome name without "fa-"), class and row-style (of the row), label,
// hint, tip, placeholder and options (locale keys below the node type), input ("text", "number" or
// "password", for a text or number field), width (of the control), prefix (text before it, e.g. "msg."),
// unit (text after it), inline (a checkbox written inside its label), aligned (a checkbox under the
// inputs of the rows above, its label after it), credential (the field is one of the
// node's credentials, kept by Node-RED's credentials API and not in the schema: a text input).

const ATTRIBUTE = /([a-z-]+)="([^"]*)"/g;
const KNOWN = new Set([
  "field",
  "icon",
  "class",
  "row-style",
  "label",
  "hint",
  "tip",
  "placeholder",
  "options",
  "input",
  "width",
  "prefix",
  "unit",
  "inline",
  "credential",
  "aligned",
]);

export interface FormRowContext {
  type: string;
  schema: SettingsSchema;
  /** "node-input" for a node's form, "node-config-input" for a config node's. */
  idPrefix: "node-input" | "node-config-input";
}

function attributesOf(text: string, type: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of text.matchAll(ATTRIBUTE)) {
    if (!KNOWN.has(match[1])) throw new Error(`${type}: <wa-row> has no attribute "${match[1]}"`);
    attributes.set(match[1], match[2]);
  }
  const leftover = text.replace(ATTRIBUTE, "").trim();
  for (const flag of leftover.split(/\s+/).filter(Boolean)) {
    if (flag !== "inline" && flag !== "credential" && flag !== "aligned") throw new Error(`${type}: cannot read <wa-row${text}>`);
    attributes.set(flag, "");
  }
  return attributes;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

function styleOf(width: string | undefined): string {
  return width === undefined ? "" : ` style="width:${escapeAttribute(width)}"`;
}

function control(field: SettingField, name: string, id: string, attributes: Map<string, string>, context: FormRowContext): string {
  const key = (suffix: string) => `${context.type}.${suffix}`;
  const width = attributes.get("width");
  if (field.kind === "choice") {
    const optionKeys = key(attributes.get("options") ?? name);
    const options = field.options.map((value) => `    <option value="${value}" data-i18n="${optionKeys}.${value}"></option>\n`).join("");
    return `<select id="${id}"${styleOf(width)}>\n${options}  </select>`;
  }
  if (field.kind === "boolean") return `<input type="checkbox" id="${id}" style="width:auto; margin:0" />`;
  const input = attributes.get("input") ?? "text";
  if (!["text", "number", "password"].includes(input))
    throw new Error(`${context.type}.${name}: <wa-row input="${input}"> is not an input`);
  let range = "";
  if (input === "number") {
    if (field.kind !== "number") throw new Error(`${context.type}.${name}: a number input for a ${field.kind} field`);
    // The browser's arrows step from min: a fraction allowed (0.01 MB) must not make 1 a wrong value.
    const step = field.whole === true ? "" : ` step="any"`;
    range = `${field.min === undefined ? "" : ` min="${field.min}"`}${field.max === undefined ? "" : ` max="${field.max}"`}${step}`;
  }
  const placeholder = attributes.get("placeholder");
  const placeholderAttribute = placeholder === undefined ? "" : ` data-i18n="[placeholder]${key(placeholder)}"`;
  return `<input type="${input}" id="${id}"${range}${placeholderAttribute}${styleOf(width)} />`;
}

function expandOne(text: string, context: FormRowContext): string {
  const { type, schema } = context;
  const attributes = attributesOf(text, type);
  const name = attributes.get("field");
  if (name === undefined) throw new Error(`${type}: <wa-row> without a field`);
  const field: SettingField | undefined = attributes.has("credential") ? { kind: "text", label: name, default: "" } : schema[name];
  if (attributes.has("credential") && schema[name] !== undefined) throw new Error(`${type}.${name}: a schema field is not a credential`);
  if (field === undefined) throw new Error(`${type}: <wa-row field="${name}">: the schema has no such field`);
  const key = (suffix: string) => `${type}.${suffix}`;
  const id = `${context.idPrefix}-${name}`;
  const labelKey = key(attributes.get("label") ?? `label.${name}`);
  const rowClass = ["form-row", ...(attributes.get("class") ?? "").split(/\s+/).filter(Boolean)].join(" ");
  const rowStyle = attributes.has("row-style") ? ` style="${escapeAttribute(attributes.get("row-style")!)}"` : "";
  const lines = [`<div class="${rowClass}"${rowStyle}>`];
  if (attributes.has("inline")) {
    if (field.kind !== "boolean") throw new Error(`${type}.${name}: only a checkbox is written inline`);
    lines.push(
      `  <label for="${id}" style="width:auto"><input type="checkbox" id="${id}" style="width:auto; margin:0 6px 0 0" /><span data-i18n="${labelKey}"></span></label>`,
    );
  } else if (attributes.has("aligned")) {
    if (field.kind !== "boolean") throw new Error(`${type}.${name}: only a checkbox is aligned`);
    lines.push(
      `  <label>&nbsp;</label>`,
      `  <input type="checkbox" id="${id}" style="width:auto; margin:0 6px 0 0" />`,
      `  <label for="${id}" style="width:70%"><span data-i18n="${labelKey}"></span></label>`,
    );
  } else {
    const icon = attributes.get("icon");
    if (icon === undefined) throw new Error(`${type}.${name}: <wa-row> without an icon`);
    lines.push(`  <label for="${id}"><i class="fa fa-${escapeAttribute(icon)}"></i> <span data-i18n="${labelKey}"></span></label>`);
    const hint = attributes.get("hint");
    const unit = attributes.get("unit");
    const after = `${unit === undefined ? "" : ` ${unit}`}${hint === undefined ? "" : ` <span data-i18n="${key(hint)}"></span>`}`;
    lines.push(`  ${attributes.get("prefix") ?? ""}${control(field, name, id, attributes, context)}${after}`);
  }
  const tip = attributes.get("tip");
  if (tip !== undefined) lines.push(`  <div class="form-tips" data-i18n="${key(tip)}"></div>`);
  lines.push(`</div>`);
  return lines.join("\n");
}

/**
 * The template with every `<wa-row>` made into a form row; the row keeps the macro's indentation. A macro
 * stands on a line of its own (one not at a line's start is left as it is, and the form test catches it).
 */
export function expandFormRows(html: string, context: FormRowContext): string {
  return html.replace(/^([ \t]*)<wa-row\b([^>]*)><\/wa-row>/gm, (_all, indent: string, text: string) =>
    expandOne(text, context)
      .split("\n")
      .map((line) => indent + line)
      .join("\n"),
  );
}

/** The fields a template's rows (written out or made from macros) give an input of the form. */
export function fieldsWithInputs(expanded: string, idPrefix: FormRowContext["idPrefix"]): Set<string> {
  const found = new Set<string>();
  for (const match of expanded.matchAll(new RegExp(`id="${idPrefix}-([A-Za-z0-9_]+)"`, "g"))) found.add(match[1]);
  return found;
}

/**
 * The HTML Node-RED loads for a node type, from its source in nodes/: the pack's shared editor code
 * first (served from the pack's resources/ folder), then the source with its form rows made.
 */
export function nodeHtml(source: string, type: string, schema: SettingsSchema, packageName: string): string {
  const idPrefix = /category:\s*"config"/.test(source) ? "node-config-input" : "node-input";
  const shared = `<script type="text/javascript" src="resources/${packageName}/editor.js"></script>\n`;
  return shared + expandFormRows(source, { type, schema, idPrefix });
}
