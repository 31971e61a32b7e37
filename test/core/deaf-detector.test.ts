import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { ClientHealthMonitor } from "../../src/core/session/client-health";
import { ARRIVAL_GAP_MS, DeafDetector, TrafficProfile } from "../../src/core/session/deaf-detector";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Monday 2026-01-05 00:00 UTC. */
const MONDAY = Date.UTC(2026, 0, 5);
const options = { floorMs: 20 * MINUTE, unlikely: 0.001, minLearnedHours: 24 };

/**
 * A shop open on weekdays 09:00-17:00 UTC where a new chat writes every 3 minutes (20 an hour),
 * each chat writing twice a minute apart; nothing at night or at the weekend. Plays `weeks` weeks
 * from the clock's Monday midnight on, the connection up all the time.
 */
function playShopWeeks(clock: FakeClock, detector: DeafDetector, weeks: number): void {
  detector.connected();
  let chat = 0;
  for (let day = 0; day < weeks * 7; day += 1) {
    const dayStart = clock.now();
    if (day % 7 < 5) {
      clock.advance(9 * HOUR);
      for (let slot = 0; slot < 8 * 20; slot += 1) {
        chat += 1;
        detector.message(`chat-${chat}`);
        clock.advance(MINUTE);
        detector.message(`chat-${chat}`);
        clock.advance(2 * MINUTE);
      }
    }
    clock.advance(dayStart + 24 * HOUR - clock.now());
  }
}

/** Minutes of silence from now until the detector asks for a probe (stepping a minute at a time), or undefined within `limitMinutes`. */
function minutesUntilSuspect(clock: FakeClock, detector: DeafDetector, limitMinutes: number): number | undefined {
  for (let minute = 1; minute <= limitMinutes; minute += 1) {
    clock.advance(MINUTE);
    if (detector.shouldProbe()) return minute;
  }
  return undefined;
}

describe("traffic profile: arrivals per hour of the week", () => {
  it("splits connected time across the hours it spans and gives each hour its own rate", () => {
    const profile = new TrafficProfile();
    // Monday 09:30 to 11:15: half an hour of 09, all of 10, a quarter of 11.
    profile.addConnectedTime(MONDAY + 9.5 * HOUR, MONDAY + 11.25 * HOUR);
    for (let i = 0; i < 5; i += 1) profile.addArrival(MONDAY + 9.6 * HOUR);
    for (let i = 0; i < 12; i += 1) profile.addArrival(MONDAY + 10.5 * HOUR);
    assert.equal(profile.learnedHours(), 1.75);
    assert.equal(profile.ratePerHour(MONDAY + 9 * HOUR), 10, "5 arrivals in half an hour");
    assert.equal(profile.ratePerHour(MONDAY + 10 * HOUR), 12);
    assert.equal(profile.ratePerHour(MONDAY + 11 * HOUR), 0, "a quarter of an hour watched is too little to judge");
    assert.equal(profile.ratePerHour(MONDAY + 12 * HOUR), 0, "an hour never watched counts as quiet");
    assert.equal(profile.ratePerHour(MONDAY + 7 * 24 * HOUR + 10 * HOUR), 12, "the same hour a week later");
    assert.equal(profile.expectedBetween(MONDAY + 9.75 * HOUR, MONDAY + 10.5 * HOUR), 0.25 * 10 + 0.5 * 12);
  });

  it("weighs at most the last eight hours of each slot, so it follows a shop whose traffic changes", () => {
    const profile = new TrafficProfile();
    for (let week = 0; week < 8; week += 1) {
      const hour = MONDAY + week * 7 * 24 * HOUR + 10 * HOUR;
      profile.addConnectedTime(hour, hour + HOUR);
      for (let i = 0; i < 30; i += 1) profile.addArrival(hour);
    }
    assert.equal(profile.ratePerHour(MONDAY + 10 * HOUR), 30);
    const quieterWeeks = (from: number, to: number) => {
      for (let week = from; week < to; week += 1) {
        const hour = MONDAY + week * 7 * 24 * HOUR + 10 * HOUR;
        for (let i = 0; i < 5; i += 1) profile.addArrival(hour);
        profile.addConnectedTime(hour, hour + HOUR);
      }
      return profile.ratePerHour(MONDAY + 10 * HOUR);
    };
    // Each week past the eighth keeps 8/9 of the old weight: the old rate's share halves in about six weeks.
    const afterEight = quieterWeeks(8, 16);
    assert.ok(
      afterEight > 5 && afterEight < 15,
      `eight weeks of 5 an hour later, less than half the old excess is left (${afterEight.toFixed(2)})`,
    );
    const afterTwentyFour = quieterWeeks(16, 32);
    assert.ok(afterTwentyFour < 7, `twenty-four weeks later the old rate has all but faded (${afterTwentyFour.toFixed(2)})`);
  });

  it("is saved and merged back (a restart keeps what was learned) and refuses what is not a profile", () => {
    const profile = new TrafficProfile();
    profile.addConnectedTime(MONDAY + 10 * HOUR, MONDAY + 12 * HOUR);
    for (let i = 0; i < 9; i += 1) profile.addArrival(MONDAY + 10 * HOUR);
    const saved = JSON.parse(JSON.stringify(profile.toJson())) as unknown;
    const restored = new TrafficProfile();
    assert.equal(restored.merge(saved), true);
    assert.equal(restored.learnedHours(), 2);
    assert.equal(restored.ratePerHour(MONDAY + 10 * HOUR), 9);
    const good = profile.toJson();
    for (const bad of [
      null,
      "profile",
      { ...good, version: 2 },
      { ...good, hours: good.hours.slice(1) },
      { ...good, messages: good.messages.map((n, i) => (i === 3 ? -1 : n)) },
      { ...good, hours: good.hours.map((n, i) => (i === 3 ? Number.NaN : n)) },
    ]) {
      const target = new TrafficProfile();
      assert.equal(target.merge(bad), false, JSON.stringify(bad)?.slice(0, 40));
      assert.equal(target.learnedHours(), 0);
    }
  });
});

describe("deaf-session detection: a silence the connection's own traffic makes unlikely", () => {
  it("judges nothing while it learns, then suspects a busy weekday morning's silence after about twenty minutes", () => {
    const clock = new FakeClock(MONDAY);
    const detector = new DeafDetector(clock, options);
    detector.connected();
    clock.advance(10 * HOUR);
    detector.message("early");
    assert.equal(minutesUntilSuspect(clock, detector, 120), undefined, "learning: under 24 connected hours");
    assert.equal(detector.reading().phase, "learning");

    const shopClock = new FakeClock(MONDAY);
    const shop = new DeafDetector(shopClock, options);
    playShopWeeks(shopClock, shop, 2);
    // Third Monday, 10:00: the shop's last message, then nothing.
    shopClock.advance(10 * HOUR);
    shop.message("last");
    const suspectAfter = minutesUntilSuspect(shopClock, shop, 60);
    // 41 arrivals in two watched hours (the last one included): a silence of t minutes has chance
    // e^(-20.5 t / 60); 1 in 1000 is reached at 21 minutes (20 minutes: 1 in 925).
    assert.equal(suspectAfter, 21);
    const reading = shop.reading();
    assert.equal(reading.phase, "suspect");
    assert.ok(reading.chance <= 0.001 && reading.expectedArrivals >= 6.9, JSON.stringify(reading));
    assert.equal(reading.silenceMs, 21 * MINUTE);
    assert.ok(Math.abs(reading.expectedPerHour - 20.5) < 1e-9, String(reading.expectedPerHour));
  });

  it("does not suspect a night or a weekend the shop is always quiet in, nor a silence shorter than the floor", () => {
    const clock = new FakeClock(MONDAY);
    const detector = new DeafDetector(clock, options);
    playShopWeeks(clock, detector, 2);
    // Third week: Friday's last message at 17:00, then silence until Monday 08:59.
    clock.advance(4 * 24 * HOUR + 17 * HOUR);
    detector.message("friday");
    assert.equal(minutesUntilSuspect(clock, detector, (2 * 24 + 16) * 60 - 1), undefined);
    assert.equal(detector.reading().phase, "listening");

    const strict = new DeafDetector(clock, { ...options, floorMs: 45 * MINUTE });
    const strictClock = clock;
    strict.connected();
    strict.profile.merge(detector.profile.toJson());
    strictClock.advance(2 * HOUR); // Monday 10:59
    strict.message("x");
    assert.equal(minutesUntilSuspect(strictClock, strict, 60), 45, "suspect only once the floor is reached");
  });

  it("a probe that passes teaches the silence and judges afresh; one that fails is a deaf episode, and its silence is not learned", () => {
    const clock = new FakeClock(MONDAY);
    const detector = new DeafDetector(clock, options);
    playShopWeeks(clock, detector, 2);
    clock.advance(10 * HOUR);
    detector.message("a");
    assert.equal(minutesUntilSuspect(clock, detector, 60), 21);
    detector.probeStarted();
    assert.equal(detector.reading().phase, "probing");
    assert.equal(detector.shouldProbe(), false, "one probe at a time");
    const hoursBefore = detector.profile.learnedHours();
    detector.probePassed();
    assert.ok(Math.abs(detector.profile.learnedHours() - hoursBefore - 21 / 60) < 1e-9, "the genuine silence is learned");
    assert.equal(detector.reading().phase, "listening");
    // Judged afresh from the probe, at the rate that now includes the quiet 21 minutes: 41 in 2.35 hours.
    assert.equal(minutesUntilSuspect(clock, detector, 60), 24);

    detector.probeStarted();
    const learnedBeforeDeafness = detector.profile.learnedHours();
    clock.advance(20_000);
    detector.probeFailed("no answer within 20000 ms");
    const deaf = detector.reading();
    assert.equal(deaf.phase, "deaf");
    assert.equal(deaf.deafEpisodes, 1);
    assert.deepEqual(deaf.lastProbe, { at: clock.now(), ok: false, detail: "no answer within 20000 ms" });
    assert.equal(detector.shouldProbe(), false, "a deaf connection is not probed again");
    // The reconnect: down, up, and the first message after it.
    detector.disconnected();
    detector.connected();
    clock.advance(2 * MINUTE);
    detector.message("b");
    assert.equal(detector.reading().phase, "listening");
    assert.ok(
      Math.abs(detector.profile.learnedHours() - learnedBeforeDeafness - 2 / 60) < 1e-9,
      "only the two minutes after the reconnect are learned, not the deaf silence",
    );
  });

  it("counts a chat's burst as one arrival", () => {
    const clock = new FakeClock(MONDAY + 10 * HOUR);
    const detector = new DeafDetector(clock, options);
    detector.connected();
    for (let i = 0; i < 5; i += 1) {
      detector.message("talkative");
      clock.advance(MINUTE);
    }
    clock.advance(ARRIVAL_GAP_MS);
    detector.message("talkative");
    detector.message("another");
    clock.advance(30 * MINUTE);
    detector.message("late");
    const mondayTen = TrafficProfile.slotOf(MONDAY + 10 * HOUR);
    assert.equal(detector.profile.toJson().messages[mondayTen], 4, "talkative twice (eleven minutes apart), another, late");
  });

  it("makes the client health degraded with the reason while suspect, probing or deaf, and healthy again when messages come", () => {
    const clock = new FakeClock(MONDAY);
    const detector = new DeafDetector(clock, options);
    const health = new ClientHealthMonitor(clock, { silenceWarnMs: 0, windowMs: 5 * MINUTE, failureRateWarn: 0.2 }, detector);
    health.observeState("ready");
    // Learn through the monitor, as the node feeds it.
    clock.advance(7 * 24 * HOUR + 10 * HOUR);
    for (let week = 0; week < 2; week += 1) {
      for (let i = 0; i < 20; i += 1) {
        health.observeIncoming(`c${week}-${i}`);
        clock.advance(3 * MINUTE);
      }
      clock.advance(7 * 24 * HOUR - HOUR);
    }
    detector.profile.merge(detector.profile.toJson()); // two more weeks' worth of the same hour, past the 24 h of learning
    health.observeIncoming("last");
    clock.advance(40 * MINUTE);
    const suspect = health.snapshot();
    assert.equal(suspect.level, "degraded");
    // Monday 10:00 was watched three times (the first week quiet): 40 arrivals in 3 hours, 41 with "last".
    assert.match(suspect.reason, /no message for 40 min where about 9\.1 chats would usually have written: possibly deaf/);
    detector.probeStarted();
    detector.probeFailed("socket TIMEOUT");
    assert.match(health.snapshot().reason, /deaf: nothing received and the connection did not answer a probe \(socket TIMEOUT\)/);
    health.observeState("disconnected", "reconnecting");
    assert.equal(health.snapshot().level, "down");
    health.observeState("ready");
    health.observeIncoming("back");
    const back = health.snapshot();
    assert.equal(back.level, "healthy");
    assert.equal(back.deaf?.deafEpisodes, 1);
  });
});
