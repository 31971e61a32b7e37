import { SettingField, SettingsWords, englishWords } from "../../core/settings/schema";
import { COMMON_NAMESPACE, MODULE_NAME } from "../kit/red";
import { schemasByType } from "./index";

/** Looks a key up in one catalogue namespace: the text, or undefined when the catalogue has no such key. */
export type CatalogueLookup = (namespace: string, key: string, params?: Record<string, string | number>) => string | undefined;

/** What Node-RED's `RED._` gave for `key`: the text, or undefined when no catalogue has it (i18next gives the key back then). */
export function catalogueAnswer(translated: unknown, key: string): string | undefined {
  return typeof translated === "string" && translated !== "" && !translated.endsWith(key) ? translated : undefined;
}

/** The node type whose schema holds this field (a schema's fields are its own objects), undefined for none. */
export function typeOfField(field: SettingField): string | undefined {
  return Object.entries(schemasByType).find(([, schema]) => Object.values(schema).includes(field))?.[0];
}

/**
 * The words of a settings problem of `type` from Node-RED's catalogues: the shared ones (settings.*) from the pack's
 * common set, a field's name from the node's own `field.<name>` or else the label its form shows (`label.<name>`),
 * what a text field takes from `expects.<name>`. English where a catalogue has nothing.
 */
export function settingsWordsFor(type: string | undefined, lookup: CatalogueLookup): SettingsWords {
  return (key, english, params) => {
    if (key.startsWith("settings.")) return lookup(COMMON_NAMESPACE, key, params) ?? englishWords(key, english, params);
    if (type === undefined) return englishWords(key, english, params);
    const namespace = `${MODULE_NAME}/${type}`;
    const keys = key.startsWith("field.") ? [key, `label.${key.slice("field.".length)}`] : [key];
    for (const candidate of keys) {
      const text = lookup(namespace, `${type}.${candidate}`, params);
      if (text !== undefined) return text;
    }
    return englishWords(key, english, params);
  };
}
