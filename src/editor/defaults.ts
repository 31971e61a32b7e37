import { SettingsSchema, SettingsWords, describeFieldIssue, englishWords, fieldIssue } from "../core/settings/schema";

/** One entry of a Node-RED node definition's `defaults`. */
export interface EditorDefault {
  value: unknown;
  required?: boolean;
  type?: string;
  validate?: (this: Record<string, unknown>, value: unknown, options?: unknown) => boolean | string;
}

/**
 * Node-RED `defaults` for a node from its settings schema: the same defaults and the same checks
 * the runtime applies. `formValue(name)` gives another field's value as the open form shows it
 * (undefined when no form is open), for checks between fields; `words` tells a problem in the editor's language.
 */
export function editorDefaults(
  schema: SettingsSchema,
  formValue: (name: string) => unknown,
  words: SettingsWords = englishWords,
): Record<string, EditorDefault> {
  const defaults: Record<string, EditorDefault> = {};
  for (const [name, field] of Object.entries(schema)) {
    if (field.kind === "config") {
      defaults[name] = { value: "", type: field.type, required: field.required === true };
      continue;
    }
    defaults[name] = {
      // A blank optional number means "none": the form starts blank.
      value: field.kind === "number" && field.optional === true ? "" : field.default,
      // Only ever true: Node-RED skips the validator of a blank value when `required` is false, and a blank is
      // refused by some fields (a file a choice asks for).
      ...((field.kind === "number" && field.optional !== true) || (field.kind === "text" && field.required === true)
        ? { required: true }
        : {}),
      // With a second argument (Node-RED 3.1 and later) the editor shows the text the validator returns.
      validate(value, options) {
        const form = Object.fromEntries(Object.keys(schema).map((other) => [other, formValue(other) ?? this[other]]));
        const issue = fieldIssue(schema, name, value, form);
        if (issue === undefined) return true;
        return options === undefined ? false : describeFieldIssue(issue, words);
      },
    };
  }
  return defaults;
}
