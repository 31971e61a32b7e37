import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { TokenBucket } from "../../src/core/resilience/token-bucket";

describe("TokenBucket", () => {
  it("allows the per-minute budget at once, then spaces requests at the refill rate", () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(clock, 60);
    for (let i = 0; i < 60; i += 1) assert.equal(bucket.reserve(), 0);
    assert.equal(bucket.reserve(), 1000);
    assert.equal(bucket.reserve(), 2000);
    clock.advance(2000);
    assert.equal(bucket.reserve(), 1000, "two refilled, both taken, one more waits a second");
  });

  it("turn() resolves when the reserved time comes", async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(clock, 60);
    for (let i = 0; i < 60; i += 1) await bucket.turn();
    let done = false;
    void bucket.turn().then(() => (done = true));
    await clock.advanceAsync(999);
    assert.equal(done, false);
    assert.equal(bucket.queued, 1);
    await clock.advanceAsync(1);
    assert.equal(done, true);
  });
});
