import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

describe("figures in the README and docs/", () => {
  it("are what the committed result files say (npm run figures writes them)", () => {
    const output = execFileSync(process.execPath, [join(root, "scripts", "figures.mjs"), "--check"], { cwd: root, encoding: "utf8" });
    assert.match(output, /match the committed result files/);
  });

  it("has every figure table generated, none written by hand", () => {
    const readme = ["README.md", ...readdirSync(join(root, "docs")).map((name) => join("docs", name))]
      .filter((page) => page.endsWith(".md"))
      .map((page) => readFileSync(join(root, page), "utf8"))
      .join("\n");
    for (const name of [
      "glance",
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
