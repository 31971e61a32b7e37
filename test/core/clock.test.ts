import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";

describe("FakeClock", () => {
  it("fires timers in due order, including ones scheduled while advancing", () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@20"), 20);
    clock.setTimeout(() => {
      fired.push("a@10");
      clock.setTimeout(() => fired.push("c@15"), 5);
    }, 10);
    clock.advance(25);
    assert.deepEqual(fired, ["a@10", "c@15", "b@20"]);
    assert.equal(clock.now(), 25);
  });

  it("repeats intervals and stops them when cleared", () => {
    const clock = new FakeClock(0);
    let ticks = 0;
    const handle = clock.setInterval(() => (ticks += 1), 100);
    clock.advance(350);
    assert.equal(ticks, 3);
    clock.clearInterval(handle);
    clock.advance(1000);
    assert.equal(ticks, 3);
    assert.equal(clock.pendingTimers(), 0);
  });

  it("lets promises settle between timers with advanceAsync", async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => clock.setTimeout(() => seen.push(clock.now()), 10));
    }, 10);
    await clock.advanceAsync(30);
    assert.deepEqual(seen, [20]);
  });
});
