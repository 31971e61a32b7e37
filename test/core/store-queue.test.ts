import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { MemoryStore } from "../../src/core/store/memory-store";
import { SqliteStore } from "../../src/core/store/sqlite-store";
import { Store } from "../../src/core/store/store";
import { StoreQueue, StoreQueueOptions, StoredDelivery } from "../../src/core/session/store-queue";

interface Harness {
  queue: StoreQueue;
  delivered: StoredDelivery[];
  timedOut: [StoredDelivery, boolean][];
  dropped: string[];
  failures: unknown[];
}

function open(store: Store, clock: FakeClock, overrides: Partial<StoreQueueOptions> = {}): Harness {
  const harness: Harness = { delivered: [], timedOut: [], dropped: [], failures: [] } as unknown as Harness;
  harness.queue = new StoreQueue(
    store,
    clock,
    {
      name: "q",
      maxPerChat: 100,
      maxTotal: 1000,
      overflow: "reject",
      leaseMs: 10_000,
      maxDeliveries: 3,
      pollMs: 500,
      owner: "host|dir|node",
      ...overrides,
    },
    {
      deliver: (d) => harness.delivered.push(d),
      ackTimedOut: (d, givenUp) => harness.timedOut.push([d, givenUp]),
      dropped: (d) => harness.dropped.push(d.body),
      storeFailed: (error) => harness.failures.push(error),
    },
  );
  return harness;
}

const bodies = (h: Harness) => h.delivered.map((d) => d.body);

const BACKENDS: { name: string; make(clock: FakeClock): { store: Store; reopen(): Store; dispose(): void } }[] = [
  {
    name: "memory",
    make: (clock) => {
      const store = new MemoryStore(clock);
      return { store, reopen: () => store, dispose: () => undefined };
    },
  },
  {
    name: "embedded (SQLite)",
    make: (clock) => {
      const dir = mkdtempSync(join(tmpdir(), "wa-sq-"));
      const file = join(dir, "q.db");
      const opened: SqliteStore[] = [new SqliteStore({ file, clock })];
      return {
        store: opened[0],
        reopen: () => {
          void opened[opened.length - 1].close();
          opened.push(new SqliteStore({ file, clock }));
          return opened[opened.length - 1];
        },
        dispose: () => {
          opened.forEach((s) => void s.close());
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

for (const backend of BACKENDS)
  describe(`StoreQueue on ${backend.name}`, () => {
    let clock: FakeClock;
    let world: ReturnType<(typeof BACKENDS)[number]["make"]>;
    let queues: StoreQueue[];
    const make = (store: Store, overrides: Partial<StoreQueueOptions> = {}) => {
      const h = open(store, clock, overrides);
      queues.push(h.queue);
      return h;
    };

    beforeEach(() => {
      clock = new FakeClock(0);
      world = backend.make(clock);
      queues = [];
    });
    afterEach(() => {
      queues.forEach((q) => q.close());
      world.dispose();
    });

    it("delivers one message per chat at a time, in order, the next after an ack", async () => {
      const h = make(world.store);
      await h.queue.start();
      for (const body of ["a1", "a2", "a3"]) await h.queue.enqueue("A", body);
      await h.queue.enqueue("B", "b1");
      await clock.advanceAsync(0);
      assert.deepEqual(bodies(h), ["a1", "b1"]);
      assert.equal(h.delivered[0].deliveryCount, 1);
      assert.equal(await h.queue.ack("A", h.delivered[0].deliveryId), true);
      assert.equal(await h.queue.ack("A", h.delivered[0].deliveryId), false, "a second ack is refused");
      await clock.advanceAsync(0);
      assert.deepEqual(bodies(h), ["a1", "b1", "a2"]);
      assert.equal(await h.queue.depth(), 3);
    });

    it("keeps one message per chat in flight across two instances sharing the store", async () => {
      const one = make(world.store, { owner: "instance-1" });
      const two = make(world.store, { owner: "instance-2" });
      await one.queue.start();
      await two.queue.start();
      await one.queue.enqueue("A", "a1");
      await two.queue.enqueue("A", "a2");
      await clock.advanceAsync(0);
      assert.deepEqual([...bodies(one), ...bodies(two)], ["a1"], "a2 waits although another instance received it");
      await one.queue.ack("A", one.delivered[0].deliveryId);
      await clock.advanceAsync(500);
      assert.deepEqual([...bodies(one), ...bodies(two)].sort(), ["a1", "a2"]);
    });

    it("redelivers an unacknowledged message after the lease, then gives it up after the last delivery", async () => {
      const h = make(world.store, { maxDeliveries: 2 });
      await h.queue.start();
      await h.queue.enqueue("A", "poison");
      await h.queue.enqueue("A", "next");
      await clock.advanceAsync(10_000);
      assert.deepEqual(
        h.timedOut.map(([d, givenUp]) => [d.body, d.deliveryCount, givenUp]),
        [["poison", 1, false]],
      );
      assert.deepEqual(
        h.delivered.map((d) => [d.body, d.deliveryCount]),
        [
          ["poison", 1],
          ["poison", 2],
        ],
      );
      await clock.advanceAsync(10_000);
      assert.deepEqual(
        h.timedOut.at(-1)!.map((x) => (typeof x === "boolean" ? x : x.body)),
        ["poison", true],
      );
      assert.deepEqual(h.delivered.map((d) => [d.body, d.deliveryCount]).at(-1), ["next", 1]);
      assert.equal(await h.queue.depth(), 1);
    });

    it("after a crash, the same instance takes back its deliveries at once, with a higher count", async () => {
      const before = make(world.store);
      await before.queue.start();
      for (const body of ["a1", "a2"]) await before.queue.enqueue("A", body);
      await before.queue.enqueue("B", "b1");
      await clock.advanceAsync(0);
      before.queue.close(); // killed: nothing acked, leases still in the store
      const store = world.reopen();
      const after = make(store);
      await after.queue.start();
      await clock.advanceAsync(0);
      assert.deepEqual(after.delivered.map((d) => [d.body, d.deliveryCount]).sort(), [
        ["a1", 2],
        ["b1", 2],
      ]);
      await after.queue.ack("A", after.delivered.find((d) => d.body === "a1")!.deliveryId);
      await clock.advanceAsync(0);
      assert.equal(after.delivered.at(-1)!.body, "a2");
      assert.equal(after.delivered.at(-1)!.deliveryCount, 1);
      assert.equal(await after.queue.depth(), 2);
    });

    it("a crash between an ack's two steps leaves nothing behind: the next start skips the acked id and counts right", async () => {
      const crash = { on: "" };
      const crashing = new Proxy(world.store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (property === crash.on) return () => Promise.reject(new Error("killed"));
          return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const before = make(crashing);
      await before.queue.start();
      for (const body of ["a1", "a2"]) await before.queue.enqueue("A", body);
      await clock.advanceAsync(0);
      crash.on = "listRemove";
      await assert.rejects(before.queue.ack("A", before.delivered[0].deliveryId), /killed/);
      before.queue.close();
      const store = world.reopen();
      const after = make(store);
      await after.queue.start();
      await clock.advanceAsync(0);
      assert.deepEqual(
        after.delivered.map((d) => d.body),
        ["a2"],
        "a1 was acknowledged: it does not come again",
      );
      assert.equal(await after.queue.depth(), 1);
      assert.equal((await store.keys("wa:q:q:item:")).length, 1);
    });

    it("deletes a message stored but never queued (a crash mid-enqueue) once it is older than the ack timeout", async () => {
      const stored = (id: string) => JSON.stringify({ deliveryId: id, chatId: "A", enqueuedAt: 0, deliveryCount: 0, body: id });
      await world.store.set("wa:q:q:item:orphan-1", stored("orphan-1"));
      const h = make(world.store, { leaseMs: 60_000 });
      await h.queue.start();
      const queued = [await h.queue.enqueue("A", "a1"), await h.queue.enqueue("A", "a2")].map((o) => o.accepted && o.deliveryId);
      await clock.advanceAsync(0);
      assert.equal((await world.store.keys("wa:q:q:item:")).length, 3, "too young to tell from an enqueue in progress");
      await clock.advanceAsync(60_000);
      assert.deepEqual(
        (await world.store.keys("wa:q:q:item:")).sort(),
        queued.map((id) => `wa:q:q:item:${id}`).sort(),
        "the orphan is gone; the message in flight and the one waiting stay",
      );
      assert.equal(await h.queue.depth(), 2);
    });

    it("reports a message its replicas did not confirm as not accepted, and still delivers it", async () => {
      const unconfirmed = Object.assign(Object.create(world.store) as Store, {
        replicated: () => Promise.reject(new WaError("store.notReplicated", "confirmed by 0 of 1 replicas")),
      });
      const h = make(unconfirmed);
      await h.queue.start();
      const outcome = await h.queue.enqueue("A", "a1", () => assert.fail("onAccepted runs only for a confirmed message"));
      assert.equal(!outcome.accepted && outcome.error.code, "store.notReplicated");
      await clock.advanceAsync(0);
      assert.deepEqual(bodies(h), ["a1"]);
      assert.equal(await h.queue.depth(), 1);
    });

    it("another instance takes over a dead instance's delivery when its lease runs out", async () => {
      const dead = make(world.store, { owner: "instance-1" });
      await dead.queue.start();
      await dead.queue.enqueue("A", "a1");
      await clock.advanceAsync(0);
      dead.queue.close();
      const survivor = make(world.store, { owner: "instance-2" });
      await survivor.queue.start();
      await clock.advanceAsync(9_500);
      assert.equal(survivor.delivered.length, 0, "the lease still holds");
      await clock.advanceAsync(1_000);
      assert.deepEqual(
        survivor.delivered.map((d) => [d.body, d.deliveryCount]),
        [["a1", 2]],
      );
    });

    it("refuses over the bounds, or drops the oldest waiting message (never the one in flight)", async () => {
      const h = make(world.store, { maxPerChat: 2, maxTotal: 3 });
      await h.queue.start();
      await h.queue.enqueue("A", "a1");
      await h.queue.enqueue("A", "a2");
      const full = await h.queue.enqueue("A", "a3");
      assert.equal(!full.accepted && full.error.code, "queue.chatFull");
      await h.queue.enqueue("B", "b1");
      const total = await h.queue.enqueue("C", "c1");
      assert.equal(!total.accepted && total.error.code, "queue.full");

      const d = make(world.store, { name: "dq", maxPerChat: 2, overflow: "drop-oldest" });
      await d.queue.start();
      for (const body of ["x1", "x2", "x3"]) await d.queue.enqueue("X", body);
      await clock.advanceAsync(0);
      assert.deepEqual(d.dropped, ["x2"]);
      await d.queue.ack("X", d.delivered[0].deliveryId);
      await clock.advanceAsync(0);
      assert.deepEqual(bodies(d), ["x1", "x3"]);
    });

    it("holds its bounds when many enqueues race, from two instances", async () => {
      const one = make(world.store, { owner: "instance-1", maxPerChat: 2, maxTotal: 5 });
      const two = make(world.store, { owner: "instance-2", maxPerChat: 2, maxTotal: 5 });
      await one.queue.start();
      await two.queue.start();
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).queue.enqueue(["A", "B", "C", "D"][i % 4], `m${i}`)),
      );
      const accepted = outcomes.filter((o) => o.accepted).length;
      assert.ok(accepted <= 5, `at most the total bound is accepted (${accepted})`);
      assert.equal(await one.queue.depth(), accepted, "the count matches what was accepted");
      for (const o of outcomes) if (!o.accepted) assert.match(o.error.code, /^queue\.(full|chatFull)$/);
    });

    it("refuses an ack timeout of 0 for a stored queue", () => {
      assert.throws(
        () => open(world.store, clock, { leaseMs: 0 }),
        (e: WaError) => e.code === "config.invalid",
      );
    });
  });
