import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningNodeRed, linkedUserDir, listenToComms, repoRoot, startNodeRed, waitFor } from "./runtime";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  "node-red": { nodes: Record<string, string> };
};

interface FlowNode {
  id: string;
  type: string;
  name?: string;
  payload?: string;
}

/**
 * What each node's own example shows once deployed: the inject buttons a person presses, in order, and
 * what the debug sidebar then shows (debug node name → payloads, or just that it showed something).
 * Examples fed by the simulator need no button.
 */
const EXPECTED: Record<
  string,
  {
    press?: string[];
    /** A debug node that must show something before the presses (the simulated chats have started writing). */
    waitBefore?: string;
    shows: Record<string, (shown: unknown[]) => boolean>;
    /** Node type → a status colour (and text) one of its nodes must show after the first press. */
    colours?: Record<string, { fills: string[]; text?: RegExp }>;
  }
> = {
  "wa-client": { shows: { messages: (shown) => shown.length > 0 } },
  "several-accounts": {
    shows: {
      replies: (shown) =>
        ["shop", "support"].every((name) => shown.some((sent) => (sent as { connection?: { name?: unknown } }).connection?.name === name)),
    },
  },
  "interactive-messages": {
    // Location and contact card go to a demo chat, inside the 24-hour window once it has written.
    waitBefore: "answers",
    press: ["text a silent chat", "send a template to a silent chat", "send our location", "send a contact card"],
    shows: {
      answers: (shown) =>
        shown.some((m) => typeof (m as { reply?: { id?: unknown } }).reply?.id === "string") &&
        shown.some((m) => Array.isArray((m as { vote?: { selected?: unknown } }).vote?.selected)),
      sent: (shown) => shown.length >= 2,
      "sent to a chat": (shown) => shown.length === 3,
      errors: (shown) => shown.some((error) => (error as { code?: unknown }).code === "transport.outsideWindow"),
    },
  },
  "ban-protection": {
    press: ["message a new customer", "message a new customer"],
    shows: {
      receipts: (shown) => shown.length > 0,
      "outreach receipts": (shown) => shown.length === 1,
      errors: (shown) => shown.some((error) => (error as { code?: unknown }).code === "pacer.firstContactLimit"),
      status: (shown) => shown.some((text) => /slowed to 50%|hourly cap reached/.test(String(text))),
    },
  },
  "wa-in": { shows: { text: (shown) => shown.some((text) => typeof text === "string" && text !== "") } },
  "wa-out": {
    press: ["no chat"],
    shows: {
      sent: (shown) => shown.some((sent) => typeof (sent as { id?: unknown }).id === "string"),
      errors: (shown) => shown.length > 0,
    },
  },
  "wa-store": { press: ["visit (+1)", "visit (+1)", "get"], shows: { state: (shown) => JSON.stringify(shown).includes('"visits":2') } },
  "wa-client-health": { shows: { health: (shown) => shown.some((report) => typeof (report as { level?: unknown }).level === "string") } },
  "wa-health-score": { shows: { score: (shown) => shown.some((report) => typeof (report as { score?: unknown }).score === "number") } },
  "wa-health": {
    press: ["10 sends that fail"],
    shows: {
      // Degraded by the failed sends (at the start the connection is briefly "starting", degraded too).
      health: (shown) =>
        shown.some((report) => {
          const { level, reason } = report as { level?: unknown; reason?: unknown };
          return level === "degraded" && /sends failed/.test(String(reason));
        }),
      // Down to fair or poor with the perf monitor's error rate among its inputs.
      score: (shown) =>
        shown.some((report) => {
          const { band, inputs } = report as { band?: unknown; inputs?: { errorRate?: number } };
          return ["fair", "poor"].includes(String(band)) && (inputs?.errorRate ?? 0) > 0;
        }),
      errors: (shown) => shown.length >= 10,
    },
    colours: { "wa-client-health": { fills: ["yellow"], text: /sends failed/ }, "wa-health-score": { fills: ["yellow", "red"] } },
  },
  "wa-sheets": {
    press: ["read prices"],
    shows: { rows: (shown) => JSON.stringify(shown).includes('"name":"Green tea"') },
  },
  "wa-dedupe": {
    press: ["message m-1", "message m-2", "message m-1"],
    shows: { "first time": (shown) => shown.length === 2, duplicate: (shown) => shown.length === 1 },
  },
  "wa-dead-letter": { press: ["ok message", "failing message"], shows: { done: (shown) => JSON.stringify(shown) === '["all good"]' } },
  "wa-ordering": {
    press: ["second (10:00:05)", "first (10:00:00)"],
    shows: { "in order": (shown) => JSON.stringify(shown) === '["first","second"]' },
  },
  "wa-degrade": {
    press: ["message", "score 30", "message"],
    shows: {
      full: (shown) => shown.length === 1,
      minimal: (shown) => shown.length === 1,
      "mode changes": (shown) => shown.length > 0,
    },
  },
  "wa-entities": {
    press: ["order text", "tracking text", "shop question"],
    shows: {
      entities: (shown) => shown.length === 3 && shown.every((spans) => Array.isArray(spans) && spans.length > 0),
      // The built-in tagger finds the phone model in the shop question, with the tagger as its source.
      "entities (tagger)": (shown) =>
        shown.length === 3 &&
        (shown as { type: string; text: string; source: string }[][]).some((spans) =>
          spans.some((span) => span.type === "product" && span.text === "Galaxy A16 128GB" && span.source === "model"),
        ),
    },
  },
  "wa-sentiment": { shows: { other: (shown) => shown.length > 0 } },
  "wa-thread": { shows: { threaded: (shown) => shown.length > 0 } },
  "wa-flow-analyzer": { shows: { stage: (shown) => shown.length > 0 } },
  "wa-transcribe": { shows: { read: (shown) => shown.length > 0 } },
  "wa-document": { shows: { read: (shown) => shown.length > 0 } },
  "wa-gallery": { shows: { read: (shown) => shown.length > 0 } },
};

describe("every node type's own example, deployed in a real Node-RED and used as a person would", function () {
  this.timeout(600_000);
  let dir: string;
  let runtime: RunningNodeRed | undefined;
  const types = Object.keys(pkg["node-red"].nodes);
  const examples = readdirSync(join(repoRoot, "examples")).map((file) => file.replace(/\.json$/, ""));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wa-examples-"));
    const userDir = join(dir, "userdir");
    linkedUserDir(userDir, pkg.name);
    writeFileSync(join(userDir, "flows.json"), "[]");
    runtime = await startNodeRed(userDir);
  });
  after(async () => {
    await runtime?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has an example named after every node type, holding that type", () => {
    assert.deepEqual(
      types.filter((type) => !examples.includes(type)),
      [],
      "node types without an example of their name",
    );
    for (const type of types) {
      const nodes = JSON.parse(readFileSync(join(repoRoot, "examples", `${type}.json`), "utf8")) as FlowNode[];
      assert.ok(
        nodes.some((node) => node.type === type),
        `examples/${type}.json holds a ${type} node`,
      );
    }
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.press ? `pressing ${expected.press.join(", ")}` : "the simulated chats"} shows ${Object.keys(expected.shows).join(", ")}`, async () => {
      const nodes = JSON.parse(readFileSync(join(repoRoot, "examples", `${name}.json`), "utf8")) as FlowNode[];
      const tab = { id: "examples-tab-0001", type: "tab", label: name };
      const flows = [
        tab,
        ...nodes.map((node) => (["wa-client", "wa-store", "wa-sheets"].includes(node.type) ? node : { ...node, z: tab.id })),
      ];
      const comms = listenToComms(runtime!.url);
      await comms.opened;
      try {
        const deploy = await fetch(`${runtime!.url}/flows`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full", "Node-RED-API-Version": "v2" },
          body: JSON.stringify({ flows }),
        });
        assert.equal(deploy.status, 200, await deploy.text());
        const debugName = new Map(nodes.filter((node) => node.type === "debug").map((node) => [node.id, node.name ?? ""]));
        const shown = (debug: string) =>
          comms.messages
            .filter((message) => message.topic === "debug" && debugName.get(String(message.data.id)) === debug)
            .map((message) => {
              const data = message.data as { msg?: unknown; format?: string };
              try {
                return typeof data.msg === "string" && !String(data.format).startsWith("string") ? JSON.parse(data.msg) : data.msg;
              } catch {
                return data.msg;
              }
            });
        // Started: the example's first node has reported a status, or a debug node has shown something.
        await waitFor(
          () => comms.messages.some((message) => message.topic.startsWith("status/") || message.topic === "debug"),
          30_000,
          "the flow started",
        );
        if (expected.waitBefore) {
          const first = expected.waitBefore;
          await waitFor(() => shown(first).length > 0, 30_000, `${name}: "${first}" to show something before the presses`);
        }
        const beforePresses = comms.messages.length;
        for (const button of expected.press ?? []) {
          const inject = nodes.find((node) => node.type === "inject" && node.name === button);
          assert.ok(inject, `${name} has a button "${button}"`);
          const before = comms.messages.length;
          const pressed = await fetch(`${runtime!.url}/inject/${inject.id}`, { method: "POST" });
          assert.equal(pressed.status, 200, `pressing ${button}`);
          // One button's message through before the next (a status or a debug line): the order of presses is what the example shows.
          await waitFor(() => comms.messages.length > before, 10_000, `an effect of ${button}`);
        }
        for (const [debug, holds] of Object.entries(expected.shows)) {
          await waitFor(() => holds(shown(debug)), 45_000, `${name}: "${debug}" to show what it should`).catch((error: Error) => {
            throw new Error(`${error.message}; it showed ${JSON.stringify(shown(debug)).slice(0, 400)}`);
          });
        }
        for (const [type, { fills, text }] of Object.entries(expected.colours ?? {})) {
          const ids = new Set(nodes.filter((node) => node.type === type).map((node) => node.id));
          const coloured = () =>
            comms.messages.slice(beforePresses).some((message) => {
              const status = message.data as { fill?: unknown; text?: unknown };
              return (
                message.topic.startsWith("status/") &&
                ids.has(message.topic.slice("status/".length)) &&
                fills.includes(String(status.fill)) &&
                (!text || text.test(String(status.text)))
              );
            });
          await waitFor(coloured, 45_000, `${name}: a ${type} status in ${fills.join(" or ")}${text ? ` saying ${text}` : ""}`);
        }
        if (!Object.keys(expected.shows).includes("errors")) assert.deepEqual(shown("errors"), [], `${name}: no pipeline errors`);
      } finally {
        comms.close();
      }
    });
  }
});
