import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { ClientHealthMonitor } from "../../src/core/session/client-health";
import { DEFAULT_WEIGHTS, scoreHealth } from "../../src/core/session/health-score";

describe("ClientHealthMonitor", () => {
  const options = { silenceWarnMs: 60_000, windowMs: 300_000, failureRateWarn: 0.2 };

  it("grades the connection through its states, counting reconnects and auth failures", () => {
    const clock = new FakeClock(0);
    const health = new ClientHealthMonitor(clock, options);
    assert.equal(health.snapshot().level, "degraded", "starting");
    health.observeState("ready");
    assert.equal(health.snapshot().level, "healthy");
    clock.advance(1000);
    health.observeState("disconnected", "auth failure: logged out on the phone");
    assert.deepEqual([health.snapshot().level, health.snapshot().authFailures], ["down", 1]);
    health.observeState("ready");
    const after = health.snapshot();
    assert.deepEqual([after.level, after.reconnects, after.stateSince], ["healthy", 1, 1000]);
  });

  it("degrades on silence and on a high failure rate of recent sends", () => {
    const clock = new FakeClock(0);
    const health = new ClientHealthMonitor(clock, options);
    health.observeState("ready");
    clock.advance(59_999);
    assert.equal(health.snapshot().level, "healthy");
    clock.advance(1);
    assert.match(health.snapshot().reason, /no activity for 60 s/);
    health.observeIncoming();
    assert.equal(health.snapshot().level, "healthy");
    health.observeSend(true);
    health.observeSend(false);
    assert.equal(health.snapshot().level, "healthy", "two sends are too few to judge");
    health.observeSend(false);
    const snapshot = health.snapshot();
    assert.equal(snapshot.level, "degraded");
    assert.match(snapshot.reason, /67% of recent sends failed/);
    clock.advance(300_001);
    health.observeIncoming();
    assert.equal(health.snapshot().sendsInWindow, 0, "old sends leave the window");
    assert.equal(health.snapshot().level, "healthy");
  });
});

describe("scoreHealth", () => {
  it("is 100 with nothing wrong and with no readings yet", () => {
    assert.equal(scoreHealth({}).score, 100);
    assert.equal(
      scoreHealth({ errorRate: 0, p99LatencyMs: 100, queueDepth: 0, clientLevel: "healthy", breakerState: "closed" }).score,
      100,
    );
  });

  it("weighs each part as documented and leaves out the missing ones", () => {
    const down = scoreHealth({ errorRate: 0, p99LatencyMs: 100, queueDepth: 0, clientLevel: "down", breakerState: "closed" });
    assert.equal(down.score, 100 - DEFAULT_WEIGHTS.client);
    const halfErrors = scoreHealth({ errorRate: 0.1, clientLevel: "healthy" });
    // error rate part 0.5 (weight 35), client 1 (weight 20): (17.5 + 20) / 55
    assert.equal(halfErrors.score, Math.round((100 * (0.5 * 35 + 20)) / 55));
    assert.deepEqual(Object.keys(halfErrors.parts).sort(), ["client", "errorRate"]);
    const worst = scoreHealth({ errorRate: 1, p99LatencyMs: 60_000, queueDepth: 5000, clientLevel: "down", breakerState: "open" });
    assert.deepEqual([worst.score, worst.band], [0, "poor"]);
    assert.equal(scoreHealth({ p99LatencyMs: 16_000 }).score, 50);
    assert.equal(scoreHealth({ queueDepth: 505 }).band, "fair");
  });
});
