import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const root = join(__dirname, "..", "..");
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Relative link and image targets of a Markdown page, without their #anchor. */
function relativeTargets(page: string): { target: string; image: boolean }[] {
  const text = readFileSync(join(root, page), "utf8");
  return [...text.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((match) => ({ target: match[2].split("#")[0], image: match[1] === "!" }))
    .filter(({ target }) => target !== "" && !/^[a-z]+:/i.test(target));
}

describe("the README and docs/ pages", () => {
  it("link only to files that are there", () => {
    for (const page of pages) {
      for (const { target } of relativeTargets(page)) {
        assert.ok(existsSync(normalize(join(root, dirname(page), target))), `${page} links to ${target}, which is missing`);
      }
    }
  });

  it("show screenshots that the editor test takes (so npm run docs:images keeps them current), and no other picture", () => {
    const editorTest = readFileSync(join(root, "test", "e2e", "editor.test.ts"), "utf8");
    const taken = new Set([...editorTest.matchAll(/docsScreenshot\(page, "([^"]+)"\)/g)].map((match) => `${match[1]}.png`));
    const shown = new Set<string>();
    for (const page of pages) {
      for (const { target, image } of relativeTargets(page)) {
        if (!image) continue;
        const file = normalize(join(dirname(page), target));
        assert.equal(dirname(file), join("docs", "images"), `${page} shows ${target}, not from docs/images`);
        const name = file.slice("docs/images/".length);
        assert.ok(taken.has(name), `${page} shows ${name}, which the editor test does not take`);
        shown.add(name);
      }
    }
    const committed = readdirSync(join(root, "docs", "images")).filter((name) => name.endsWith(".png"));
    assert.deepEqual(committed.sort(), [...taken].sort(), "docs/images holds exactly the screenshots the editor test takes");
    assert.ok(shown.has("five-stage-pipeline.png"), "the README shows the pipeline in the editor");
  });

  it("lead with the two commands: the README stays short, and the node reference, figures and operations are on their own pages", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    assert.ok(readme.split("\n").length <= 200, `the README has ${readme.split("\n").length} lines`);
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    assert.deepEqual(headings.slice(0, 3), ["Two commands", "The first five minutes", "Install into your own Node-RED"]);
    for (const page of ["nodes", "examples", "operations", "google-sheets", "performance", "accuracy", "batch", "development"]) {
      assert.match(readme, new RegExp(`\\]\\(docs/${page}\\.md\\)`), `the README links docs/${page}.md`);
    }
  });
});
