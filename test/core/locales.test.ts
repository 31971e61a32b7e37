import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { FieldIssue, NumberField, describeFieldIssue, englishWords } from "../../src/core/settings/schema";
import { schemasByType } from "../../src/nodes/schemas";
import { CatalogueLookup, settingsWordsFor, typeOfField } from "../../src/nodes/schemas/settings-words";

/**
 * The editor's and the runtime's texts in each language the pack ships: every en-US key in each locale and no
 * stray one, the same __placeholders__ in each text, the same markup, no text left in English by mistake, and a
 * translated help panel (where there is one) with the English one's sections.
 */
const root = join(__dirname, "..", "..");
const localesDir = join(root, "nodes", "locales");
export const LANGUAGES = ["pt-BR", "es-ES", "de", "fr"] as const;

type Catalogue = { [key: string]: string | Catalogue };

function read(lang: string, file: string): Catalogue {
  return JSON.parse(readFileSync(join(localesDir, lang, file), "utf8")) as Catalogue;
}

function flatten(catalogue: Catalogue, prefix = ""): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [key, value] of Object.entries(catalogue)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") flat.set(path, value);
    else for (const [inner, text] of flatten(value, path)) flat.set(inner, text);
  }
  return flat;
}

const placeholders = (text: string) => [...text.matchAll(/__([A-Za-z0-9]+)__/g)].map((m) => m[1]).sort();
const tags = (text: string) =>
  [...text.matchAll(/<\/?(b|i|code|br|a|strong|em|span|ul|ol|li|p|kbd|small)\b[^>]*>/gi)].map((m) => m[1].toLowerCase()).sort();
const codes = (text: string) => [...text.matchAll(/`[^`]+`|msg\.[A-Za-z0-9_.]+/g)].map((m) => m[0].replace(/\.+$/, "")).sort();

/** Texts that read the same in every language: product names (capitalised), units, codes, examples. */
function sameInEveryLanguage(text: string): boolean {
  // Placeholders, msg properties, topics, paths and identifiers are the same in every language.
  const words = text.replace(/__[A-Za-z0-9]+__|msg\.[\w.]+|topic \S+|\S*[/.\-:]\S*|\d+\S*/g, " ").match(/\b[a-z][A-Za-z]{3,}/g) ?? [];
  return words.length <= 1;
}

/** The shape of a help panel: its sections, the properties it describes, its list items and code spans. */
function shape(html: string): string {
  const count = (pattern: RegExp) => (html.match(pattern) ?? []).length;
  return `${count(/<h3>/g)} sections, ${count(/<dt[ >]/g)} properties, ${count(/<li>/g)} items, ${count(/<code>/g)} code spans`;
}

function englishHelp(type: string): string {
  const html = readFileSync(join(root, "nodes", `${type}.html`), "utf8");
  const match = new RegExp(`<script type="text/html" data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html);
  return match?.[1] ?? "";
}

describe("locales: every language complete and consistent with en-US", () => {
  const files = readdirSync(join(localesDir, "en-US")).filter((f) => f.endsWith(".json"));

  it("ships the four languages Node-RED's own editor has besides English, with a file per node type", () => {
    for (const lang of LANGUAGES) {
      assert.ok(existsSync(join(localesDir, lang)), `nodes/locales/${lang}`);
      const present = readdirSync(join(localesDir, lang)).filter((f) => f.endsWith(".json"));
      assert.deepEqual(present.sort(), [...files].sort(), `${lang}: one catalogue per node type`);
    }
  });

  for (const lang of LANGUAGES) {
    for (const file of files) {
      it(`${lang}/${file}: the same keys, placeholders and markup as en-US, translated`, () => {
        const english = flatten(read("en-US", file));
        const translated = flatten(read(lang, file));
        assert.deepEqual(
          [...english.keys()].filter((k) => !translated.has(k)),
          [],
          "keys missing",
        );
        assert.deepEqual(
          [...translated.keys()].filter((k) => !english.has(k)),
          [],
          "keys en-US does not have",
        );
        const problems: string[] = [];
        for (const [key, source] of english) {
          const text = translated.get(key)!;
          if (text.trim() === "") problems.push(`${key}: empty`);
          if (placeholders(text).join() !== placeholders(source).join())
            problems.push(`${key}: placeholders ${placeholders(text).join()} for ${placeholders(source).join()}`);
          if (tags(text).join() !== tags(source).join()) problems.push(`${key}: markup differs`);
          if (codes(text).join() !== codes(source).join()) problems.push(`${key}: code or msg properties differ`);
          if (text === source && !sameInEveryLanguage(source)) problems.push(`${key}: still in English ("${source.slice(0, 50)}")`);
        }
        assert.deepEqual(problems, []);
      });
    }
    it(`${lang}: a translated help panel for every node type, shaped like the English one`, () => {
      const types = files.map((f) => f.replace(/\.json$/, ""));
      const problems = types.flatMap((type) => {
        const file = join(localesDir, lang, `${type}.html`);
        if (!existsSync(file)) return [`${type}: no help`];
        const html = readFileSync(file, "utf8");
        if (!html.includes(`data-help-name="${type}"`)) return [`${type}: not this node's help`];
        const [mine, english] = [shape(html), shape(englishHelp(type))];
        return mine === english ? [] : [`${type}: ${mine}, English has ${english}`];
      });
      assert.deepEqual(problems, []);
    });
  }
});

describe("locales: a refused setting told in every language", () => {
  /** Every problem a field of any node's schema can have, as the runtime and the editor describe them. */
  const issues: FieldIssue[] = Object.values(schemasByType).flatMap((schema) =>
    Object.entries(schema).flatMap(([name, field]): FieldIssue[] => {
      if (field.kind === "number") {
        const beyond = (["atMost", "atLeast"] as const).flatMap((side): FieldIssue[] => {
          const other = field[side];
          return other === undefined
            ? []
            : [{ name, field, rule: "beyondField", atMost: side === "atMost", other, otherField: schema[other] as NumberField, bound: 5 }];
        });
        return [{ name, field, rule: "range" }, ...beyond];
      }
      if (field.kind === "choice") return [{ name, field, rule: "choice", got: "other" }];
      if (field.kind === "text")
        return [{ name, field, rule: "textExpected" }, ...(field.pattern ? [{ name, field, rule: "pattern" } as const] : [])];
      return [];
    }),
  );

  /** A catalogue lookup over one language's files, as Node-RED's i18n would answer it, noting the keys it lacks. */
  function catalogueOf(lang: string, missing: string[]): CatalogueLookup {
    const flat = new Map<string, Map<string, string>>();
    return (namespace, key, params) => {
      const file = `${namespace.slice(namespace.lastIndexOf("/") + 1)}.json`;
      if (!flat.has(file)) flat.set(file, flatten(read(lang, file)));
      const text = flat.get(file)!.get(key);
      if (text === undefined) missing.push(`${file}: ${key}`);
      return text === undefined ? undefined : englishWords(key, text, params);
    };
  }

  it("en-US tells every problem exactly as the schema's English does (field names, what a field takes, units)", () => {
    const missing: string[] = [];
    const lookup = catalogueOf("en-US", missing);
    const differ = issues
      .map((issue) => [describeFieldIssue(issue), describeFieldIssue(issue, settingsWordsFor(typeOfField(issue.field), lookup))])
      .filter(([english, fromCatalogue]) => english !== fromCatalogue);
    assert.deepEqual(differ, []);
    assert.ok(issues.length > 300, `${issues.length} problems told`);
  });

  for (const lang of LANGUAGES) {
    it(`${lang}: every word of every problem from the catalogue, none left to the English fallback`, () => {
      const missing: string[] = [];
      const lookup = catalogueOf(lang, missing);
      for (const issue of issues) describeFieldIssue(issue, settingsWordsFor(typeOfField(issue.field), lookup));
      const lacking = new Set(missing);
      // A field's name comes from field.<name>, or else from the label its form shows (label.<name>).
      const nameless = [...lacking].filter((key) => /\.field\./.test(key) && lacking.has(key.replace(".field.", ".label.")));
      assert.deepEqual(
        [...lacking].filter((key) => !/\.(field|label)\./.test(key)),
        [],
        "words missing",
      );
      assert.deepEqual(nameless, [], "a field named in English");
    });
  }
});
