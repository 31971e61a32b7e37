import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { checkReadiness, ReadinessInput } from "../../src/core/pipeline/readiness";
import { MemoryStore } from "../../src/core/store/memory-store";
import { Store } from "../../src/core/store/store";

describe("readiness for a load balancer's probe", () => {
  let clock: FakeClock;
  beforeEach(() => (clock = new FakeClock(0)));
  const input = (overrides: Partial<ReadinessInput> = {}): ReadinessInput => ({
    draining: false,
    stores: [{ kind: "sqlite", store: new MemoryStore(clock) }],
    brokenStores: [],
    connections: [{ kind: "cloud", state: "ready" }],
    storeTimeoutMs: 800,
    ...overrides,
  });
  /** A store whose reads never come back (a Redis behind a dead network path). */
  const silent = Object.assign(Object.create(new MemoryStore(new FakeClock(0))) as Store, {
    kind: "redis",
    get: () => new Promise<string | undefined>(() => undefined),
  });
  const failing = Object.assign(Object.create(new MemoryStore(new FakeClock(0))) as Store, {
    kind: "redis",
    get: () => Promise.reject(new Error("ECONNREFUSED")),
  });

  it("is ready with every store answering and every connection up, and says how many of each", async () => {
    assert.deepEqual(await checkReadiness(input(), clock), {
      ready: true,
      reasons: [],
      stores: { total: 1, reachable: 1 },
      connections: { total: 1, up: 1 },
    });
  });

  it("is not ready while draining, naming no node", async () => {
    const report = await checkReadiness(input({ draining: true }), clock);
    assert.equal(report.ready, false);
    assert.deepEqual(report.reasons, ["draining"]);
  });

  it("counts a store that fails or does not answer within its time as unreachable, and one never opened", async () => {
    const pending = checkReadiness(input({ stores: [{ kind: "redis", store: silent }], brokenStores: ["redis-sentinel"] }), clock);
    await clock.advanceAsync(799);
    let settled = false;
    void pending.then(() => (settled = true));
    await clock.advanceAsync(0);
    assert.equal(settled, false, "still waiting for the store before its time is up");
    await clock.advanceAsync(1);
    const report = await pending;
    assert.deepEqual(report.reasons, ["store redis: unreachable", "store redis-sentinel: not opened"]);
    assert.deepEqual(report.stores, { total: 2, reachable: 0 });
    assert.deepEqual((await checkReadiness(input({ stores: [{ kind: "redis", store: failing }] }), clock)).reasons, [
      "store redis: unreachable",
    ]);
  });

  it("is not ready while a connection pairs, reconnects or stopped, with each state said once", async () => {
    const report = await checkReadiness(
      input({
        connections: [
          { kind: "wwebjs", state: "pairing" },
          { kind: "cloud", state: "ready" },
          { kind: "wwebjs", state: "pairing" },
          { kind: "simulator", state: "disconnected" },
        ],
      }),
      clock,
    );
    assert.equal(report.ready, false);
    assert.deepEqual(report.reasons, ["connection wwebjs: pairing", "connection simulator: disconnected"]);
    assert.deepEqual(report.connections, { total: 4, up: 1 });
  });
});
