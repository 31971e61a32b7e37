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

function rangeText(field: NumberField): string {
  const unit = field.unit ? ` ${field.unit}` : "";
  const { min, max } = field;
  let range: string;
  if (min !== undefined && max !== undefined && (field.aboveMin || field.belowMax)) {
    range = `${field.aboveMin ? "above" : "at least"} ${min} and ${field.belowMax ? "below" : "at most"} ${max}`;
  } else if (min !== undefined && max !== undefined) range = `${min} to ${max}`;
  else if (min !== undefined) range = `${field.aboveMin ? "above" : "at least"} ${min}`;
  else if (max !== undefined) range = `at most ${max}`;
  else return field.whole ? "a whole number" : "a number";
  return `${field.whole ? `a whole number, ${range}` : range}${unit}`;
}

/**
 * Why `value` cannot be the field's setting (English, naming the field by its label), or undefined
 * when it can. `form` holds the other fields' values, for atMost / atLeast.
 */
export function fieldProblem(schema: SettingsSchema, name: string, value: unknown, form: Record<string, unknown>): string | undefined {
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
    if (outOfRange) return `${field.label}: ${rangeText(field)}`;
    for (const [other, atMost] of [
      [field.atMost, true],
      [field.atLeast, false],
    ] as const) {
      if (other === undefined) continue;
      const otherField = schema[other] as NumberField;
      const bound = numberOf(otherField, form[other]);
      if (bound === undefined || Number.isNaN(bound)) continue;
      if (atMost ? n > bound : n < bound) return `${field.label}: ${atMost ? "at most" : "at least"} ${otherField.label} (${bound})`;
    }
    return undefined;
  }
  if (field.kind === "choice") {
    const chosen = isBlank(value) ? field.default : String(value).trim();
    return field.options.includes(chosen) ? undefined : `${field.label}: one of ${field.options.join(", ")} (got ${chosen.slice(0, 40)})`;
  }
  if (field.kind === "text") {
    if (value !== undefined && value !== null && typeof value !== "string") return `${field.label}: text expected`;
    const text = textOf(field, value);
    if (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`, "u").test(text))
      return `${field.label}: ${field.expects ?? "not a value it takes"}`;
    return undefined;
  }
  return undefined;
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
    const problem = fieldProblem(schema, name, config[name], config);
    if (problem !== undefined) throw new WaError("config.invalid", problem, { field: name });
    const value = config[name];
    if (field.kind === "number") values[name] = numberOf(field, value);
    else if (field.kind === "boolean") values[name] = booleanOf(field, value);
    else if (field.kind === "text") values[name] = textOf(field, value);
    else if (field.kind === "choice") values[name] = isBlank(value) ? field.default : String(value).trim();
    else values[name] = typeof value === "string" ? value : "";
  }
  return values as SettingValues<S>;
}
