import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  SettingsError,
  SettingsSchema,
  SettingsWords,
  describeFieldIssue,
  englishWords,
  readSettingsBySchema,
  schemaProblems,
  unitKey,
} from "../../src/core/settings/schema";
import { editorDefaults } from "../../src/editor/defaults";
import { schemasByType } from "../../src/nodes/schemas";

const example = {
  name: { kind: "text", label: "Name", default: "" },
  mode: { kind: "choice", label: "Mode", default: "fast", options: ["fast", "safe"] },
  high: { kind: "number", label: "High", default: 70, min: 0, max: 100 },
  low: { kind: "number", label: "Low", default: 40, min: 0, max: 100, atMost: "high" },
  count: { kind: "number", label: "Count", default: 5, min: 1, max: 10, whole: true, unit: "items" },
  wait: { kind: "number", label: "Wait", default: 1, min: 0, aboveMin: true, unit: "minutes" },
  first: { kind: "number", label: "First", default: 0, whole: true, optional: true },
  queue: { kind: "text", label: "Queue", default: "main", pattern: "[a-z]{1,8}", expects: "1 to 8 small letters" },
  lines: { kind: "text", label: "Lines", default: "a\nb", raw: true },
  retry: { kind: "boolean", label: "Retry", default: true },
  store: { kind: "config", label: "Store", type: "wa-store", default: "" },
} as const satisfies SettingsSchema;

const refusal = (config: Record<string, unknown>) => {
  try {
    readSettingsBySchema(example, config);
    return undefined;
  } catch (error) {
    const { code, message, params } = error as { code: string; message: string; params: { field: string } };
    return { code, message, field: params.field };
  }
};

describe("settings schema: one description read by the runtime and the editor", () => {
  it("reads a flow's properties: blanks are defaults, numbers parsed, text trimmed unless raw, booleans from strings", () => {
    const read = readSettingsBySchema(example, {
      mode: " safe ",
      high: "80",
      low: "",
      count: 7,
      wait: "0.5",
      first: "",
      queue: "",
      lines: "  x\n",
      retry: "false",
    });
    assert.deepEqual(read, {
      name: "",
      mode: "safe",
      high: 80,
      low: 40,
      count: 7,
      wait: 0.5,
      first: undefined,
      queue: "main",
      lines: "  x\n",
      retry: false,
      store: "",
    });
    assert.equal(readSettingsBySchema(example, {}).lines, "a\nb", "a property missing from the flow takes the default");
    assert.equal(readSettingsBySchema(example, { first: "-3" }).first, -3);
  });

  it("refuses the first field it cannot use with config.invalid, naming the field by its label", () => {
    assert.deepEqual(refusal({ high: 101 }), { code: "config.invalid", field: "high", message: "High: 0 to 100" });
    assert.deepEqual(refusal({ low: 75 }), { code: "config.invalid", field: "low", message: "Low: at most High (70)" });
    assert.equal(refusal({ high: 90, low: 75 }), undefined);
    assert.deepEqual(refusal({ count: 2.5 }), { code: "config.invalid", field: "count", message: "Count: a whole number, 1 to 10 items" });
    assert.deepEqual(refusal({ wait: 0 }), { code: "config.invalid", field: "wait", message: "Wait: above 0 minutes" });
    assert.deepEqual(refusal({ wait: "soon" }), { code: "config.invalid", field: "wait", message: "Wait: above 0 minutes" });
    assert.deepEqual(refusal({ first: "1.5" }), { code: "config.invalid", field: "first", message: "First: a whole number" });
    assert.deepEqual(refusal({ mode: "turbo" }), { code: "config.invalid", field: "mode", message: "Mode: one of fast, safe (got turbo)" });
    assert.deepEqual(refusal({ queue: "Main 1" }), { code: "config.invalid", field: "queue", message: "Queue: 1 to 8 small letters" });
    assert.deepEqual(refusal({ name: { not: "text" } }), { code: "config.invalid", field: "name", message: "Name: text expected" });
  });

  it("tells a refusal in another language through the words it is given: the field's name, the range, the unit, what a field takes", () => {
    const german: Record<string, string> = {
      "settings.problem": "__label__: __problem__",
      "settings.fromTo": "__min__ bis __max__",
      "settings.wholeRange": "eine ganze Zahl, __range__",
      "settings.withUnit": "__range__ __unit__",
      "settings.above": "über __n__",
      "settings.atMostField": "höchstens __other__ (__bound__)",
      "settings.units.items": "Stück",
      "settings.units.minutes": "Minuten",
      "field.count": "Anzahl",
      "field.low": "Niedrig",
      "field.high": "Hoch",
      "field.wait": "Warten",
      "field.queue": "Warteschlange",
      "expects.queue": "1 bis 8 Kleinbuchstaben",
    };
    const asked: string[] = [];
    const words: SettingsWords = (key, english, params) => {
      asked.push(key);
      return englishWords(key, german[key] ?? `[${english}]`, params);
    };
    const told = (values: Record<string, unknown>) => {
      try {
        readSettingsBySchema(example, values);
        return undefined;
      } catch (error) {
        assert.ok(error instanceof SettingsError);
        return describeFieldIssue(error.issue, words);
      }
    };
    assert.equal(told({ count: 2.5 }), "Anzahl: eine ganze Zahl, 1 bis 10 Stück");
    assert.equal(told({ low: 75 }), "Niedrig: höchstens Hoch (70)");
    assert.equal(told({ wait: 0 }), "Warten: über 0 Minuten");
    assert.equal(told({ queue: "Main 1" }), "Warteschlange: 1 bis 8 Kleinbuchstaben");
    // A word the language lacks is the English one: the test's words mark it.
    assert.equal(told({ mode: "turbo" }), "[Mode]: [one of fast, safe (got turbo)]");
    assert.ok(asked.includes("settings.units.items") && asked.includes("expects.queue"));
    assert.equal(unitKey("pixels (0: never)"), "settings.units.pixels0Never");
    assert.equal(unitKey("%"), "settings.units.percent");
  });

  it("finds its own mistakes: a default its field refuses, a bound naming no number field, a default outside the options", () => {
    assert.deepEqual(schemaProblems(example), []);
    const broken = {
      a: { kind: "number", label: "A", default: 0, min: 1 },
      b: { kind: "number", label: "B", default: 1, atMost: "c" },
      c: { kind: "choice", label: "C", default: "x", options: ["y"] },
      d: { kind: "text", label: "D", default: "", pattern: "[a-z]+" },
    } as const satisfies SettingsSchema;
    assert.deepEqual(schemaProblems(broken), [
      "a: the default 0 is refused by the field itself",
      "b: c is not a number field",
      "c: the default is not an option",
      "d: the default does not match the pattern",
    ]);
  });

  it("gives the editor the same defaults, and validators that accept exactly what the runtime accepts", () => {
    const probes = [
      "",
      " ",
      "0",
      "1",
      "-1",
      "0.5",
      "2.5",
      "40",
      "70",
      "75",
      "100",
      "101",
      "1e3",
      "abc",
      "main",
      "Main 1",
      "fast",
      "turbo",
      "true",
    ];
    for (const [type, schema] of Object.entries({ example, ...schemasByType })) {
      const defaults = editorDefaults(schema as SettingsSchema, () => undefined);
      // The form as a person fills it in: the defaults, and an example where a field has no usable default.
      const node = Object.fromEntries(
        Object.entries(schema as SettingsSchema).map(([name, field]) => [
          name,
          field.kind === "text" && field.required ? field.example : field.default,
        ]),
      );
      for (const [name, field] of Object.entries(schema as SettingsSchema)) {
        const entry = defaults[name];
        if (field.kind === "config") {
          assert.deepEqual(entry, { value: "", type: field.type, required: field.required === true }, `${type}.${name}`);
          continue;
        }
        assert.deepEqual(entry.value, field.kind === "number" && field.optional ? "" : field.default, `${type}.${name} default`);
        for (const probe of probes) {
          const editorSays = entry.validate!.call(node, probe) === true;
          // The runtime's verdict on this field (another field may be refused because of it, as the editor marks that one).
          let runtimeSays = true;
          try {
            readSettingsBySchema(schema as SettingsSchema, { ...node, [name]: probe });
          } catch (error) {
            runtimeSays = (error as { params: { field: string } }).params.field !== name;
          }
          assert.equal(editorSays, runtimeSays, `${type}.${name} = ${JSON.stringify(probe)}`);
          if (!editorSays)
            assert.match(
              String(entry.validate!.call(node, probe, {})),
              new RegExp(`^${field.label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
            );
        }
      }
    }
  });

  it("every node type of the package has a schema in the index the editor reads", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
      "node-red": { nodes: Record<string, string> };
    };
    assert.deepEqual(Object.keys(pkg["node-red"].nodes).sort(), Object.keys(schemasByType).sort());
  });

  it("every schema is sound, and each node it describes takes its editor defaults from it", () => {
    for (const [type, schema] of Object.entries(schemasByType)) {
      assert.deepEqual(schemaProblems(schema), [], type);
      // WaPipeline.register gives the node its defaults from the schema (the form-rows test reads the forms).
      const html = readFileSync(join(__dirname, "..", "..", "nodes", `${type}.html`), "utf8");
      assert.match(html, new RegExp(`WaPipeline\\.register\\("${type}"`), type);
      assert.doesNotMatch(html, /WaPipeline\.defaults\(/, type);
    }
  });
});
