import assert from "node:assert/strict";
import perfNode, { perfSettingsFromConfig } from "../../src/nodes/wa-perf-monitor";
import { collect, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

describe("wa-perf-monitor node", () => {
  const harness = useNodeHarness();

  function traced(nodeId: string, durationMs: number, receivedAt: number, extra: Record<string, unknown> = {}) {
    return {
      payload: "x",
      wa: {
        message: { chatId: "A@c.us", receivedAt },
        trace: [{ nodeId, nodeType: "wa-out", start: receivedAt, end: receivedAt + durationMs }],
      },
      ...extra,
    };
  }

  it("emits a snapshot every interval with per-node latency, throughput and errors", async () => {
    await helper.load(
      perfNode,
      inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 5, format: "json", wires: [["metrics"]] }, helperNode("metrics")]),
    );
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
    const snapshot = metrics[0].payload as {
      messages: number;
      errors: number;
      throughputPerSec: number;
      nodes: { nodeId: string; max: number; count: number }[];
      endToEnd: { p50: number };
    };
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
    await helper.load(
      perfNode,
      inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 60, format: "prometheus", wires: [["metrics"]] }, helperNode("metrics")]),
    );
    const metrics = collect("metrics");
    getNode("perf1").receive(traced("out1", 3, harness.clock().now()));
    getNode("perf1").receive({ topic: "snapshot" });
    await until(() => metrics.length === 1);
    assert.match(String(metrics[0].payload), /^wa_pipeline_messages_total 1$/m);
  });

  it("refuses an interval of 0 with a clear error", async () => {
    await helper.load(perfNode, inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 0, format: "json", wires: [[]] }]));
    const errors = helper
      .log()
      .args.filter(
        (a: { level: number; msg: string }[]) => a[0].level === 20 && /^Report every: 1 to 86400 seconds$/.test(String(a[0].msg)),
      );
    assert.equal(errors.length, 1);
  });

  it("Format both: the figures as an object and as Prometheus text on the same message, with a line per node", async () => {
    await helper.load(
      perfNode,
      inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 60, format: "both", wires: [["metrics"]] }, helperNode("metrics")]),
    );
    const metrics = collect("metrics");
    const t0 = harness.clock().now();
    getNode("perf1").receive(traced("out1", 4, t0));
    getNode("perf1").receive(traced("out1", 6, t0));
    getNode("perf1").receive({ topic: "snapshot" });
    await until(() => metrics.length === 1);
    const snapshot = metrics[0].payload as { messages: number; nodes: { nodeId: string; mean: number }[] };
    assert.equal(snapshot.messages, 2);
    assert.equal(snapshot.nodes[0].mean, 5);
    const text = String(metrics[0].prometheus);
    assert.match(text, /^wa_pipeline_messages_total 2$/m);
    assert.match(text, /^wa_pipeline_node_latency_ms_count\{node="out1",type="wa-out",name=""\} 2$/m);
  });

  it("each window starts afresh while the totals keep counting; the status shows rate, p99 and errors with its colour", async () => {
    await helper.load(
      perfNode,
      inTab([{ id: "perf1", type: "wa-perf-monitor", interval: 10, format: "json", wires: [["metrics"]] }, helperNode("metrics")]),
    );
    const metrics = collect("metrics");
    const clock = harness.clock();
    const lastStatus = () => getNode("perf1").status.lastCall!.args[0] as { fill: string; text: string };
    assert.deepEqual(lastStatus(), { fill: "grey", shape: "ring", text: "waiting for messages" });
    for (let i = 0; i < 20; i += 1) getNode("perf1").receive(traced("out1", 1, clock.now()));
    await until(() => helper.log().args.filter((a: { event?: string }[]) => a[0].event === "node.wa-perf-monitor.done").length === 20);
    await clock.advanceAsync(10_000);
    await until(() => metrics.length === 1);
    assert.deepEqual(lastStatus(), { fill: "green", shape: "dot", text: "2.0 msg/s · p99 0 ms · 0% errors" });
    getNode("perf1").receive(traced("out1", 1, clock.now(), { error: { message: "x" } }));
    for (let i = 0; i < 9; i += 1) getNode("perf1").receive(traced("out1", 1, clock.now()));
    await until(() => helper.log().args.filter((a: { event?: string }[]) => a[0].event === "node.wa-perf-monitor.done").length === 30);
    await clock.advanceAsync(10_000);
    await until(() => metrics.length === 2);
    const second = metrics[1].payload as {
      messages: number;
      errors: number;
      errorRate: number;
      totals: { messages: number; errors: number };
    };
    assert.deepEqual([second.messages, second.errors, second.errorRate], [10, 1, 0.1]);
    assert.deepEqual([second.totals.messages, second.totals.errors], [30, 1]);
    assert.equal(lastStatus().fill, "red", "10 % errors is over 5 %");
    await clock.advanceAsync(10_000);
    await until(() => metrics.length === 3);
    assert.equal((metrics[2].payload as { messages: number }).messages, 0);
    assert.equal(lastStatus().fill, "grey");
  });

  it("Report every: 1 to 86400 seconds; format json, prometheus or both", () => {
    assert.equal(perfSettingsFromConfig({ interval: 86_400, format: "both" } as never).intervalMs, 86_400_000);
    for (const [config, field] of [
      [{ interval: 86_401, format: "json" }, "interval"],
      [{ interval: 0.5, format: "json" }, "interval"],
      [{ interval: 10, format: "xml" }, "format"],
    ] as const) {
      assert.throws(
        () => perfSettingsFromConfig(config as never),
        (error: { code: string; params: { field?: string } }) => error.code === "config.invalid" && error.params.field === field,
        JSON.stringify(config),
      );
    }
  });
});
