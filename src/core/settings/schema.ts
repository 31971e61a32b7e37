import { WaError } from "../errors";

// One description of a node's settings, read by the runtime (readSettingsBySchema) and by the editor
// (its defaults and validators are made from the same description by the pack's shared editor code).

interface FieldBase {
  /** The form's label, in English: errors name the field by it. */
  label: string;
  /** The field counts only when another field has this value (the form hides it otherwise). */
  when?: { field: string; is: string | boolean };
}

export interface NumberField extends FieldBase {
  kind: "number";
  default: number;
  min?: number;
  max?: number;
  /** The value must be above `min`, not equal to it. */
  aboveMin?: boolean;
  /** The value must be below `max`, not equal to it. */
  belowMax?: boolean;
  whole?: boolean;
  /** Another number field of the same node this one may not exceed (or fall below). */
  atMost?: string;
  atLeast?: string;
  /** Written after the range in an error: "seconds", "ms". */
  unit?: string;
  /** A blank value is allowed and read as `undefined` (the default is then only the form's). */
  optional?: boolean;
}

export interface ChoiceField extends FieldBase {
  kind: "choice";
  default: string;
  options: readonly string[];
}

export interface TextField extends FieldBase {
  kind: "text";
  default: string;
  /** A regular expression (source, `u` flag) the whole value must match; blank values are checked too. */
  pattern?: string;
  /** What the pattern asks for, in English, for the error: "1 to 64 letters, digits, '.', '_' or '-'". */
  expects?: string;
  /** Kept as typed (no trimming), e.g. a multi-line list. */
  raw?: boolean;
  /** There is no default: the form asks for a value (the blank default is refused by the pattern). */
  required?: boolean;
  /** A value the field takes, when the default is blank and refused (shown in errors' tests and docs). */
  example?: string;
}

export interface BooleanField extends FieldBase {
  kind: "boolean";
  default: boolean;
}

export interface ConfigField extends FieldBase {
  kind: "config";
  /** The config node type the field refers to. */
  type: string;
  /**
   * The editor marks the field until one is chosen. The runtime does not refuse a blank one: the node
   * reports the missing connection or store in its own status, as it does for one that was deleted.
   */
  required?: boolean;
  default: "";
}

export type SettingField = NumberField | ChoiceField | TextField | BooleanField | ConfigField;
export type SettingsSchema = Record<string, SettingField>;

type ValueOf<F extends SettingField> = F extends NumberField
  ? F["optional"] extends true
    ? number | undefined
    : number
  : F extends BooleanField
    ? boolean
    : F extends ChoiceField
      ? F["options"][number]
      : string;

export type SettingValues<S extends SettingsSchema> = { [K in keyof S]: ValueOf<S[K]> };

/** A node's properties in the flow as Node-RED hands them over: anything, until read by the schema. */
export type FlowConfigOf<S extends SettingsSchema> = { [K in keyof S]?: unknown };

/** Checks a schema for mistakes that would only show at run time (a test runs it on every node's schema). */
export function schemaProblems(schema: SettingsSchema): string[] {
  const problems: string[] = [];
  for (const [name, field] of Object.entries(schema)) {
    if (field.when !== undefined && schema[field.when.field] === undefined)
      problems.push(`${name}: when names no field ${field.when.field}`);
    if (field.kind === "number") {
      for (const other of [field.atMost, field.atLeast]) {
        if (other !== undefined && schema[other]?.kind !== "number") problems.push(`${name}: ${other} is not a number field`);
      }
      if (!field.optional && fieldProblem(schema, name, field.default, defaultsOf(schema)) !== undefined) {
        problems.push(`${name}: the default ${field.default} is refused by the field itself`);
      }
    }
    if (field.kind === "choice" && !field.options.includes(field.default)) problems.push(`${name}: the default is not an option`);
    if (field.kind === "text" && field.pattern !== undefined) {
      const pattern = new RegExp(`^(?:${field.pattern})$`, "u");
      // A field that counts only in some forms may start blank and be asked for when it counts.
      if (!field.required && field.when === undefined && !pattern.test(field.default))
        problems.push(`${name}: the default does not match the pattern`);
      if (field.required && (field.example === undefined || !pattern.test(field.example)))
        problems.push(`${name}: a required field needs an example its pattern takes`);
    }
  }
  return problems;
}

/** The defaults of every field, as the form would fill them in. */
export function defaultsOf(schema: SettingsSchema): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema).map(([name, field]) => [name, field.default]));
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

/** The number a form value stands for: blank is the default (or undefined when optional), anything else must be a finite number. */
function numberOf(field: NumberField, value: unknown): number | undefined {
  if (isBlank(value)) return field.optional ? undefined : field.default;
  const parsed = typeof value === "number" ? value : Number(typeof value === "string" ? value.trim() : value);
  return Number.isFinite(parsed) ? parsed : Number.NaN;
}

/**
 * Finds the text of a key in the reader's language, or gives the English one with its `__name__` placeholders filled.
 * Keys starting with "settings." are the pack's shared words; "field.<name>" (a field's label) and "expects.<name>"
 * (what a text field takes) belong to the node whose schema it is. The runtime and the editor translate; the core does not.
 */
export type SettingsWords = (key: string, english: string, params?: Record<string, string | number>) => string;

export const englishWords: SettingsWords = (_key, english, params) =>
  english.replace(/__(\w+)__/g, (placeholder, name: string) => (params?.[name] !== undefined ? String(params[name]) : placeholder));

/** Why a value cannot be a field's setting, in a shape any language can tell (describeFieldIssue). */
export type FieldIssue = { name: string; field: SettingField } & (
  | { rule: "range" }
  | { rule: "beyondField"; atMost: boolean; other: string; otherField: NumberField; bound: number }
  | { rule: "choice"; got: string }
  | { rule: "textExpected" }
  | { rule: "pattern" }
);

/** The catalogue key of a unit written after a range: "pixels (0: never)" is settings.units.pixels0Never. */
export function unitKey(unit: string): string {
  const words = unit.replace(/%/g, " percent ").match(/[A-Za-z0-9]+/g) ?? [];
  const camel = words.map((word, i) => (i === 0 ? word.toLowerCase() : word[0].toUpperCase() + word.slice(1).toLowerCase())).join("");
  return `settings.units.${camel}`;
}

function rangeText(field: NumberField, words: SettingsWords): string {
  const { min, max } = field;
  const lower = (n: number) =>
    field.aboveMin ? words("settings.above", "above __n__", { n }) : words("settings.atLeast", "at least __n__", { n });
  const upper = (n: number) =>
    field.belowMax ? words("settings.below", "below __n__", { n }) : words("settings.atMost", "at most __n__", { n });
  let range: string;
  if (min !== undefined && max !== undefined && (field.aboveMin || field.belowMax)) {
    range = words("settings.both", "__lower__ and __upper__", { lower: lower(min), upper: upper(max) });
  } else if (min !== undefined && max !== undefined) range = words("settings.fromTo", "__min__ to __max__", { min, max });
  else if (min !== undefined) range = lower(min);
  else if (max !== undefined) range = upper(max);
  else return field.whole ? words("settings.wholeNumber", "a whole number") : words("settings.number", "a number");
  if (field.whole) range = words("settings.wholeRange", "a whole number, __range__", { range });
  return field.unit ? words("settings.withUnit", "__range__ __unit__", { range, unit: words(unitKey(field.unit), field.unit) }) : range;
}

/** The text of an issue for a person, naming the field by its label: English unless `words` translates. */
export function describeFieldIssue(issue: FieldIssue, words: SettingsWords = englishWords): string {
  const { field, name } = issue;
  let problem: string;
  if (issue.rule === "range") problem = rangeText(field as NumberField, words);
  else if (issue.rule === "beyondField") {
    const other = words(`field.${issue.other}`, issue.otherField.label);
    problem = issue.atMost
      ? words("settings.atMostField", "at most __other__ (__bound__)", { other, bound: issue.bound })
      : words("settings.atLeastField", "at least __other__ (__bound__)", { other, bound: issue.bound });
  } else if (issue.rule === "choice") {
    const options = (field as ChoiceField).options.join(", ");
    problem = words("settings.oneOf", "one of __options__ (got __got__)", { options, got: issue.got });
  } else if (issue.rule === "textExpected") problem = words("settings.textExpected", "text expected");
  else {
    const expects = (field as TextField).expects;
    problem = expects === undefined ? words("settings.notTaken", "not a value it takes") : words(`expects.${name}`, expects);
  }
  return words("settings.problem", "__label__: __problem__", { label: words(`field.${name}`, field.label), problem });
}

/**
 * Why `value` cannot be the field's setting, or undefined when it can. `form` holds the other fields' values,
 * for atMost / atLeast.
 */
export function fieldIssue(schema: SettingsSchema, name: string, value: unknown, form: Record<string, unknown>): FieldIssue | undefined {
  const field = schema[name];
  if (field.when !== undefined && !conditionHolds(schema, field.when, form)) return undefined;
  if (field.kind === "number") {
    const n = numberOf(field, value);
    if (n === undefined) return undefined;
    const outOfRange =
      Number.isNaN(n) ||
      (field.whole === true && !Number.isInteger(n)) ||
      (field.min !== undefined && (field.aboveMin ? n <= field.min : n < field.min)) ||
      (field.max !== undefined && (field.belowMax ? n >= field.max : n > field.max));
    if (outOfRange) return { name, field, rule: "range" };
    for (const [other, atMost] of [
      [field.atMost, true],
      [field.atLeast, false],
    ] as const) {
      if (other === undefined) continue;
      const otherField = schema[other] as NumberField;
      const bound = numberOf(otherField, form[other]);
      if (bound === undefined || Number.isNaN(bound)) continue;
      if (atMost ? n > bound : n < bound) return { name, field, rule: "beyondField", atMost, other, otherField, bound };
    }
    return undefined;
  }
  if (field.kind === "choice") {
    const chosen = isBlank(value) ? field.default : String(value).trim();
    return field.options.includes(chosen) ? undefined : { name, field, rule: "choice", got: chosen.slice(0, 40) };
  }
  if (field.kind === "text") {
    if (value !== undefined && value !== null && typeof value !== "string") return { name, field, rule: "textExpected" };
    const text = textOf(field, value);
    if (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`, "u").test(text)) return { name, field, rule: "pattern" };
    return undefined;
  }
  return undefined;
}

/** Why `value` cannot be the field's setting, in English, or undefined when it can. */
export function fieldProblem(schema: SettingsSchema, name: string, value: unknown, form: Record<string, unknown>): string | undefined {
  const issue = fieldIssue(schema, name, value, form);
  return issue === undefined ? undefined : describeFieldIssue(issue);
}

/** config.invalid from a node's settings: its message is English, its issue lets the runtime tell it in the reader's language. */
export class SettingsError extends WaError {
  readonly issue: FieldIssue;

  constructor(issue: FieldIssue) {
    super("config.invalid", describeFieldIssue(issue), { field: issue.name });
    this.name = "SettingsError";
    this.issue = issue;
  }
}

function conditionHolds(schema: SettingsSchema, when: { field: string; is: string | boolean }, form: Record<string, unknown>): boolean {
  const other = schema[when.field];
  const value = form[when.field];
  if (other.kind === "boolean") return booleanOf(other, value) === when.is;
  return (isBlank(value) ? other.default : String(value).trim()) === when.is;
}

function textOf(field: TextField, value: unknown): string {
  if (typeof value !== "string") return field.default;
  if (field.raw) return value;
  return value.trim() === "" ? field.default : value.trim();
}

function booleanOf(field: BooleanField, value: unknown): boolean {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return field.default;
}

/**
 * A node's settings read from its flow config by its schema: blanks become defaults, numbers are
 * parsed, and the first field that cannot be used throws `config.invalid` naming the field.
 */
export function readSettingsBySchema<S extends SettingsSchema>(schema: S, flowConfig: object): SettingValues<S> {
  const config = flowConfig as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema)) {
    const issue = fieldIssue(schema, name, config[name], config);
    if (issue !== undefined) throw new SettingsError(issue);
    const value = config[name];
    if (field.kind === "number") values[name] = numberOf(field, value);
    else if (field.kind === "boolean") values[name] = booleanOf(field, value);
    else if (field.kind === "text") values[name] = textOf(field, value);
    else if (field.kind === "choice") values[name] = isBlank(value) ? field.default : String(value).trim();
    else values[name] = typeof value === "string" ? value : "";
  }
  return values as SettingValues<S>;
}
