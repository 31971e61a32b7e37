import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { schemasByType } from "../../src/nodes/schemas";

const TESTS = join(__dirname, "..");

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return name.endsWith(".ts") ? [readFileSync(path, "utf8")] : [];
  });
}

describe("every option of every node's form is set by a test that runs the node", () => {
  const deployed = [...sourcesUnder(join(TESTS, "nodes")), ...sourcesUnder(join(TESTS, "e2e"))].join("\n");

  for (const [type, schema] of Object.entries(schemasByType)) {
    it(type, () => {
      const untested = Object.keys(schema).filter((field) => field !== "name" && !new RegExp(`\\b${field}\\s*:`).test(deployed));
      assert.deepEqual(untested, [], `${type}: no node or runtime test sets ${untested.join(", ")}`);
    });
  }
});
