import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock";
import { ServiceAccountTokens, readServiceAccountKey } from "../../src/core/sheets/service-account";
import { RedisStore } from "../../src/core/store/redis-store";
import { REDIS_URL, redisReachable } from "../core/redis-available";
import { requirePrerequisite } from "../support/prerequisite";
import { RunningNodeRed, linkedUserDir, listenToComms, repoRoot, startNodeRed, waitFor } from "./runtime";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  "node-red": { nodes: Record<string, string> };
};
const CONFIG_TYPES = ["wa-client", "wa-store", "wa-sheets"];

interface FlowNode {
  id: string;
  type: string;
  name?: string;
  g?: string;
  links?: string[];
}

const pipeline = () => JSON.parse(readFileSync(join(repoRoot, "examples", "five-stage-pipeline.json"), "utf8")) as FlowNode[];

/**
 * A reader of the demo Sheets server's Log sheet, as any client reads it: with a service account the
 * server trusts, asked for once (each key is a new RSA pair for the server to make).
 */
function logReader(): (() => Promise<string[][]>) & { tokens(): Promise<ServiceAccountTokens> } {
  let tokens: ServiceAccountTokens | undefined;
  const ensure = async () =>
    (tokens ??= new ServiceAccountTokens(
      readServiceAccountKey(await (await fetch("http://127.0.0.1:8085/emulator/key")).text()),
      systemClock,
    ));
  return Object.assign(async () => rowsOfLog(await ensure()), { tokens: ensure });
}

async function rowsOfLog(tokens: ServiceAccountTokens): Promise<string[][]> {
  const answer = await fetch(`http://127.0.0.1:8085/v4/spreadsheets/demo-spreadsheet-0001/values/${encodeURIComponent("Log!A:E")}`, {
    headers: { Authorization: await tokens.header() },
  });
  assert.equal(answer.status, 200, await answer.clone().text());
  return ((await answer.json()) as { values?: string[][] }).values ?? [];
}

/**
 * Deploys a pipeline flow, as the editor does, in `instances` fresh Node-REDs (each its own user directory,
 * so an embedded store starts empty), and waits until the simulated chats got replies and there are rows
 * of the message types `rowTypes`.
 */
async function runPipeline(
  nodes: FlowNode[],
  rowTypes: string[],
  instances = 1,
  during?: (runtime: RunningNodeRed, userDir: string, all: RunningNodeRed[]) => Promise<void>,
): Promise<{
  replies: string[];
  repliesPerInstance: number[];
  rows: string[][];
  problems: string[];
  statusTexts: (instance: number, nodeId: string) => string[];
}> {
  const dir = mkdtempSync(join(tmpdir(), "wa-pipeline-"));
  const runtimes: RunningNodeRed[] = [];
  const listeners: ReturnType<typeof listenToComms>[] = [];
  try {
    for (let i = 0; i < instances; i += 1) {
      const userDir = join(dir, `userdir-${i}`);
      linkedUserDir(userDir, pkg.name);
      writeFileSync(join(userDir, "flows.json"), "[]");
      runtimes.push(await startNodeRed(userDir));
    }
    const logStarts = runtimes.map((runtime) => runtime.logs.length);
    const tab = { id: "pipeline-tab-0001", type: "tab", label: "five-stage pipeline" };
    const flows = [tab, ...nodes.map((node) => (CONFIG_TYPES.includes(node.type) ? node : { ...node, z: tab.id }))];
    for (const runtime of runtimes) {
      const comms = listenToComms(runtime.url);
      listeners.push(comms);
      await comms.opened;
      const deploy = await fetch(`${runtime.url}/flows`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full", "Node-RED-API-Version": "v2" },
        body: JSON.stringify({ flows }),
      });
      assert.equal(deploy.status, 200, await deploy.text());
    }
    const debugName = new Map(nodes.filter((node) => node.type === "debug").map((node) => [node.id, node.name ?? ""]));
    const shownBy = (comms: (typeof listeners)[number], name: string) =>
      comms.messages
        .filter((message) => message.topic === "debug" && debugName.get(String(message.data.id)) === name)
        .map((message) => String((message.data as { msg?: unknown }).msg));
    const shown = (name: string) => listeners.flatMap((comms) => shownBy(comms, name));
    await waitFor(() => shown("replies sent").length >= 4, 120_000, "four replies sent").catch((error: Error) => {
      throw new Error(
        `${error.message}; log:\n${runtimes.flatMap((runtime, i) => runtime.logs.slice(logStarts[i]).slice(-20)).join("\n")}`,
      );
    });
    // Rows are written in batches after the reply: wait for one of each message type asked for.
    let rows: string[][] = [];
    const readLog = logReader();
    await waitFor(
      async () => {
        rows = await readLog();
        return rowTypes.every((type) => rows.some((row) => row[2] === type));
      },
      120_000,
      `rows for ${rowTypes.join(", ")}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; rows:\n${rows.map((row) => row.join(" | ")).join("\n")}`);
    });
    if (during) await during(runtimes[0], join(dir, "userdir-0"), runtimes);
    const problems = runtimes.flatMap((runtime, i) => runtime.logs.slice(logStarts[i]).filter((line) => /\[(error|warn)\]/.test(line)));
    assert.deepEqual(shown("failures given up"), []);
    return {
      replies: shown("replies sent"),
      repliesPerInstance: listeners.map((comms) => shownBy(comms, "replies sent").length),
      rows,
      problems,
      statusTexts: (instance, nodeId) =>
        listeners[instance].messages
          .filter((message) => message.topic === `status/${nodeId}`)
          .map((message) => String((message.data as { text?: unknown }).text ?? "")),
    };
  } finally {
    for (const comms of listeners) comms.close();
    // The first instance holds the demo Sheets server the others use: it stops last.
    for (const runtime of [...runtimes].reverse()) await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The flow without one stage's group, its link nodes pointed past it: what a user does by dragging wires. */
function withoutStage(nodes: FlowNode[], stage: string, rewire: Record<string, string>): FlowNode[] {
  const group = nodes.find((node) => node.type === "group" && node.name === stage);
  assert.ok(group, stage);
  const kept = nodes.filter((node) => node.id !== group.id && node.g !== group.id).map((node) => ({ ...node }));
  const named = (name: string) => {
    const found = kept.find((node) => node.name === name && (node.type === "link out" || node.type === "link in"));
    assert.ok(found, `a link node named "${name}"`);
    return found;
  };
  const present = new Set(kept.map((node) => node.id));
  for (const node of kept) if (node.links) node.links = node.links.filter((id) => present.has(id));
  for (const [from, to] of Object.entries(rewire)) {
    const out = named(from);
    const target = named(to);
    out.links = [target.id];
    target.links = [...(target.links ?? []), out.id];
  }
  return kept;
}

/**
 * The bundled five-stage pipeline as a user gets it: imported into a Node-RED with default settings and
 * deployed, with no account and nothing else started. The simulator's photo chats play: a photo of a
 * receipt, a voice note, a stock list, text at the same time.
 */
describe("the five-stage pipeline example, deployed as imported, in a real Node-RED", function () {
  this.timeout(300_000);

  it("holds every node type of the pack, in five groups named by stage", () => {
    const nodes = pipeline();
    const types = new Set(nodes.map((node) => node.type));
    assert.deepEqual(
      Object.keys(pkg["node-red"].nodes).filter((type) => !types.has(type)),
      [],
      "node types missing from the pipeline",
    );
    assert.deepEqual(
      nodes
        .filter((node) => node.type === "group")
        .map((node) => node.name)
        .sort(),
      [
        "1 · Session management",
        "2 · Conversation intelligence",
        "3 · Media intelligence",
        "4 · Error handling and resilience",
        "5 · Performance",
      ],
    );
  });

  it("answers the simulated chats through all five stages: the photo read, the voice note heard, every message a row once", async () => {
    const { replies, rows, problems } = await runPipeline(pipeline(), ["image", "ptt", "document", "chat"]);
    const ids = rows.map((row) => String(row[0]));
    assert.equal(new Set(ids).size, ids.length, "each message a row once");
    assert.match(replies.join("\n"), /I read your photo|I heard/, "a reply says what stage 3 read");
    assert.ok(
      rows.some((row) => row[3] !== ""),
      "rows carry the intent stage 2 found",
    );
    assert.deepEqual(problems, [], "no error or warning in the log");
    console.log(`      ${replies.length} replies, ${rows.length} rows in the demo sheet; replies:`);
    for (const reply of replies.slice(0, 6)) console.log(`        ${reply.slice(0, 140)}`);
  });

  it("a text order conversation: entities, intent and thread in the Sheets row, a paced reply quoting the order", async () => {
    // The simulator writes what it is sent to a file: the customer's side of the conversation.
    const nodes = pipeline().map((node) => (node.type === "wa-client" ? { ...node, transcript: "sent.jsonl" } : node));
    const client = nodes.find((node) => node.type === "wa-client")!;
    const chatId = "447700900777@c.us";
    let orderRow: string[] | undefined;
    let reply: { text: string; quotedId?: string; at: number } | undefined;
    let injectedId = "";
    await runPipeline(nodes, ["chat"], 1, async (runtime, userDir) => {
      const injected = await fetch(`${runtime.url}/wa-pipeline/clients/${client.id}/inject`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ chatId, text: "Hi, I'd like to order 3 pizzas, deliver to 12 Baker Street please", senderName: "Ana" }),
      });
      injectedId = ((await injected.json()) as { delivered: { id: string }[] }).delivered[0].id;
      const readLog = logReader();
      await waitFor(
        async () => {
          const answer = await fetch(
            `http://127.0.0.1:8085/v4/spreadsheets/demo-spreadsheet-0001/values/${encodeURIComponent("Log!A:G")}`,
            {
              headers: { Authorization: await (await readLog.tokens()).header() },
            },
          );
          const rows = ((await answer.json()) as { values?: string[][] }).values ?? [];
          orderRow = rows.find((row) => row[0] === injectedId);
          // A line the simulator is still writing does not parse yet: it is read at the next look.
          const sent = readFileSync(join(userDir, "sent.jsonl"), "utf8")
            .split("\n")
            .flatMap((line) => {
              try {
                return [JSON.parse(line) as NonNullable<typeof reply> & { chatId: string }];
              } catch {
                return [];
              }
            });
          reply = sent.find((line) => line.chatId === chatId);
          return orderRow !== undefined && reply !== undefined;
        },
        60_000,
        "the order's row and reply",
      );
    });
    assert.ok(orderRow && reply);
    assert.equal(orderRow[1], chatId);
    assert.equal(orderRow[3], "place_order", "intent, from the built-in business model");
    assert.equal(orderRow[5], "t1", "the chat's first thread");
    const entities = JSON.parse(orderRow[6]) as { type: string; text: string }[];
    assert.ok(
      entities.some((entity) => entity.type === "quantity" && /3/.test(entity.text)),
      orderRow[6],
    );
    assert.ok(
      entities.some((entity) => entity.type === "address" && /Baker Street/.test(entity.text)),
      orderRow[6],
    );
    assert.match(reply.text, /^Thanks for your order! Today: Green tea 3\.5/, "the reply lists the products read from the sheet");
    assert.equal(reply.quotedId, injectedId, "quoting the order");
  });

  it("a photo and a voice note: the text read, each stored once in the gallery, answered", async () => {
    const nodes = pipeline();
    const gallery = nodes.find((node) => node.type === "wa-gallery")!;
    type Entry = { id: string; mimetype: string; messageIds: string[] };
    const stored: Entry[] = [];
    const { replies } = await runPipeline(nodes, ["image", "ptt"], 1, async (runtime) => {
      const base = `${runtime.url}/wa-pipeline/gallery/${gallery.id}/chats`;
      const { chats } = (await (await fetch(base)).json()) as { chats: { chatId: string }[] };
      for (const chat of chats)
        stored.push(...((await (await fetch(`${base}/${encodeURIComponent(chat.chatId)}/media`)).json()) as Entry[]));
    });
    assert.match(replies.join("\n"), /I read your photo/);
    assert.match(replies.join("\n"), /I heard: "/);
    assert.equal(stored.filter((entry) => entry.mimetype.startsWith("image/")).length, 1, `one photo: ${JSON.stringify(stored)}`);
    assert.equal(stored.filter((entry) => entry.mimetype.startsWith("audio/")).length, 1, "one voice note");
    assert.equal(new Set(stored.map((entry) => entry.id)).size, stored.length, "each stored once");
  });

  it("text-pipeline, the fast path without media (stages 1, 2, 4, 5), answers the demo chats and writes each message once", async () => {
    const nodes = JSON.parse(readFileSync(join(repoRoot, "examples", "text-pipeline.json"), "utf8")) as FlowNode[];
    assert.deepEqual(
      nodes.filter((node) => ["wa-ocr", "wa-transcribe", "wa-document", "wa-gallery"].includes(node.type)),
      [],
    );
    const { replies, rows, problems } = await runPipeline(nodes, ["chat"]);
    assert.equal(new Set(rows.map((row) => row[0])).size, rows.length, "each message a row once");
    assert.ok(
      rows.some((row) => row[3] !== ""),
      "rows carry the intent",
    );
    assert.ok(replies.length >= 4);
    assert.deepEqual(problems, []);
  });

  it("still answers every chat with the media stage's group deleted and degrade's full output wired to stage 2", async () => {
    const nodes = withoutStage(pipeline(), "3 · Media intelligence", { "full: media": "understand" });
    const { replies, rows, problems } = await runPipeline(nodes, ["image", "ptt", "chat"]);
    assert.doesNotMatch(replies.join("\n"), /I read your photo|I heard/, "no media read without stage 3");
    assert.equal(new Set(rows.map((row) => row[0])).size, rows.length, "each message a row once");
    assert.deepEqual(problems, []);
  });

  it("still answers every chat with the intelligence stage's group deleted and stage 3 wired straight to the answer", async () => {
    const nodes = withoutStage(pipeline(), "2 · Conversation intelligence", {
      "to intelligence": "answer",
      "reduced: no media": "answer",
    });
    const { replies, rows, problems } = await runPipeline(nodes, ["image", "ptt", "chat"]);
    assert.ok(
      rows.every((row) => (row[3] ?? "") === ""),
      "no intent without stage 2",
    );
    assert.match(replies.join("\n"), /I read your photo|I heard/, "stage 3 still reads the media");
    assert.deepEqual(problems, []);
  });
});

describe("the five-stage pipeline on Redis, two Node-RED instances side by side", function () {
  this.timeout(300_000);
  const prefix = `wapipe-pipeline-test-${process.pid}-${Date.now().toString(36)}:`;

  before(async function () {
    requirePrerequisite(this, await redisReachable(), `no Redis reachable at ${REDIS_URL}`);
  });
  after(async () => {
    if (!(await redisReachable())) return;
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    for (const key of await store.keys("")) await store.delete(key);
    await store.close();
  });

  it("shares the store, the dedupe and the demo Sheets server: each message answered and written once across both", async () => {
    const nodes = (JSON.parse(readFileSync(join(repoRoot, "examples", "five-stage-pipeline-redis.json"), "utf8")) as FlowNode[]).map(
      (node) => (node.type === "wa-store" ? { ...node, url: REDIS_URL, keyPrefix: prefix } : node),
    );
    assert.ok(nodes.some((node) => node.type === "wa-store" && (node as { backend?: string }).backend === "redis"));
    // A stage switched on one instance reaches the other through the shared store within a second's poll.
    let agreedAfterMs = -1;
    const mediaEnabled = async (runtime: RunningNodeRed) =>
      ((await (await fetch(`${runtime.url}/wa-pipeline/state`)).json()) as { stages: { id: string; enabled: boolean }[] }).stages.find(
        (stage) => stage.id === "media",
      )!.enabled;
    const switchMedia = (runtime: RunningNodeRed, enabled: boolean) =>
      fetch(`${runtime.url}/wa-pipeline/stages/media`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ enabled, by: "pipeline test" }),
      });
    const { rows, repliesPerInstance, problems, statusTexts } = await runPipeline(
      nodes,
      ["image", "ptt", "chat"],
      2,
      async (_first, _dir, both) => {
        const switchedAt = Date.now();
        assert.equal((await switchMedia(both[0], false)).status, 200);
        await waitFor(async () => !(await mediaEnabled(both[1])), 5_000, "stage 3 off on the second instance");
        agreedAfterMs = Date.now() - switchedAt;
        assert.equal((await switchMedia(both[1], true)).status, 200);
        await waitFor(async () => mediaEnabled(both[0]), 5_000, "stage 3 on again on the first instance");
      },
    );
    assert.ok(agreedAfterMs >= 0 && agreedAfterMs < 2_500, `the instances agreed on the switch after ${agreedAfterMs} ms`);
    // Both instances play the same simulated script: whichever reads a message second finds it a duplicate
    // (which one is first is a race between two processes).
    const dedupe = nodes.find((node) => node.type === "wa-dedupe")!;
    const dedupeTexts = [0, 1].map((instance) => statusTexts(instance, dedupe.id));
    assert.ok(
      dedupeTexts.some((texts) => texts.some((text) => /[1-9]\d* duplicates/.test(text))),
      `one instance's dedupe saw the other one's messages: ${dedupeTexts.map((texts) => texts.join(" / ")).join(" || ")}`,
    );
    // A row is written after its reply went out, so there are never more rows than replies.
    assert.ok(
      repliesPerInstance.reduce((a, b) => a + b, 0) >= new Set(rows.map((row) => row[0])).size,
      "every message written was answered, on one instance or the other",
    );
    const ids = rows.map((row) => String(row[0]));
    assert.equal(new Set(ids).size, ids.length, `each message a row once:\n${rows.map((row) => row.join(" | ")).join("\n")}`);
    assert.deepEqual(problems, [], "no error or warning in either log");
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const keys = await store.keys("");
    await store.close();
    assert.ok(keys.length > 0, "the pipeline's state is in Redis");
    console.log(
      `      replies per instance: ${repliesPerInstance.join(" and ")}; ${rows.length} rows; ${keys.length} keys in Redis; switch agreed after ${agreedAfterMs} ms`,
    );
  });
});
