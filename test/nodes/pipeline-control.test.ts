import assert from "node:assert/strict";
import degradeNode from "../../src/nodes/wa-degrade";
import entitiesNode from "../../src/nodes/wa-entities";
import lockNode from "../../src/nodes/wa-session-lock";
import queueNode from "../../src/nodes/wa-message-queue";
import storeNode from "../../src/nodes/wa-store";
import { pipelineControl } from "../../src/nodes/kit/pipeline-control";
import { STAGE_IDS } from "../../src/core/pipeline/stages";
import type { PipelineSnapshot } from "../../src/core/pipeline/pipeline-metrics";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Record<string, string>;
}
type Request = {
  post(path: string): { send(body: unknown): Promise<Answer> };
  get(path: string): Promise<Answer>;
};
const admin = () => helper.request() as unknown as Request;

const statusTexts = (id: string) =>
  getNode(id)
    .status.getCalls()
    .map((call) => String((call.args[0] as { text?: unknown }).text ?? ""));

describe("pipeline stage switches, figures and endpoints", () => {
  useNodeHarness();
  afterEach(async () => {
    // The switches belong to the runtime, not to one flow: every test leaves them on.
    for (const stage of STAGE_IDS) await pipelineControl.switches.set(stage, true, "test cleanup");
  });

  const queueTo = (next: string) => ({
    id: "q1",
    type: "wa-message-queue",
    mode: "enqueue",
    queueName: "default",
    key: "wa.message.chatId",
    maxPerChat: 100,
    maxTotal: 1000,
    overflow: "reject",
    ackTimeout: 60,
    wires: [[next], []],
  });
  const entities = { id: "e1", type: "wa-entities", region: "", orderPatterns: "", property: "payload", wires: [["out"]] };

  it("passes a switched-off stage's messages through untouched, marked in the envelope and shown in the status, and works again once on", async () => {
    await helper.load(entitiesNode, inTab([entities, helperNode("out")]));
    const out = collect("out");
    const off = await admin().post("/wa-pipeline/stages/intelligence").send({ enabled: false, by: "test" });
    assert.equal(off.status, 200, off.text);
    assert.equal((off.body.stages as Record<string, { enabled: boolean }>).intelligence.enabled, false);
    getNode("e1").receive(envelope("447700900001@c.us", "2 boxes of mangoes to 12 Baker Street"));
    await until(() => out.length === 1);
    const skippedMsg = out[0] as { wa: { nlu?: unknown; pipeline?: { skipped?: unknown } }; payload: unknown };
    assert.equal(skippedMsg.wa.nlu, undefined, "no entities read while stage 2 is off");
    assert.deepEqual(skippedMsg.wa.pipeline?.skipped, [{ stage: "intelligence", nodeId: "e1", nodeType: "wa-entities" }]);
    assert.equal(skippedMsg.payload, "2 boxes of mangoes to 12 Baker Street", "the message is untouched");
    assert.match(statusTexts("e1").at(-1) ?? "", /stage 2 off/);

    const on = await admin().post("/wa-pipeline/stages/2").send({ enabled: true });
    assert.equal(on.status, 200, on.text);
    assert.doesNotMatch(statusTexts("e1").at(-1) ?? "", /stage 2 off/, "the node's own status is back");
    getNode("e1").receive(envelope("447700900001@c.us", "2 boxes of mangoes to 12 Baker Street"));
    await until(() => out.length === 2);
    const read = out[1] as { wa: { nlu?: { entities?: unknown[] }; pipeline?: unknown } };
    assert.ok(Array.isArray(read.wa.nlu?.entities) && read.wa.nlu.entities.length > 0, "entities read again");
    assert.equal(read.wa.pipeline, undefined);
  });

  it("refuses an unknown stage and a body without enabled, naming what it takes", async () => {
    await helper.load(entitiesNode, inTab([entities, helperNode("out")]));
    const unknown = await admin().post("/wa-pipeline/stages/nlp").send({ enabled: false });
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.error), /session, intelligence, media, resilience, performance or 1 to 5/);
    const noFlag = await admin().post("/wa-pipeline/stages/media").send({ enabled: "off" });
    assert.equal(noFlag.status, 400);
    assert.equal(pipelineControl.switches.isEnabled("media"), true);
  });

  it("takes a wa-stage message at wa-degrade, even while the resilience stage itself is off", async () => {
    await helper.load(
      [degradeNode, entitiesNode],
      inTab([
        {
          id: "d1",
          type: "wa-degrade",
          routing: "route",
          reducedBelowScore: 70,
          minimalBelowScore: 40,
          reducedAboveDepth: 200,
          minimalAboveDepth: 1000,
          openBreakerMode: "reduced",
          recoverSeconds: 30,
          wires: [["full"], [], [], []],
        },
        entities,
        helperNode("full"),
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const errors = collect("errors");
    getNode("d1").receive({ topic: "wa-stage", payload: { stage: "resilience", enabled: false } });
    await until(() => !pipelineControl.switches.isEnabled("resilience"));
    getNode("d1").receive({ topic: "wa-stage", payload: { stage: 2, enabled: false } });
    await until(() => !pipelineControl.switches.isEnabled("intelligence"));
    assert.match(pipelineControl.switches.get("intelligence").by, /message to d1/);
    getNode("d1").receive({ topic: "wa-stage", payload: { stage: "Resilience", enabled: true } });
    await until(() => pipelineControl.switches.isEnabled("resilience"));
    getNode("d1").receive({ topic: "wa-stage", payload: { stage: "speech", enabled: true } });
    await until(() => errors.length === 1);
    assert.equal((errors[0].error as { code?: string }).code, "pipeline.unknownStage");
  });

  it("with stage 1 off, the queue and the lock pass messages by and their ack and release halves pass them on without a complaint", async () => {
    await helper.load(
      [queueNode, lockNode],
      inTab([
        queueTo("lock1"),
        {
          id: "lock1",
          type: "wa-session-lock",
          mode: "acquire",
          lockName: "default",
          key: "wa.message.chatId",
          ttl: 30,
          wait: 10,
          onTimeout: "output",
          wires: [["unlock1"], []],
        },
        { id: "unlock1", type: "wa-session-lock", mode: "release", lockName: "default", wires: [["ack1"]] },
        { id: "ack1", type: "wa-message-queue", mode: "ack", queueName: "default", wires: [["done"]] },
        helperNode("done"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const done = collect("done");
    const errors = collect("errors");
    const warnings: unknown[] = [];
    for (const id of ["unlock1", "ack1"]) getNode(id).on("call:warn", (call: unknown) => warnings.push(call));
    getNode("q1").receive(envelope("447700900002@c.us", "one"));
    await until(() => done.length === 1);
    assert.equal(pipelineControl.snapshot().messages.completed >= 1, true, "the ack completed the message");

    await pipelineControl.switches.set("session", false, "test");
    getNode("q1").receive(envelope("447700900002@c.us", "two"));
    getNode("q1").receive(envelope("447700900002@c.us", "three"));
    await until(() => done.length === 3);
    assert.deepEqual(
      done.slice(1).map((msg) => (msg.wa as { pipeline: { skipped: { nodeId: string }[] } }).pipeline.skipped.map((step) => step.nodeId)),
      [
        ["q1", "lock1"],
        ["q1", "lock1"],
      ],
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, []);
    const queue = pipelineControl.snapshot().nodes.find((node) => node.id === "q1")!;
    assert.equal(queue.skipped, 2);
    assert.equal(queue.numbers.queueInFlight, 0, "nothing held in the queue");
  });

  it("reports the pipeline as JSON and Prometheus text: every node's counts, the stages, the gauges", async () => {
    await helper.load([queueNode, entitiesNode], inTab([queueTo("e1"), { ...entities, name: "read the order" }, helperNode("out")]));
    const out = collect("out");
    for (const chat of ["447700900003@c.us", "447700900004@c.us"]) getNode("q1").receive(envelope(chat, "3 crates of apples"));
    await until(() => out.length === 2);
    await pipelineControl.switches.set("media", false, "test");
    const state = await admin().get("/wa-pipeline/state");
    assert.equal(state.status, 200);
    const snapshot = state.body as unknown as PipelineSnapshot;
    const reader = snapshot.nodes.find((node) => node.id === "e1")!;
    assert.equal(reader.name, "read the order");
    assert.equal(reader.stage, "intelligence");
    assert.equal(reader.messages, 2);
    assert.equal(reader.errors, 0);
    assert.equal(snapshot.nodes.find((node) => node.id === "q1")!.numbers.queueInFlight, 2, "two chats in flight, never acked");
    assert.deepEqual(
      snapshot.stages.map((stage) => [stage.number, stage.id, stage.health]),
      [
        [1, "session", "ok"],
        [2, "intelligence", "ok"],
        [3, "media", "off"],
        [4, "resilience", "idle"],
        [5, "performance", "idle"],
      ],
    );
    const metrics = await admin().get("/wa-pipeline/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers["content-type"], /^text\/plain;.*version=0\.0\.4/);
    assert.match(metrics.text, /^wa_pipeline_stage_enabled\{instance_id="[^"]+",stage="media"\} 0$/m);
    assert.match(
      metrics.text,
      /^wa_pipeline_node_messages_total\{[^}]*node="e1",type="wa-entities",name="read the order",stage="intelligence"\} 2$/m,
    );
    assert.match(metrics.text, /^wa_pipeline_node_queue_in_flight\{[^}]*node="q1"[^}]*\} 2$/m);
    assert.match(metrics.text, /^# TYPE wa_pipeline_node_latency_ms summary$/m);
  });

  it("writes a switch to the flow's store, where a restarted runtime or another instance reads it (see the core tests)", async () => {
    const store = { id: "store1", type: "wa-store", backend: "memory" };
    await helper.load([storeNode, entitiesNode], inTab([store, { ...entities, store: "store1" }, helperNode("out")]));
    await pipelineControl.switches.set("intelligence", false, "test");
    const kept = await (getNode("store1") as unknown as { store: { get(key: string): Promise<string | undefined> } }).store.get(
      "pipeline:stage:intelligence",
    );
    assert.equal(JSON.parse(kept ?? "{}").enabled, false);
  });
});
