import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { schemasByType } from "../../src/nodes/schemas";
import { MAX_PALETTE_LABEL, PALETTE_STAGES, paletteStageOf } from "../../src/nodes/schemas/palette";

const root = join(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { "node-red": { nodes: Record<string, string> } };
const CONFIG_TYPES = ["wa-client", "wa-store", "wa-sheets"];
const paletteLabel = (type: string) =>
  (JSON.parse(readFileSync(join(root, "nodes", "locales", "en-US", `${type}.json`), "utf8")) as Record<string, { paletteLabel: string }>)[
    type
  ].paletteLabel;

describe("palette", () => {
  const pipelineTypes = Object.keys(schemasByType).filter((type) => !CONFIG_TYPES.includes(type));

  it("puts every pipeline node in exactly one stage's category", () => {
    for (const type of pipelineTypes) {
      assert.equal(PALETTE_STAGES.filter((stage) => (stage.types as readonly string[]).includes(type)).length, 1, type);
    }
    assert.deepEqual(PALETTE_STAGES.flatMap((stage) => stage.types).sort(), [...pipelineTypes].sort());
  });

  it("registers the nodes in stage order, so the categories and their nodes show in the order a message goes through them", () => {
    const registered = Object.keys(pkg["node-red"].nodes).filter((type) => !CONFIG_TYPES.includes(type));
    assert.deepEqual(
      registered,
      PALETTE_STAGES.flatMap((stage) => stage.types),
    );
    assert.deepEqual(
      [...new Set(registered.map((type) => paletteStageOf(type)!.category))],
      PALETTE_STAGES.map((stage) => stage.category),
    );
  });

  it(`labels every node in at most ${MAX_PALETTE_LABEL} characters, so none wraps in the palette`, () => {
    const tooLong = pipelineTypes.map((type) => [type, paletteLabel(type)]).filter(([, label]) => label.length > MAX_PALETTE_LABEL);
    assert.deepEqual(tooLong, []);
  });
});
