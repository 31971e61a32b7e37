import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { CompletionMeter, MeteredNode, NodeMeter, PipelineFigures, pipelinePrometheusText } from "../../src/core/pipeline/pipeline-metrics";
import { StageSwitch, StageSwitches, stageSwitchKey } from "../../src/core/pipeline/stage-switches";
import { STAGE_IDS, StageId, parseStage, runsWhileStageOff, stageOfNodeType } from "../../src/core/pipeline/stages";
import { MemoryStore } from "../../src/core/store/memory-store";
import { Store } from "../../src/core/store/store";
import { sidebarHtml } from "../../src/editor/sidebar-view";

const allOn = (): Record<StageId, StageSwitch> =>
  Object.fromEntries(STAGE_IDS.map((stage) => [stage, { enabled: true, changedAt: 0, by: "" }])) as Record<StageId, StageSwitch>;

function metered(id: string, type: string, extra: Partial<MeteredNode> = {}): MeteredNode {
  return { id, type, name: "", flow: "f1", stage: stageOfNodeType(type), runsWhileOff: false, meter: new NodeMeter(), ...extra };
}

describe("pipeline stages", () => {
  it("names each of the 23 component types' stage, and takes a stage by id, number or title", () => {
    assert.equal(stageOfNodeType("wa-intent"), "intelligence");
    assert.equal(stageOfNodeType("wa-sheets-write"), "resilience");
    assert.equal(stageOfNodeType("wa-sheets-read"), "performance");
    assert.equal(stageOfNodeType("wa-in"), undefined, "transports belong to no stage");
    assert.deepEqual(["intelligence", 2, "2", " Media Intelligence "].map(parseStage), [
      "intelligence",
      "intelligence",
      "intelligence",
      "media",
    ]);
    assert.throws(
      () => parseStage(6),
      (error: Error & { code?: string }) => error.code === "pipeline.unknownStage" && /1 to 5/.test(error.message),
    );
    assert.throws(() => parseStage(undefined), /Unknown pipeline stage/);
  });

  it("keeps running what hands back held things, the dead letters, the paced send and the monitors while their stage is off", () => {
    assert.equal(runsWhileStageOff("wa-session-lock", "release"), true);
    assert.equal(runsWhileStageOff("wa-session-lock", "acquire"), false);
    assert.equal(runsWhileStageOff("wa-message-queue", "ack"), true);
    assert.equal(runsWhileStageOff("wa-parallel", "release"), true);
    assert.equal(runsWhileStageOff("wa-dead-letter", "capture"), true);
    assert.equal(runsWhileStageOff("wa-batch-send", undefined), true);
    assert.equal(runsWhileStageOff("wa-client-health", undefined), true);
    assert.equal(runsWhileStageOff("wa-intent", undefined), false);
    assert.equal(runsWhileStageOff("wa-sheets-write", undefined), false);
  });
});

describe("stage switches kept in stores", () => {
  it("two instances on one store agree within a poll, and a restarted instance starts with the stored switch", async () => {
    const clock = new FakeClock();
    const shared = new MemoryStore(clock);
    const first = new StageSwitches(clock, () => [shared]);
    const second = new StageSwitches(clock, () => [shared]);
    const heard: string[] = [];
    second.subscribe((stage, state) => heard.push(`${stage} ${state.enabled ? "on" : "off"} by ${state.by}`));
    first.start();
    second.start();
    await flushMicrotasks();
    await first.set("intelligence", false, "editor sidebar");
    assert.equal(first.isEnabled("intelligence"), false, "at once where it was set");
    assert.equal(second.isEnabled("intelligence"), true, "not yet read by the other instance");
    await clock.advanceAsync(1000);
    assert.equal(second.isEnabled("intelligence"), false, "within a second on the other");
    assert.deepEqual(heard, ["intelligence off by editor sidebar"]);

    const restarted = new StageSwitches(clock, () => [shared]);
    await restarted.refresh();
    assert.equal(restarted.isEnabled("intelligence"), false);
    assert.equal(restarted.isEnabled("media"), true);
    first.stop();
    second.stop();
  });

  it("takes the latest record when stores disagree, and says when a store cannot be read without losing the state", async () => {
    const clock = new FakeClock();
    const older = new MemoryStore(clock);
    const newer = new MemoryStore(clock);
    await older.set(stageSwitchKey("media"), JSON.stringify({ enabled: false, changedAt: clock.now() - 5000, by: "a" }));
    await newer.set(stageSwitchKey("media"), JSON.stringify({ enabled: true, changedAt: clock.now() - 1000, by: "b" }));
    await newer.set(stageSwitchKey("session"), "not json");
    const problems: unknown[] = [];
    let broken = false;
    const failing: Store = new Proxy(newer, {
      get: (target, property) =>
        property === "get" && broken ? () => Promise.reject(new Error("connection lost")) : Reflect.get(target, property, target),
    });
    const switches = new StageSwitches(
      clock,
      () => [older, failing],
      (error) => problems.push(error),
    );
    await switches.refresh();
    assert.deepEqual(switches.get("media"), { enabled: true, changedAt: clock.now() - 1000, by: "b" });
    assert.equal(switches.isEnabled("session"), true, "a record that is not one is ignored");
    broken = true;
    await switches.refresh();
    assert.equal(problems.length, 1);
    assert.equal(switches.isEnabled("media"), true, "the last state read holds");
  });
});

describe("pipeline figures", () => {
  it("gives rates over the time between snapshots, per-stage health, completions and a history for the chart", () => {
    const clock = new FakeClock();
    const figures = new PipelineFigures(clock, "host:1");
    const intent = metered("i1", "wa-intent");
    const writer = metered("w1", "wa-sheets-write", { gauges: () => ({ states: { breaker: "open" } }) });
    const completions = new CompletionMeter();
    figures.snapshot([intent, writer], allOn(), completions);
    for (let i = 0; i < 50; i += 1) {
      intent.meter.started();
      intent.meter.finished(i < 49 ? 2 : 40, false);
      completions.complete(100 + i);
    }
    clock.advance(5000);
    const snapshot = figures.snapshot(
      [intent, writer],
      { ...allOn(), media: { enabled: false, changedAt: 1, by: "admin api" } },
      completions,
    );
    assert.equal(snapshot.nodes[0].ratePerSec, 10);
    assert.equal(snapshot.nodes[0].p50Ms, 2);
    assert.equal(snapshot.nodes[0].p99Ms, 40);
    assert.equal(snapshot.messages.ratePerSec, 10);
    assert.equal(snapshot.messages.completed, 50);
    assert.deepEqual(
      snapshot.stages.map((stage) => stage.health),
      ["idle", "ok", "off", "failing", "idle"],
      "the open breaker puts stage 4 in trouble",
    );
    assert.deepEqual(snapshot.history, [{ at: clock.now(), ratePerSec: 10, p99Ms: 149 }]);
  });

  it("writes Prometheus text with escaped labels and one family per gauge", () => {
    const clock = new FakeClock();
    const queue = metered("q1", "wa-message-queue", { name: 'orders "main"\nqueue', gauges: () => ({ numbers: { queueWaiting: 3 } }) });
    queue.meter.started();
    queue.meter.finished(1, true);
    const text = pipelinePrometheusText(new PipelineFigures(clock, "host:1").snapshot([queue], allOn(), new CompletionMeter()));
    assert.match(
      text,
      /^wa_pipeline_node_errors_total\{instance_id="host:1",node="q1",type="wa-message-queue",name="orders \\"main\\"\\nqueue",stage="session"\} 1$/m,
    );
    assert.match(text, /^# TYPE wa_pipeline_node_queue_waiting gauge$/m);
    assert.match(text, /^wa_pipeline_node_queue_waiting\{[^}]*\} 3$/m);
    for (const line of text.trim().split("\n")) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+\{[^}]*\} -?[\d.e+]+)$/, line);
  });

  it("renders the sidebar with its switches, reveal links and the chart, escaping what a flow names", async () => {
    const clock = new FakeClock();
    const figures = new PipelineFigures(clock, "host:1");
    const hostile = metered("n1", "wa-intent", { name: '<img src=x onerror="alert(1)">' });
    const completions = new CompletionMeter();
    const t = (key: string, params?: Record<string, string | number>) => `${key}${params ? JSON.stringify(params) : ""}`;
    assert.match(sidebarHtml(undefined, t), /empty/);
    for (let i = 0; i < 3; i += 1) {
      figures.snapshot([hostile], allOn(), completions);
      completions.complete(10);
      clock.advance(5000);
      await flushMicrotasks(1);
    }
    const html = sidebarHtml(
      figures.snapshot([hostile], { ...allOn(), intelligence: { enabled: false, changedAt: 1, by: "ops" } }, completions),
      t,
    );
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
    assert.match(html, /class="[^"]*wa-pipeline-switch" data-stage="intelligence" data-enabled="false"/);
    assert.match(html, /data-stage="session" data-enabled="true"/);
    assert.match(html, /class="wa-pipeline-reveal" data-node="n1"/);
    assert.match(html, /<polyline class="wa-pipeline-rate"/);
    assert.match(html, /offBy\{&quot;by&quot;:&quot;ops&quot;\}/);
  });
});
