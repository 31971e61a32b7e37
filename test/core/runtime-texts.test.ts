import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";

// Every runtime text a node asks for exists where Node-RED will look for it: a node's own texts
// (nodeText) in its own locale file, the shared ones (translate) in the wa-client set's file.
const root = join(__dirname, "..", "..");
const locales = join(root, "nodes", "locales", "en-US");
const catalogue = (file: string) => JSON.parse(readFileSync(join(locales, file), "utf8")) as Record<string, unknown>;

function lookup(texts: Record<string, unknown>, key: string): unknown {
  return key
    .split(".")
    .reduce<unknown>((at, part) => (at && typeof at === "object" ? (at as Record<string, unknown>)[part] : undefined), texts);
}

/** Keys given as string literals, and the fixed part of template keys (`health.${level}` → health). */
function keysIn(source: string, call: RegExp): { fixed: string[]; prefixes: string[] } {
  const fixed: string[] = [];
  const prefixes: string[] = [];
  for (const match of source.matchAll(call)) {
    const [, quote, key] = match;
    if (quote === "`" && key.includes("${")) prefixes.push(key.slice(0, key.indexOf("${")).replace(/\.$/, ""));
    else fixed.push(key);
  }
  return { fixed, prefixes };
}

describe("runtime texts: each in the locale file its node reads", () => {
  const nodeSources = readdirSync(join(root, "src", "nodes")).filter((f) => /^wa-.*\.ts$/.test(f));
  const kitSources = readdirSync(join(root, "src", "nodes", "kit")).map((f) => join("kit", f));
  const shared = catalogue("wa-client.json");

  for (const file of nodeSources) {
    const type = basename(file, ".ts");
    it(`${type}: its own texts in ${type}.json`, () => {
      const source = readFileSync(join(root, "src", "nodes", file), "utf8");
      const { fixed, prefixes } = keysIn(source, /nodeText\(\s*(["`])([^"`]+)\1/g);
      const own = catalogue(`${type}.json`);
      assert.deepEqual(
        fixed.filter((key) => typeof lookup(own, key) !== "string"),
        [],
        "missing texts",
      );
      assert.deepEqual(
        prefixes.filter((key) => typeof lookup(own, key) !== "object"),
        [],
        "missing groups of texts",
      );
      // Its own namespace: named (nodeTexts(RED, "<type>")) or the node's own type, from startNode's `text`.
      if (fixed.length + prefixes.length > 0)
        assert.match(source, new RegExp(`nodeTexts\\(RED, "${type}"\\)|\\btext: nodeText\\b[^=]*\\} = started;`));
    });
  }

  it("finds the texts the nodes ask for (the scan reads calls split over lines too)", () => {
    const found = nodeSources.flatMap(
      (file) => keysIn(readFileSync(join(root, "src", "nodes", file), "utf8"), /nodeText\(\s*(["`])([^"`]+)\1/g).fixed,
    );
    const calls = nodeSources.map((file) => readFileSync(join(root, "src", "nodes", file), "utf8").match(/\bnodeText\(/g)?.length ?? 0);
    assert.equal(
      found.length +
        nodeSources.flatMap(
          (file) => keysIn(readFileSync(join(root, "src", "nodes", file), "utf8"), /nodeText\(\s*(["`])([^"`]+)\1/g).prefixes,
        ).length,
      calls.reduce((a, b) => a + b, 0),
    );
    assert.ok(found.length >= 40, `${found.length} texts`);
  });

  it("the kit and the nodes find the shared texts in wa-client.json", () => {
    const missing: string[] = [];
    for (const file of [...nodeSources, ...kitSources]) {
      const { fixed, prefixes } = keysIn(readFileSync(join(root, "src", "nodes", file), "utf8"), /translate\(\s*RED,\s*(["`])([^"`]+)\1/g);
      missing.push(...fixed.filter((key) => typeof lookup(shared, key) !== "string").map((key) => `${file}: ${key}`));
      missing.push(...prefixes.filter((key) => typeof lookup(shared, key) !== "object").map((key) => `${file}: ${key}.*`));
    }
    assert.deepEqual(missing, []);
  });
});
