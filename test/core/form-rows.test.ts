import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SettingsSchema } from "../../src/core/settings/schema";
import { expandFormRows, fieldsWithInputs, nodeHtml } from "../../src/editor/form-rows";
import { schemasByType } from "../../src/nodes/schemas";

const root = join(__dirname, "..", "..");
const schema = {
  name: { kind: "text", label: "Name", default: "" },
  mode: { kind: "choice", label: "Mode", default: "a", options: ["a", "b"] },
  limit: { kind: "number", label: "Limit", default: 5, min: 1, max: 10, whole: true },
  share: { kind: "number", label: "Share", default: 0.5, min: 0, max: 1 },
  loud: { kind: "boolean", label: "Loud", default: false },
  store: { kind: "config", label: "Store", type: "wa-store", default: "" },
} as const satisfies SettingsSchema;
const expand = (html: string) => expandFormRows(html, { type: "t", schema, idPrefix: "node-input" });

/** A key such as "wa-ocr.label.languages" looked up in a node's locale file. */
function localeText(locale: Record<string, unknown>, key: string): unknown {
  return key
    .split(".")
    .reduce<unknown>((at, part) => (at !== null && typeof at === "object" ? (at as Record<string, unknown>)[part] : undefined), locale);
}

describe("form rows made from the settings schema (<wa-row> in nodes/*.html)", () => {
  it("makes the control from the field's kind, with the label, hint and tip keys of the node", () => {
    assert.equal(
      expand(`  <wa-row field="name" icon="tag" width="70%" hint="hint.name" tip="hint.more"></wa-row>`),
      [
        `  <div class="form-row">`,
        `    <label for="node-input-name"><i class="fa fa-tag"></i> <span data-i18n="t.label.name"></span></label>`,
        `    <input type="text" id="node-input-name" style="width:70%" /> <span data-i18n="t.hint.name"></span>`,
        `    <div class="form-tips" data-i18n="t.hint.more"></div>`,
        `  </div>`,
      ].join("\n"),
    );
    const select = expand(`<wa-row field="mode" icon="random" class="a b"></wa-row>`);
    assert.match(select, /^<div class="form-row a b">/);
    assert.match(
      select,
      /<select id="node-input-mode">\n {4}<option value="a" data-i18n="t.mode.a"><\/option>\n {4}<option value="b" data-i18n="t.mode.b"><\/option>\n {2}<\/select>/,
    );
    assert.match(expand(`<wa-row field="mode" icon="random" options="modes"></wa-row>`), /data-i18n="t.modes.b"/);
    assert.match(expand(`<wa-row field="loud" icon="bell"></wa-row>`), /<input type="checkbox" id="node-input-loud"/);
    assert.match(expand(`<wa-row field="store" icon="database"></wa-row>`), /<input type="text" id="node-input-store" \/>/);
    assert.match(
      expand(`<wa-row field="name" icon="tag" placeholder="placeholder.name"></wa-row>`),
      /data-i18n="\[placeholder\]t.placeholder.name"/,
    );
    assert.match(
      expand(`<wa-row field="name" icon="tag" prefix="msg." unit="chars"></wa-row>`),
      /msg\.<input type="text" id="node-input-name" \/> chars/,
    );
    assert.match(expand(`<wa-row field="name" icon="tag" label="label.other"></wa-row>`), /data-i18n="t.label.other"/);
    assert.match(
      expandFormRows(`<wa-row field="store" icon="database"></wa-row>`, { type: "t", schema, idPrefix: "node-config-input" }),
      /id="node-config-input-store"/,
    );
  });

  it("takes a number input's range from the schema, with free steps unless the field is whole", () => {
    assert.match(
      expand(`<wa-row field="limit" icon="x" input="number"></wa-row>`),
      /<input type="number" id="node-input-limit" min="1" max="10" \/>/,
    );
    assert.match(expand(`<wa-row field="share" icon="x" input="number"></wa-row>`), /min="0" max="1" step="any"/);
    assert.throws(() => expand(`<wa-row field="name" icon="x" input="number"></wa-row>`), /a number input for a text field/);
    assert.throws(() => expand(`<wa-row field="name" icon="x" input="radio"></wa-row>`), /is not an input/);
  });

  it("writes a checkbox inside its label or aligned under the inputs, and a credential as a text input", () => {
    assert.match(expand(`<wa-row field="loud" inline></wa-row>`), /<label for="node-input-loud" style="width:auto"><input type="checkbox"/);
    assert.match(
      expand(`<wa-row field="loud" aligned></wa-row>`),
      /<label>&nbsp;<\/label>\n {2}<input type="checkbox" id="node-input-loud"/,
    );
    assert.throws(() => expand(`<wa-row field="name" inline></wa-row>`), /only a checkbox/);
    assert.throws(() => expand(`<wa-row field="limit" aligned></wa-row>`), /only a checkbox/);
    assert.match(
      expand(`<wa-row field="secret" icon="lock" input="password" credential></wa-row>`),
      /<input type="password" id="node-input-secret" \/>/,
    );
    assert.throws(() => expand(`<wa-row field="name" icon="lock" credential></wa-row>`), /a schema field is not a credential/);
  });

  it("refuses a macro it cannot make, naming the node and the field", () => {
    assert.throws(() => expand(`<wa-row field="nope" icon="x"></wa-row>`), /t: <wa-row field="nope">: the schema has no such field/);
    assert.throws(() => expand(`<wa-row icon="x"></wa-row>`), /without a field/);
    assert.throws(() => expand(`<wa-row field="name"></wa-row>`), /t.name: <wa-row> without an icon/);
    assert.throws(() => expand(`<wa-row field="name" icon="x" colour="red"></wa-row>`), /no attribute "colour"/);
    assert.throws(() => expand(`<wa-row field="name" icon="x" bold></wa-row>`), /cannot read/);
  });

  describe("every node's form in the package", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string };
    // Fields a form sets from its own script, not from an input of their name.
    const setByScript: Record<string, string[]> = {
      "wa-entities": ["types"], // a checkbox per entity type, joined in oneditsave
      "wa-thread": ["topicsInGroups"], // read from flows saved before "small group writers" replaced it
    };
    for (const [type, typeSchema] of Object.entries(schemasByType)) {
      it(`${type}: made whole, an input for every setting, every text in the locale file`, () => {
        const source = readFileSync(join(root, "nodes", `${type}.html`), "utf8");
        assert.doesNotMatch(source, /editor\.js/, "the build adds the shared editor code");
        assert.match(source, new RegExp(`WaPipeline\\.register\\("${type}"`), "registered with the pack's shared definition");
        const html = nodeHtml(source, type, typeSchema, pkg.name);
        assert.ok(html.startsWith(`<script type="text/javascript" src="resources/${pkg.name}/editor.js"></script>\n`));
        assert.doesNotMatch(html, /<wa-row/);
        const idPrefix = /category:\s*"config"/.test(source) ? "node-config-input" : "node-input";
        const inputs = fieldsWithInputs(html, idPrefix);
        const expected = Object.keys(typeSchema).filter((field) => !(setByScript[type] ?? []).includes(field));
        assert.deepEqual(
          expected.filter((field) => !inputs.has(field)),
          [],
          "settings without an input",
        );
        const locale = JSON.parse(readFileSync(join(root, "nodes", "locales", "en-US", `${type}.json`), "utf8")) as Record<string, unknown>;
        const template = html.slice(html.indexOf("data-template-name"), html.indexOf("data-help-name"));
        const keys = [...template.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((match) => match[1]);
        assert.ok(keys.length > 0);
        assert.deepEqual(
          keys.filter((key) => typeof localeText(locale, key) !== "string"),
          [],
          "form texts missing from the locale file",
        );
      });
    }
  });
});
