import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

describe("README figures", () => {
  it("are what the committed result files say (npm run figures writes them)", () => {
    const output = execFileSync(process.execPath, [join(root, "scripts", "figures.mjs"), "--check"], { cwd: root, encoding: "utf8" });
    assert.match(output, /matches the committed result files/);
  });

  it("has every figure table of the README generated, none written by hand", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const name of [
      "performance",
      "media-beside-text",
      "sheets",
      "pipeline",
      "eval-intent",
      "eval-entities",
      "eval-threads",
      "eval-sentiment",
      "eval-media",
      "eval-nodes",
    ]) {
      assert.match(readme, new RegExp(`<!-- figures:${name} -->[\\s\\S]+?<!-- /figures:${name} -->`), name);
    }
  });
});
