import assert from "node:assert/strict";
import { DEFAULT_DEGRADATION, DegradationPolicy } from "../../src/core/resilience/degradation";

describe("DegradationPolicy", () => {
  it("gets worse at once and better only past the margin, after the recovery time", () => {
    const policy = new DegradationPolicy({ ...DEFAULT_DEGRADATION, recoverAfterMs: 30_000 });
    assert.equal(policy.decide({ healthScore: 90 }, 0).mode, "full");
    const down = policy.decide({ healthScore: 65 }, 1000);
    assert.deepEqual([down.mode, down.changed, down.previous], ["reduced", true, "full"]);
    assert.match(down.reasons[0], /health score 65 < 70/);
    assert.equal(policy.decide({ healthScore: 75 }, 2000).mode, "reduced", "75 is above 70 but not above 70 + 10");
    assert.equal(policy.decide({ healthScore: 81 }, 3000).changed, false, "better, but not for 30 s yet");
    assert.equal(policy.decide({ healthScore: 85 }, 32_999).mode, "reduced");
    const up = policy.decide({ healthScore: 85 }, 33_000);
    assert.deepEqual([up.mode, up.changed], ["full", true]);
  });

  it("a dip during recovery restarts the recovery time", () => {
    const policy = new DegradationPolicy(DEFAULT_DEGRADATION);
    policy.decide({ healthScore: 30 }, 0);
    assert.equal(policy.mode, "minimal");
    policy.decide({ healthScore: 95 }, 1000);
    policy.decide({ healthScore: 45 }, 20_000);
    assert.equal(policy.decide({ healthScore: 95 }, 31_000).mode, "minimal", "the dip at 20 s reset the clock");
    assert.equal(policy.decide({ healthScore: 95 }, 61_000).mode, "full");
  });

  it("uses queue depth and open breakers, the worst part deciding", () => {
    const policy = new DegradationPolicy(DEFAULT_DEGRADATION);
    const open = policy.decide({ healthScore: 95, breakers: { sheets: "open" } }, 0);
    assert.equal(open.mode, "reduced");
    assert.deepEqual(open.reasons, ["breaker sheets open"]);
    const deep = policy.decide({ healthScore: 95, queueDepth: 1500, breakers: { sheets: "open" } }, 1);
    assert.equal(deep.mode, "minimal");
    assert.equal(
      policy.decide({ healthScore: 95, queueDepth: 100, breakers: { sheets: "half-open" } }, 60_000).mode,
      "minimal",
      "a half-open breaker is not recovered yet",
    );
    assert.equal(policy.decide({ healthScore: 95, queueDepth: 100, breakers: { sheets: "closed" } }, 60_001).mode, "minimal");
    assert.equal(policy.decide({ healthScore: 95, queueDepth: 100, breakers: { sheets: "closed" } }, 90_001).mode, "full");
  });
});
