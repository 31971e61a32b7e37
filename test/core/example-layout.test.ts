import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const examples = readdirSync(join(root, "examples")).filter((file) => file.endsWith(".json"));

interface FlowNode {
  id: string;
  type: string;
  name?: string;
  x?: number;
  y?: number;
  w?: number;
  h?: number;
  z?: string;
  g?: string;
}

/** What the editor writes on an unnamed node: its palette label. */
function paletteLabel(type: string): string {
  try {
    const texts = JSON.parse(readFileSync(join(root, "nodes", "locales", "en-US", `${type}.json`), "utf8")) as Record<
      string,
      { paletteLabel?: string }
    >;
    return texts[type]?.paletteLabel ?? type;
  } catch {
    return type;
  }
}

/** A node's width as the editor draws it: its label at about 8 px a character, plus icon and ports, in steps of 20, at least 100. */
function widthOf(node: FlowNode): number {
  if (node.w) return node.w;
  if (node.type === "link in" || node.type === "link out" || node.type === "junction") return 30;
  const label = node.name && node.name !== "" ? node.name : paletteLabel(node.type);
  return Math.max(100, 20 * Math.ceil((label.length * 8 + 57) / 20));
}

/** The canvas of a 1600 × 1000 browser window with the palette and the sidebar at their default widths, at zoom 1. */
const CANVAS = { width: 1120, height: 800 };
/** The five-stage pipelines lay their stages out as groups one above the other: the editor scrolls down through them. */
const TALL_BY_DESIGN = new Set(["five-stage-pipeline.json", "five-stage-pipeline-redis.json", "text-pipeline.json"]);

describe("bundled example flows' layout", () => {
  for (const file of examples) {
    it(`${file} fits a 1600 × 1000 editor${TALL_BY_DESIGN.has(file) ? " in width" : ""}`, () => {
      const nodes = (JSON.parse(readFileSync(join(root, "examples", file), "utf8")) as FlowNode[]).filter(
        (node) => typeof node.x === "number" && typeof node.y === "number",
      );
      const right = Math.max(
        ...nodes.map((node) => node.x! + (node.type === "group" ? 0 : widthOf(node) / 2) + (node.w && node.type === "group" ? node.w : 0)),
      );
      const bottom = Math.max(...nodes.map((node) => node.y! + (node.type === "group" ? (node.h ?? 0) : 15)));
      assert.ok(right <= CANVAS.width, `${file}: right edge at ${Math.round(right)} px, wider than ${CANVAS.width}`);
      if (!TALL_BY_DESIGN.has(file))
        assert.ok(bottom <= CANVAS.height, `${file}: bottom at ${Math.round(bottom)} px, taller than ${CANVAS.height}`);
    });
  }
});
