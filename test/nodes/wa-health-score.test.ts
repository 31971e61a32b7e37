import assert from "node:assert/strict";
import scoreNode from "../../src/nodes/wa-health-score";
import { lastHealthScore } from "../../src/nodes/kit/signals";
import { catchNode, collect, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

type Score = { score: number; band: string; parts: Record<string, { score: number; weight: number }> };

describe("wa-health-score node: every option of its form, its bands and its errors", () => {
  const harness = useNodeHarness();

  async function load(score: Record<string, unknown> = {}) {
    await helper.load(
      scoreNode,
      inTab([
        {
          id: "s1",
          type: "wa-health-score",
          threshold: 5,
          queueName: "",
          wErrorRate: 35,
          wLatency: 20,
          wQueueDepth: 15,
          wClient: 20,
          wBreaker: 10,
          wires: [["scores"]],
          ...score,
        },
        helperNode("scores"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    return collect("scores");
  }
  const perf = (errorRate: number, p99 = 100) => ({ topic: "wa-perf", payload: { errorRate, endToEnd: { p99, count: 10 } } });
  /** The status is shown at most once a second: the fake clock moves past that first. */
  const statusFill = async () => {
    await harness.clock().advanceAsync(2_000);
    return (getNode("s1").status.lastCall?.args[0] as { fill: string }).fill;
  };
  const current = () => lastHealthScore("s1") as Score;

  it("weighs the perf monitor, the client health and the breaker; green, yellow and red by band", async () => {
    await load();
    getNode("s1").receive(perf(0));
    getNode("s1").receive({ topic: "wa-health", payload: { level: "healthy" } });
    getNode("s1").receive({ topic: "wa-breaker", payload: { state: "closed" } });
    await untilReal(() => Object.keys(current()?.parts ?? {}).length === 4, 2000);
    assert.equal(current().score, 100);
    assert.equal(await statusFill(), "green");
    getNode("s1").receive({ topic: "wa-breaker", payload: { state: "open" } });
    getNode("s1").receive({ topic: "wa-health", payload: { level: "degraded" } });
    // (35·1 + 20·1 + 20·0.5 + 10·0) / 85 = 76: fair
    await untilReal(() => current().score === 76, 2000);
    assert.equal(current().band, "fair");
    assert.equal(await statusFill(), "yellow");
    getNode("s1").receive(perf(0.2, 30_000));
    getNode("s1").receive({ topic: "wa-health", payload: { level: "down" } });
    await untilReal(() => current().score === 0, 2000);
    assert.equal(current().band, "poor");
    assert.equal(await statusFill(), "red");
  });

  it("Weights: a part weighted 0 does not count", async () => {
    await load({ wBreaker: 0 });
    getNode("s1").receive(perf(0));
    getNode("s1").receive({ topic: "wa-breaker", payload: { state: "open" } });
    await untilReal(() => current()?.parts.breaker !== undefined, 2000);
    assert.equal(current().score, 100, "the open breaker weighs nothing");
  });

  it("sends its first score once the flow has started, so the nodes it is wired to get it", async () => {
    const scores = await load();
    await harness.clock().advanceAsync(1);
    await untilReal(() => scores.length === 1, 2000);
    assert.equal(scores[0].topic, "wa-health-score");
    assert.equal((scores[0].payload as Score).score, 100);
  });

  it("Emit on a change of: sends a score only when it moved by the threshold or changed band", async () => {
    const scores = await load({ threshold: 10, wLatency: 0, wQueueDepth: 0, wClient: 0, wBreaker: 0 });
    // It sends 100 once the flow has started, before any reading.
    await harness.clock().advanceAsync(1);
    getNode("s1").receive(perf(0)); // 100: did not move
    getNode("s1").receive(perf(0.01)); // 95: moved 5, same band
    getNode("s1").receive(perf(0.03)); // 85: moved 15 from the last one sent
    getNode("s1").receive(perf(0.04)); // 80: moved 5
    getNode("s1").receive(perf(0.045)); // 78: moved 7, but a new band
    await untilReal(() => current()?.score === 78 && scores.length >= 2, 2000).catch(() => undefined);
    assert.deepEqual(
      scores.map((s) => (s.payload as Score).score),
      [100, 85, 78],
    );
  });

  it("refuses settings it cannot use, each with its reason", async () => {
    for (const [setting, text] of [
      [{ threshold: 0 }, /Emit on a change of/],
      [{ wLatency: 101 }, /Weight of the latency: 0 to 100$/],
      [{ wErrorRate: 0, wLatency: 0, wQueueDepth: 0, wClient: 0, wBreaker: 0 }, /At least one weight/],
    ] as const) {
      await load(setting);
      const errors = collect("errors");
      getNode("s1").receive(perf(0));
      await untilReal(() => errors.length === 1, 2000);
      assert.equal((errors[0].error as { code?: string }).code, "config.invalid");
      assert.match((errors[0].error as { message: string }).message, text);
      await helper.unload();
    }
  });

  it("sends an input it does not know to the Catch node with input.unknown", async () => {
    await load();
    const errors = collect("errors");
    getNode("s1").receive({ payload: "no topic" });
    getNode("s1").receive({ topic: "weather", payload: 1 });
    await untilReal(() => errors.length === 2, 2000);
    assert.deepEqual(
      errors.map((e) => (e.error as { code?: string }).code),
      ["input.unknown", "input.unknown"],
    );
    assert.match((errors[0].error as { message: string }).message, /got no topic/);
  });
});
