import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { BreakerState, CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from "../../src/core/resilience/circuit-breaker";

function setup(overrides = {}) {
  const clock = new FakeClock(0);
  const breaker = new CircuitBreaker(clock, {
    ...DEFAULT_BREAKER_OPTIONS,
    windowMs: 10_000,
    minimumCalls: 4,
    failureRate: 0.5,
    resetTimeoutMs: 5_000,
    ...overrides,
  });
  const changes: [BreakerState, string][] = [];
  breaker.onChange((state, reason) => changes.push([state, reason]));
  return { clock, breaker, changes };
}

describe("CircuitBreaker", () => {
  it("opens when the failure rate over the window reaches the threshold, not before the minimum calls", () => {
    const { breaker, changes } = setup();
    breaker.recordFailure("503");
    breaker.recordFailure("503");
    assert.equal(breaker.state(), "closed", "two calls are too few to judge");
    breaker.recordSuccess();
    breaker.recordFailure("429");
    assert.equal(breaker.state(), "open");
    assert.match(changes[0][1], /3 of 4 calls failed in 10 s \(last: 429\)/);
    assert.equal(breaker.tryAcquire(), false);
  });

  it("forgets failures older than the window", () => {
    const { clock, breaker } = setup();
    breaker.recordFailure("x");
    breaker.recordFailure("x");
    clock.advance(10_001);
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordFailure("x");
    breaker.recordSuccess();
    assert.equal(breaker.state(), "closed");
    assert.equal(breaker.stats().failuresInWindow, 1);
  });

  it("opens on a failure count when one is set", () => {
    const { breaker } = setup({ failureCount: 2, minimumCalls: 100 });
    breaker.recordFailure("x");
    breaker.recordFailure("x");
    assert.equal(breaker.state(), "open");
  });

  it("lets one probe through after the reset timeout; closes on its success", () => {
    const { clock, breaker, changes } = setup({ failureCount: 1 });
    breaker.recordFailure("down");
    assert.equal(breaker.retryAt(), 5_000);
    clock.advance(4_999);
    assert.equal(breaker.tryAcquire(), false);
    clock.advance(1);
    assert.equal(breaker.tryAcquire(), true, "the probe");
    assert.equal(breaker.tryAcquire(), false, "only one probe at a time");
    breaker.recordSuccess();
    assert.equal(breaker.state(), "closed");
    assert.deepEqual(
      changes.map(([s]) => s),
      ["open", "half-open", "closed"],
    );
  });

  it("opens again when the probe fails, for another reset timeout", () => {
    const { clock, breaker } = setup({ failureCount: 1 });
    breaker.recordFailure("down");
    clock.advance(5_000);
    assert.equal(breaker.tryAcquire(), true);
    breaker.recordFailure("still down");
    assert.equal(breaker.state(), "open");
    assert.equal(breaker.retryAt(), 10_000);
    assert.equal(breaker.stats().opens, 2);
  });
});
