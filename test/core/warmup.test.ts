import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { MemoryStore } from "../../src/core/store/memory-store";
import { Admission, DAY_MS, DEFAULT_SLOW_DOWN, HOUR_MS, WarmupGuard, WarmupOptions, parseWarmupSchedule } from "../../src/core/perf/warmup";
import { DEFAULT_WARMUP_SCHEDULE } from "../../src/nodes/schemas/wa-batch-send";

// Midnight UTC, so that the number's days and the clock's hours line up in the expectations.
const START = Date.UTC(2026, 10, 30);

function setup(overrides: Partial<WarmupOptions> = {}, store?: MemoryStore, clock = new FakeClock(START)) {
  const shared = store ?? new MemoryStore(clock);
  const options: WarmupOptions = {
    schedule: parseWarmupSchedule("1: 5/day 3/hour\n3: 8/day\n5: no cap"),
    startedAt: START,
    newChatsPerDay: 0,
    unansweredPerChat: 0,
    slowDown: DEFAULT_SLOW_DOWN,
    ...overrides,
  };
  const guard = new WarmupGuard(options, { clock, store: shared, prefix: "wa:warmup:c1:" });
  return { clock, store: shared, guard };
}

/** Admits and counts the message as sent; returns what was decided. */
async function send(guard: WarmupGuard, chatId: string): Promise<Admission> {
  return guard.admit(chatId);
}

describe("warm-up and ban protection", () => {
  describe("the schedule", () => {
    it("reads steps, sorted, with 'no cap' lifting both caps", () => {
      assert.deepEqual(parseWarmupSchedule("8: 400/day\n1: 50/day 10/hour; 29: no cap"), [
        { fromDay: 1, perDay: 50, perHour: 10 },
        { fromDay: 8, perDay: 400, perHour: 0 },
        { fromDay: 29, perDay: 0, perHour: 0 },
      ]);
      assert.equal(parseWarmupSchedule(DEFAULT_WARMUP_SCHEDULE).length, 5);
      assert.deepEqual(parseWarmupSchedule(""), []);
    });

    it("names the line that is wrong", () => {
      const cases: [string, RegExp][] = [
        ["1: 50 a day", /"50" is not "N\/day"/],
        ["one: 50/day", /write it as/],
        ["2: 50/day", /first line must be for day 1/],
        ["1: 50/day\n1: 60/day", /day 1 is given twice/],
        ["0: 50/day", /days start at 1/],
      ];
      for (const [text, reason] of cases) {
        assert.throws(
          () => parseWarmupSchedule(text),
          (error: WaError) => error.code === "config.invalid" && reason.test(error.message),
          text,
        );
      }
    });
  });

  describe("caps by the number's age", () => {
    it("holds the message over the hourly cap until the next hour, then the daily one until the next day", async () => {
      const { clock, guard } = setup();
      const decisions: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        const admission = await send(guard, "447700900001@c.us");
        decisions.push(admission.go ? "go" : "reason" in admission ? `${admission.reason}@${admission.until - START}` : "refused");
      }
      assert.deepEqual(decisions, ["go", "go", "go", `hourlyCap@${HOUR_MS}`]);
      assert.equal(guard.snapshot().sentThisHour, 3);
      assert.equal(guard.snapshot().holding, "hourlyCap");

      clock.advance(START + HOUR_MS - clock.now());
      assert.equal((await send(guard, "447700900001@c.us")).go, true);
      assert.equal((await send(guard, "447700900001@c.us")).go, true);
      const overDay = await send(guard, "447700900001@c.us");
      assert.ok(!overDay.go && "reason" in overDay && overDay.reason === "dailyCap" && overDay.until === START + DAY_MS);
      assert.deepEqual(
        { day: guard.snapshot().day, sentToday: guard.snapshot().sentToday, perDay: guard.snapshot().perDay },
        { day: 1, sentToday: 5, perDay: 5 },
      );

      // Day 3: the next step (8 a day, no hourly cap); day 5: no cap at all.
      clock.advance(START + 2 * DAY_MS - clock.now());
      for (let i = 0; i < 8; i += 1) assert.equal((await send(guard, "447700900001@c.us")).go, true);
      assert.equal((await send(guard, "447700900001@c.us")).go, false);
      clock.advance(START + 4 * DAY_MS - clock.now());
      for (let i = 0; i < 50; i += 1) assert.equal((await send(guard, "447700900001@c.us")).go, true);
    });

    it("gives a reservation back when the send does not go", async () => {
      const { guard } = setup();
      const first = await send(guard, "447700900001@c.us");
      assert.ok(first.go);
      await guard.notSent(first.ticket);
      for (let i = 0; i < 3; i += 1) assert.equal((await send(guard, "447700900001@c.us")).go, true);
      assert.equal((await send(guard, "447700900001@c.us")).go, false);
    });

    it("shares the counts between senders on one store, and the first day between them too", async () => {
      const clock = new FakeClock(START + 5 * HOUR_MS);
      const store = new MemoryStore(clock);
      const a = setup({ startedAt: undefined }, store, clock).guard;
      const b = setup({ startedAt: undefined }, store, clock).guard;
      assert.equal(await a.start(), START + 5 * HOUR_MS);
      clock.advance(DAY_MS);
      // The second sender starts a day later and still counts from the number's first day.
      assert.equal(await b.start(), START + 5 * HOUR_MS);
      assert.equal(b.snapshot().day, 2);
      // Four at once against an hourly cap of 3: the atomic reservations let exactly three go.
      const outcomes = await Promise.all([a, b, a, b].map((guard) => send(guard, "447700900001@c.us")));
      assert.equal(outcomes.filter((outcome) => outcome.go).length, 3);
      assert.equal((await send(a, "447700900001@c.us")).go, false);
    });
  });

  describe("first contacts", () => {
    it("refuses more unanswered messages to a chat that never wrote, until it writes back", async () => {
      const { guard } = setup({ schedule: [], unansweredPerChat: 2 });
      assert.equal((await send(guard, "447700900009@c.us")).go, true);
      assert.equal((await send(guard, "447700900009@c.us")).go, true);
      const third = await send(guard, "447700900009@c.us");
      assert.ok(!third.go && "refuse" in third && third.refuse.code === "pacer.firstContactLimit");
      assert.deepEqual(third.refuse.params, { chatId: "447700900009@c.us", max: 2 });
      await guard.chatWrote("447700900009@c.us");
      for (let i = 0; i < 5; i += 1) assert.equal((await send(guard, "447700900009@c.us")).go, true);
    });

    it("writes to at most so many new chats a day, holding the others until the next day", async () => {
      const { clock, guard } = setup({ schedule: [], newChatsPerDay: 2 });
      await guard.chatWrote("447700900001@c.us");
      assert.equal((await send(guard, "447700900002@c.us")).go, true);
      assert.equal((await send(guard, "447700900003@c.us")).go, true);
      // A second message to a new chat of today is no new chat; a chat that wrote is none either.
      assert.equal((await send(guard, "447700900002@c.us")).go, true);
      assert.equal((await send(guard, "447700900001@c.us")).go, true);
      const fourth = await send(guard, "447700900004@c.us");
      assert.ok(!fourth.go && "reason" in fourth && fourth.reason === "newChatsCap" && fourth.until === START + DAY_MS);
      assert.equal(guard.snapshot().newChatsToday, 2);
      clock.advance(START + DAY_MS - clock.now());
      assert.equal((await send(guard, "447700900004@c.us")).go, true);
    });
  });

  describe("slowing down", () => {
    it("halves the pace on each rate limit, down to the floor, and steps back up after quiet periods", () => {
      const { clock, guard } = setup({ schedule: [] });
      assert.equal(guard.paceNow(), 1);
      guard.rateLimited();
      assert.equal(guard.paceNow(), 0.5);
      for (let i = 0; i < 6; i += 1) guard.rateLimited();
      assert.equal(guard.paceNow(), 0.1);
      assert.equal(guard.snapshot().slowedBy, "rateLimited");
      clock.advance(10 * 60 * 1000 - 1);
      assert.equal(guard.paceNow(), 0.1);
      clock.advance(1);
      assert.equal(guard.paceNow(), 0.2);
      const steps: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        clock.advance(10 * 60 * 1000);
        steps.push(guard.paceNow());
      }
      assert.deepEqual(steps, [0.4, 0.8, 1, 1]);
      assert.equal(guard.snapshot().slowedBy, undefined);
    });

    it("slows down when most messages old enough to judge were never delivered", () => {
      const { clock, guard } = setup({ schedule: [] });
      // 20 sent; the first 9 delivered, the rest not (one grey tick).
      for (let i = 0; i < 20; i += 1) {
        guard.sent(`m${i}`);
        if (i < 9) guard.delivery(`m${i}`, "delivered");
        clock.advance(1000);
      }
      assert.equal(guard.paceNow(), 1, "not judged before the messages are 10 minutes old");
      clock.advance(10 * 60 * 1000);
      assert.equal(guard.paceNow(), 0.5);
      assert.equal(guard.snapshot().slowedBy, "undelivered");
    });

    it("does not judge deliveries on a connection that reports no ticks, nor a sample too small", () => {
      const silent = setup({ schedule: [] });
      for (let i = 0; i < 30; i += 1) silent.guard.sent(`m${i}`);
      silent.clock.advance(60 * 60 * 1000);
      assert.equal(silent.guard.paceNow(), 1);

      const few = setup({ schedule: [] });
      for (let i = 0; i < 19; i += 1) few.guard.sent(`m${i}`);
      few.guard.delivery("m0", "failed");
      few.clock.advance(60 * 60 * 1000);
      assert.equal(few.guard.paceNow(), 1);
    });
  });
});
