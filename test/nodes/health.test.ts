import assert from "node:assert/strict";
import clientNode from "../../src/nodes/wa-client";
import healthNode, { clientHealthReading } from "../../src/nodes/wa-client-health";
import scoreNode from "../../src/nodes/wa-health-score";
import { lastHealthScore } from "../../src/nodes/kit/signals";
import queueNode from "../../src/nodes/wa-message-queue";
import outNode from "../../src/nodes/wa-out";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

describe("wa-client-health and wa-health-score nodes", () => {
  const harness = useNodeHarness();
  const nodes = [clientNode, healthNode, scoreNode, outNode, queueNode];

  function flow() {
    return inTab([
      {
        id: "sim1",
        type: "wa-client",
        mode: "simulator",
        source: "demo",
        speed: 1,
        maxGap: 3600,
        stagger: 3600,
        startDelay: 3600,
        loop: false,
      },
      {
        id: "h1",
        type: "wa-client-health",
        client: "sim1",
        interval: 30,
        silenceWarn: 0,
        failureRate: 50,
        window: 5,
        wires: [["health", "score1"]],
      },
      {
        id: "score1",
        type: "wa-health-score",
        threshold: 5,
        queueName: "main",
        wErrorRate: 35,
        wLatency: 20,
        wQueueDepth: 15,
        wClient: 20,
        wBreaker: 10,
        wires: [["scores"]],
      },
      { id: "out1", type: "wa-out", client: "sim1", chat: "wa.message.chatId", quote: false, wires: [[]] },
      {
        id: "q1",
        type: "wa-message-queue",
        mode: "enqueue",
        queueName: "main",
        key: "wa.message.chatId",
        maxPerChat: 1000,
        maxTotal: 10000,
        overflow: "reject",
        ackTimeout: 0,
        wires: [[], []],
      },
      helperNode("health"),
      helperNode("scores"),
      catchNode(),
      helperNode("errors"),
    ]);
  }

  it("reports the connection healthy, then degraded when most sends fail", async () => {
    await helper.load(nodes, flow());
    const health = collect("health");
    getNode("h1").receive({});
    await until(() => health.length === 1);
    assert.equal((health[0].payload as { level: string }).level, "healthy");
    for (let i = 0; i < 3; i += 1) getNode("out1").receive({ payload: "x" }); // no chat: each send fails
    await until(() => health.length === 2);
    const degraded = health[1].payload as { level: string; reason: string; sendFailuresInWindow: number };
    assert.equal(degraded.level, "degraded");
    assert.match(degraded.reason, /100% of recent sends failed/);
    assert.equal(clientHealthReading("h1")?.level, "degraded");
  });

  it("reports on its interval (30 s here), each report with the connection's state and the time it was made", async () => {
    await helper.load(nodes, flow());
    const health = collect("health");
    const t0 = harness.clock().now();
    await harness.clock().advanceAsync(29_000);
    await until(() => true);
    assert.equal(health.length, 0, "nothing before the first interval");
    await harness.clock().advanceAsync(1_000);
    await until(() => health.length === 1);
    await harness.clock().advanceAsync(30_000);
    await until(() => health.length === 2);
    const reports = health.map((m) => m.payload as { level: string; state: string; at: number });
    assert.deepEqual(
      reports.map((r) => [r.level, r.state, r.at - t0]),
      [
        ["healthy", "ready", 30_000],
        ["healthy", "ready", 60_000],
      ],
    );
  });

  it("scores from the perf monitor, client health and the live queue depth; emits on a big enough change", async () => {
    await helper.load(nodes, flow());
    const scores = collect("scores");
    const score = getNode("score1");
    score.receive({ topic: "wa-perf", payload: { errorRate: 0, endToEnd: { p99: 100, count: 10 } } });
    await until(() => lastHealthScore("score1")?.score === 100);
    score.receive({ topic: "wa-perf", payload: { errorRate: 0.1, endToEnd: { p99: 100, count: 10 } } });
    await until(() => scores.length >= 1 && (scores.at(-1)!.payload as { score: number }).score < 100);
    const last = scores.at(-1)!.payload as { score: number; parts: Record<string, unknown> };
    assert.ok(last.score < 100 && last.score > 60, `score ${last.score}`);
    assert.ok("queueDepth" in last.parts, "the queue named in the form is read");
    for (let i = 0; i < 600; i += 1) getNode("q1").receive(envelope("A@c.us", `m${i}`));
    await harness.clock().advanceAsync(10_000);
    await until(() => (lastHealthScore("score1")?.parts.queueDepth?.score ?? 1) < 1);
  });

  it("tells what it expected when given an unknown message", async () => {
    await helper.load(nodes, flow());
    const errors = collect("errors");
    getNode("score1").receive({ topic: "weather", payload: 1 });
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /expected msg.topic wa-perf/);
  });
});
