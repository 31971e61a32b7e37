import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { TraceSpan } from "../../src/core/envelope";
import { PerformanceMonitor, quantile, toPrometheusText } from "../../src/core/perf/perf-monitor";

function span(nodeId: string, nodeType: string, start: number, durationMs: number): TraceSpan {
  return { nodeId, nodeType, start, end: start + durationMs };
}

describe("PerformanceMonitor", () => {
  it("computes nearest-rank quantiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(quantile(values, 0.5), 50);
    assert.equal(quantile(values, 0.99), 99);
    assert.equal(quantile(values, 1), 100);
    assert.equal(quantile([], 0.5), 0);
  });

  it("reports per-node latency, end-to-end latency, throughput and error rate per window", () => {
    const clock = new FakeClock(0);
    const monitor = new PerformanceMonitor(clock);
    for (let i = 1; i <= 100; i += 1) {
      const receivedAt = clock.now();
      clock.advance(i);
      monitor.record(
        [span("q", "wa-message-queue", receivedAt, 1), span("l", "wa-session-lock", receivedAt + 1, i - 1)],
        receivedAt,
        i % 10 === 0,
      );
    }
    clock.advance(10_000 - clock.now());
    const snapshot = monitor.snapshot();
    assert.equal(snapshot.messages, 100);
    assert.equal(snapshot.errors, 10);
    assert.equal(snapshot.errorRate, 0.1);
    assert.equal(snapshot.windowMs, 10_000);
    assert.equal(snapshot.throughputPerSec, 10);
    assert.equal(snapshot.endToEnd.p50, 50);
    assert.equal(snapshot.endToEnd.p99, 99);
    assert.equal(snapshot.endToEnd.max, 100);
    const lock = snapshot.nodes.find((node) => node.nodeId === "l")!;
    assert.equal(lock.count, 100);
    assert.equal(lock.p50, 49);
    assert.equal(lock.mean, 49.5);
    assert.equal(snapshot.nodes[0].nodeId, "l", "slowest node first");
    const next = monitor.snapshot();
    assert.equal(next.messages, 0, "a new window starts after a snapshot");
    assert.equal(next.totals.messages, 100);
    assert.equal(next.totals.errors, 10);
  });

  it("keeps a bounded sample yet exact counts and means", () => {
    const clock = new FakeClock(0);
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const monitor = new PerformanceMonitor(clock, { reservoirSize: 64, random });
    for (let i = 0; i < 10_000; i += 1) monitor.record([span("n", "t", 0, i % 100)], undefined);
    const node = monitor.snapshot().nodes[0];
    assert.equal(node.count, 10_000);
    assert.equal(node.mean, 49.5);
    assert.equal(node.max, 99);
    assert.ok(node.p50 > 25 && node.p50 < 75, `p50 from the sample should be near 50, got ${node.p50}`);
  });

  it("ignores malformed spans instead of failing", () => {
    const monitor = new PerformanceMonitor(new FakeClock(0));
    monitor.record(
      [null as unknown as TraceSpan, { nodeId: "x", nodeType: "t", start: Number.NaN, end: 1 }, span("ok", "t", 0, 5)],
      Number.NaN,
    );
    const snapshot = monitor.snapshot();
    assert.equal(snapshot.messages, 1);
    assert.deepEqual(
      snapshot.nodes.map((node) => node.nodeId),
      ["ok"],
    );
    assert.equal(snapshot.endToEnd.count, 0);
  });

  it("renders the Prometheus text format with escaped labels", () => {
    const clock = new FakeClock(0);
    const monitor = new PerformanceMonitor(clock);
    clock.advance(1000);
    monitor.record([{ nodeId: "n1", nodeType: "wa-out", nodeName: 'say "hi"', start: 0, end: 4 }], 0);
    const text = toPrometheusText(monitor.snapshot());
    assert.match(text, /^# TYPE wa_pipeline_messages_total counter$/m);
    assert.match(text, /^wa_pipeline_messages_total 1$/m);
    assert.match(text, /^wa_pipeline_end_to_end_ms\{quantile="0.99"\} 1000$/m);
    assert.match(text, /^wa_pipeline_node_latency_ms\{node="n1",type="wa-out",name="say \\"hi\\"",quantile="0.5"\} 4$/m);
    assert.match(text, /^wa_pipeline_node_latency_ms_count\{node="n1",type="wa-out",name="say \\"hi\\""\} 1$/m);
  });
});
