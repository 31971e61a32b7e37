import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const catalogue = (
  JSON.parse(readFileSync(join(root, "nodes", "locales", "en-US", "wa-client.json"), "utf8")) as {
    errors: Record<string, Record<string, string>>;
  }
).errors;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Every `new WaError("code", message, { params })` in the sources, with the names of its params. */
function constructions(): { file: string; code: string; params: string[] | undefined; text: string }[] {
  const found: { file: string; code: string; params: string[] | undefined; text: string }[] = [];
  for (const file of sources(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    const pattern = /new WaError\(\s*"([a-zA-Z]+\.[a-zA-Z]+)"/g;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      // The call's text up to its closing parenthesis, counting nested brackets.
      let depth = 0;
      let end = match.index + "new WaError".length;
      for (; end < text.length; end += 1) {
        const c = text[end];
        if (c === "(" || c === "{" || c === "[") depth += 1;
        else if (c === ")" || c === "}" || c === "]") {
          depth -= 1;
          if (depth === 0) break;
        }
      }
      const call = text.slice(match.index, end + 1);
      const object = /,\s*(\{[^{}]*\})\s*(?:,\s*\{\s*cause[^}]*\})?\s*,?\s*\)$/.exec(call.replace(/`[^`]*`/g, '""'));
      const params = object ? [...object[1].matchAll(/([A-Za-z_]\w*)\s*(?=[:,}])/g)].map((m) => m[1]) : undefined;
      found.push({ file: file.slice(root.length + 1), code: match[1], params, text: call });
    }
  }
  return found;
}

describe("error catalogue", () => {
  const calls = constructions();

  it("finds the pack's errors in the sources", () => {
    assert.ok(calls.length > 200, `found ${calls.length}`);
  });

  it("has an English text for every code the sources raise", () => {
    // config.invalid is said in English only, field by field (its one-line texts are not in the catalogue yet).
    const missing = [...new Set(calls.map((c) => c.code))]
      .filter((code) => code !== "config.invalid")
      .filter((code) => {
        const [namespace, key] = code.split(".");
        return typeof catalogue[namespace]?.[key] !== "string";
      });
    assert.deepEqual(missing, []);
  });

  it("gets every placeholder of its text from each place that raises it, so no message reads '__size__' or 'is more bytes'", () => {
    const problems: string[] = [];
    for (const call of calls) {
      const [namespace, key] = call.code.split(".");
      // i18next's context: { context: "pixels" } reads the text of key_pixels.
      const context = /context:\s*"(\w+)"/.exec(call.text)?.[1];
      const template = catalogue[namespace]?.[context ? `${key}_${context}` : key];
      if (context && typeof template !== "string") problems.push(`${call.file}: ${call.code} has no text for context ${context}`);
      if (typeof template !== "string") continue;
      const placeholders = [...template.matchAll(/__(\w+)__/g)].map((m) => m[1]);
      const given = call.params ?? [];
      for (const name of placeholders) if (!given.includes(name)) problems.push(`${call.file}: ${call.code} has no ${name}: ${call.text}`);
    }
    assert.deepEqual(problems, []);
  });

  it("fills a numeric placeholder only with a number", () => {
    // "The media is __size__ bytes": a reason or "more" in size read as "The media is more bytes".
    const numeric: Record<string, string[]> = { "media.tooLarge": ["size", "max"] };
    const problems = calls
      .filter((call) => numeric[call.code])
      .filter((call) => /size:\s*(reason|"more"|`|max \+)/.test(call.text))
      .map((call) => `${call.file}: ${call.text}`);
    assert.deepEqual(problems, []);
  });
});
