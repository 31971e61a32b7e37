import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, waitFor } from "../e2e/runtime";
import { RunningNodeRed, crashLines, deploy, fileLines, freshUserDir, startNodeRed } from "./real-runtime";

const CONFIG_TYPES = new Set(["wa-client", "wa-sheets", "wa-store"]);

/** One node of every pipeline type, as the bundled examples configure it, with the config nodes they use. */
function everyNodeType(): { nodes: Record<string, unknown>[]; configs: Record<string, unknown>[] } {
  const nodes = new Map<string, Record<string, unknown>>();
  const configs = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync(join(repoRoot, "examples")).sort()) {
    for (const node of JSON.parse(readFileSync(join(repoRoot, "examples", file), "utf8")) as Record<string, unknown>[]) {
      const type = String(node.type);
      if (CONFIG_TYPES.has(type)) configs.set(String(node.id), node);
      else if (type.startsWith("wa-") && !nodes.has(type)) nodes.set(type, node);
    }
  }
  return { nodes: [...nodes.values()], configs: [...configs.values()] };
}

describe("security: every error that reaches a Catch node has a code of the catalogue, node by node, in a real Node-RED", function () {
  this.timeout(180_000);
  let dir: string;
  let userDir: string;
  let runtime: RunningNodeRed;
  const { nodes, configs } = everyNodeType();

  before(async () => {
    ({ dir, userDir } = freshUserDir("codes"));
    runtime = await startNodeRed(userDir);
    const z = "codes-tab";
    const line = (id: string, file: string, expression: string) => [
      { id, z, type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: expression, tot: "jsonata" }], wires: [[`${id}-file`]] },
      {
        id: `${id}-file`,
        z,
        type: "file",
        filename: join(dir, file),
        filenameType: "str",
        appendNewline: true,
        createDir: true,
        overwriteFile: "false",
        encoding: "none",
        wires: [[]],
      },
    ];
    const flow: unknown[] = [
      { id: z, type: "tab", label: "catch codes" },
      ...configs,
      { id: "codes-http", z, type: "http in", url: "/codes", method: "post", upload: false, swaggerDoc: "", wires: [["codes-split"]] },
      {
        id: "codes-split",
        z,
        type: "change",
        rules: [
          { t: "set", p: "probe", pt: "msg", to: "payload.probe", tot: "msg" },
          { t: "set", p: "wa", pt: "msg", to: "payload.wa", tot: "msg" },
          { t: "set", p: "topic", pt: "msg", to: "payload.topic", tot: "msg" },
          { t: "set", p: "payload", pt: "msg", to: "payload.text", tot: "msg" },
        ],
        wires: [["codes-answer", ...nodes.map((n) => `codes-${String(n.type)}`)]],
      },
      { id: "codes-answer", z, type: "http response", statusCode: "200", headers: {}, wires: [] },
      ...nodes.map((node) => ({
        ...node,
        id: `codes-${String(node.type)}`,
        z,
        wires: Array.from({ length: Array.isArray(node.wires) ? node.wires.length : 1 }, () => []),
      })),
      { id: "codes-catch", z, type: "catch", scope: null, uncaught: false, wires: [["codes-caught"]] },
      ...line(
        "codes-caught",
        "caught.log",
        '$string(probe) & "\\t" & $string(error.source.type) & "\\t" & $string(error.code) & "\\t" & $replace($string(error.message), "\\n", " ")',
      ),
    ];
    await deploy(runtime, flow);
  });
  after(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("covers 22 node types or more", () => {
    assert.ok(nodes.length >= 22, nodes.map((n) => n.type).join(", "));
  });

  it("sends each node messages it cannot take, and every error it reports carries a catalogue code", async () => {
    const catalogue = JSON.parse(readFileSync(join(repoRoot, "nodes", "locales", "en-US", "wa-client.json"), "utf8")) as {
      errors: Record<string, Record<string, string>>;
    };
    const codes = new Set<string>(["config.invalid"]);
    for (const [namespace, texts] of Object.entries(catalogue.errors))
      for (const key of Object.keys(texts)) codes.add(`${namespace}.${key.replace(/_.*$/, "")}`);
    const chat = "447700900123@c.us";
    const probes: Record<string, unknown>[] = [
      { probe: "no envelope", text: "hello" },
      { probe: "envelope is a string", text: "hello", wa: "nope" },
      {
        probe: "hostile chat id",
        text: "hello",
        wa: {
          message: {
            id: "p3",
            chatId: `${"9".repeat(300)}\n@c.us`,
            from: chat,
            body: "hello",
            type: "chat",
            timestamp: 1,
            isGroup: false,
            fromMe: false,
            transport: "probe",
          },
          trace: [],
        },
      },
      {
        probe: "object as text",
        text: { toString: 1 },
        wa: {
          message: {
            id: { toString: 1 },
            chatId: chat,
            from: chat,
            body: { x: 1 },
            type: "chat",
            timestamp: "x",
            isGroup: false,
            fromMe: false,
            transport: "probe",
          },
          trace: [],
        },
      },
      { probe: "unknown command", text: "hello", topic: "dead-letter:explode" },
      {
        probe: "a good message",
        text: "hi, where is my order BR-20931?",
        wa: {
          message: {
            id: "p6",
            chatId: chat,
            from: chat,
            body: "hi, where is my order BR-20931?",
            type: "chat",
            timestamp: 1_800_000_000_000,
            isGroup: false,
            fromMe: false,
            transport: "probe",
          },
          trace: [],
        },
      },
    ];
    for (const probe of probes) {
      const answer = await fetch(`${runtime.url}/codes`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(probe),
      });
      assert.equal(answer.status, 200);
    }
    const caught = () => fileLines(join(dir, "caught.log")).map((l) => l.split("\t"));
    // Every node answers the first probe (no envelope) one way or another; wait until the errors stop growing.
    let last = -1;
    let quietPolls = 0;
    await waitFor(
      () => {
        const now = caught().length;
        quietPolls = now === last && now > 0 ? quietPolls + 1 : 0;
        last = now;
        return quietPolls >= 20;
      },
      60_000,
      "the errors to arrive",
    );
    const rows = caught();
    const uncoded = rows.filter(([, , code]) => !codes.has(code)).map((r) => r.join(" | "));
    assert.deepEqual(uncoded, [], "every error has a catalogue code");
    assert.deepEqual(
      rows.filter(([, , , text]) => /__\w+__/.test(text ?? "")).map((r) => r.join(" | ")),
      [],
      "no unfilled placeholder",
    );
    const reporting = new Set(rows.map(([, type]) => type));
    assert.ok(reporting.size >= 15, `errors came from ${reporting.size} node types: ${[...reporting].join(", ")}`);
    assert.deepEqual(crashLines(runtime.logs), []);
    console.log(
      `      ${rows.length} errors from ${reporting.size} node types, codes: ${[...new Set(rows.map(([, , code]) => code))].sort().join(", ")}`,
    );
  });
});
