import assert from "node:assert/strict";
import perfNode from "../../src/nodes/wa-perf-monitor";
import { collect, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

describe("wa-perf-monitor node", () => {
  const harness = useNodeHarness();

  function traced(nodeId: string, durationMs: number, receivedAt: number, extra: Record<string, unknown> = {}) {
    return { payload: "x", wa: { message: { chatId: "A@c.us", receivedAt }, trace: [{ nodeId, nodeType: "wa-out", start: receivedAt, end: receivedAt + durationMs }] }, ...extra };
  }

  it("emits a snapshot every interval with per-node latency, throughput and errors", async () => {
    await helper.load(perfNode, inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 5, format: "json", wires: [["metrics"]] }, helperNode("metrics")]));
    const metrics = collect("metrics");
    const perf = getNode("perf1");
    const clock = harness.clock();
    const t0 = clock.now();
    await clock.advanceAsync(200);
    for (let i = 1; i <= 10; i += 1) perf.receive(traced("out1", i, t0));
    perf.receive(traced("out1", 1, t0, { error: { message: "boom" } }));
    await until(() => helper.log().args.filter((a: { event?: string }[]) => a[0].event === "node.wa-perf-monitor.done").length === 11);
    await clock.advanceAsync(4800);
    await until(() => metrics.length === 1);
    const snapshot = metrics[0].payload as { messages: number; errors: number; throughputPerSec: number; nodes: { nodeId: string; max: number; count: number }[]; endToEnd: { p50: number } };
    assert.equal(metrics[0].topic, "wa-perf");
    assert.equal(snapshot.messages, 11);
    assert.equal(snapshot.errors, 1);
    assert.equal(snapshot.throughputPerSec, 2.2);
    assert.equal(snapshot.nodes[0].nodeId, "out1");
    assert.equal(snapshot.nodes[0].count, 11);
    assert.equal(snapshot.nodes[0].max, 10);
    assert.equal(snapshot.endToEnd.p50, 200);
  });

  it("reports now on a snapshot request, as Prometheus text when chosen", async () => {
    await helper.load(perfNode, inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 60, format: "prometheus", wires: [["metrics"]] }, helperNode("metrics")]));
    const metrics = collect("metrics");
    getNode("perf1").receive(traced("out1", 3, harness.clock().now()));
    getNode("perf1").receive({ topic: "snapshot" });
    await until(() => metrics.length === 1);
    assert.match(String(metrics[0].payload), /^wa_pipeline_messages_total 1$/m);
  });

  it("refuses an interval of 0 with a clear error", async () => {
    await helper.load(perfNode, inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 0, format: "json", wires: [[]] }]));
    const errors = helper.log().args.filter((a: { level: number; msg: string }[]) => a[0].level === 20 && /Interval must be between/.test(String(a[0].msg)));
    assert.equal(errors.length, 1);
  });
});
