import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { USER_FILE_TERMS } from "../../src/core/store/user-files";

const root = join(__dirname, "..", "..");
const shared = JSON.parse(readFileSync(join(root, "nodes", "locales", "en-US", "wa-client.json"), "utf8")) as {
  errors: Record<string, Record<string, string>>;
  terms: Record<string, string> & { state: Record<string, string> };
};
const catalogue = shared.errors;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The text of a call from its opening parenthesis at `start` to the one that closes it, counting nested brackets. */
function callAt(text: string, start: number): string {
  let depth = 0;
  let end = start;
  for (; end < text.length; end += 1) {
    const c = text[end];
    if (c === "(" || c === "{" || c === "[") depth += 1;
    else if (c === ")" || c === "}" || c === "]") {
      depth -= 1;
      if (depth === 0) break;
    }
  }
  return text.slice(start, end + 1);
}

/** Every `invalidSetting(field, "text", english, { params })` in the sources whose text is written out. */
function invalidSettings(): { file: string; text: string; params: string[]; call: string }[] {
  const found: { file: string; text: string; params: string[]; call: string }[] = [];
  for (const file of sources(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/invalidSetting\(\s*[^,()]+,\s*"(\w+)"/g)) {
      const call = callAt(text, match.index + "invalidSetting".length);
      const object = /,\s*(\{[^{}]*\})\s*,?\s*\)$/.exec(call.replace(/`[^`]*`/g, '""'));
      const params = object ? [...object[1].matchAll(/([A-Za-z_]\w*)\s*(?=[:,}])/g)].map((m) => m[1]) : [];
      found.push({ file: file.slice(root.length + 1), text: match[1], params, call });
    }
  }
  return found;
}

/** Every `new WaError("code", message, { params })` in the sources, with the names of its params. */
function constructions(): { file: string; code: string; params: string[] | undefined; text: string }[] {
  const found: { file: string; code: string; params: string[] | undefined; text: string }[] = [];
  for (const file of sources(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    const pattern = /new WaError\(\s*"([a-zA-Z]+\.[a-zA-Z]+)"/g;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const call = `new WaError${callAt(text, match.index + "new WaError".length)}`;
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

  it("says every refused setting by a text of the catalogue (errors.config), with each placeholder given where it is raised", () => {
    const settings = invalidSettings();
    assert.ok(settings.length > 40, `found ${settings.length}`);
    const texts = catalogue.config;
    const problems: string[] = [];
    for (const call of settings) {
      const template = texts[call.text];
      if (typeof template !== "string") {
        problems.push(`${call.file}: errors.config.${call.text} is not in the catalogue`);
        continue;
      }
      // <name>Term gives <name> (a term of the catalogue, in the reader's language).
      const given = call.params.map((name) => name.replace(/Term$/, ""));
      for (const [, name] of template.matchAll(/__(\w+)__/g))
        if (!given.includes(name)) problems.push(`${call.file}: errors.config.${call.text} has no ${name}: ${call.call}`);
    }
    // A text raised through a helper (the warm-up schedule's lines, training) is named in the source all the same.
    const everything = sources(join(root, "src"))
      .map((file) => readFileSync(file, "utf8"))
      .join("\n");
    for (const text of Object.keys(texts)) if (!everything.includes(`"${text}"`)) problems.push(`errors.config.${text} is raised nowhere`);
    assert.deepEqual(problems, []);
  });

  it("raises config.invalid with an English-only text only for checks the settings schema makes first (the form cannot reach them)", () => {
    // Invariants of the core's own options, guarded by each node's schema, and a store key holding another kind of value.
    const behindTheSchema = new Set([
      "src/core/session/store-queue.ts",
      "src/core/session/session-state.ts",
      "src/core/session/session-lock.ts",
      "src/core/session/keyed-dispatcher.ts",
      "src/core/store/sqlite-store.ts",
      "src/core/store/memory-store.ts",
      "src/core/store/redis-store.ts",
      "src/core/transport/session-archive-store.ts",
      "src/core/transport/cloud-api.ts",
      "src/core/transport/simulator.ts",
      "src/core/perf/warmup.ts",
      "src/core/perf/perf-monitor.ts",
      "src/core/perf/send-pacer.ts",
      "src/core/resilience/circuit-breaker.ts",
      "src/core/media/speech/acoustic-adaptation.ts",
      "src/core/settings/schema.ts",
      // The connection's own text of why its Sheets cannot be used.
      "src/nodes/kit/contracts.ts",
      // invalidSetting itself.
      "src/core/errors.ts",
      // Crosses the engine thread as media.unreadable's reason.
      "src/core/media/speech/speech-offline-worker.ts",
    ]);
    const english = calls.filter((call) => call.code === "config.invalid" && !behindTheSchema.has(call.file)).map((call) => call.file);
    assert.deepEqual(english, []);
  });

  it("names the files a form points at by terms of the catalogue, the same in English", () => {
    assert.deepEqual(
      Object.entries(USER_FILE_TERMS).filter(([term, english]) => shared.terms[term] !== english),
      [],
    );
  });

  it("names every state a connection can be in by a term of the catalogue (transport.notReady's __state__)", () => {
    const declared = /export type TransportState = ([^;]+);/.exec(
      readFileSync(join(root, "src", "core", "transport", "transport.ts"), "utf8"),
    );
    const states = [...declared![1].matchAll(/"(\w+)"/g)].map((m) => m[1]);
    // "none": no connection is configured.
    assert.deepEqual(Object.keys(shared.terms.state).sort(), [...states, "none"].sort());
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
