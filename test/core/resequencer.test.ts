import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { Release, Resequencer, ResequencerOptions } from "../../src/core/resilience/resequencer";

function setup(overrides: Partial<ResequencerOptions> = {}, startAt?: number) {
  const clock = new FakeClock(0);
  const released: Release<string>[] = [];
  const duplicates: string[] = [];
  const reseq = new Resequencer<string>(
    { orderBy: "sequence", maxWaitMs: 2000, maxHeldPerChat: 100, rememberIds: 50, idleForgetMs: 60_000, ...overrides },
    { clock, release: (r) => released.push(r), duplicate: (item) => duplicates.push(item) },
    startAt,
  );
  const offer = (chatId: string, order: number, id?: string) =>
    reseq.offer({ chatId, order, id: id ?? `${chatId}-${order}`, item: `${chatId}:${order}` });
  return { clock, reseq, released, duplicates, offer, items: () => released.map((r) => r.item) };
}

describe("Resequencer", () => {
  it("sequence mode: the next number goes out at once, a gap holds the later ones until it is filled", () => {
    const { offer, items, clock, reseq } = setup({}, 1);
    assert.equal(offer("a", 1), "released");
    assert.equal(offer("a", 3), "held");
    assert.equal(offer("a", 4), "held");
    assert.equal(offer("b", 1), "released", "another chat is not held up");
    clock.advance(500);
    assert.equal(offer("a", 2), "released");
    assert.deepEqual(items(), ["a:1", "b:1", "a:2", "a:3", "a:4"]);
    assert.equal(reseq.held, 0);
  });

  it("gives up on a missing number after the wait window, reports the gap, and flags it late when it comes", () => {
    const { offer, released, clock } = setup({}, 1);
    offer("a", 1);
    offer("a", 3);
    clock.advance(1999);
    assert.equal(released.length, 1);
    clock.advance(1);
    assert.deepEqual(
      released.map((r) => [r.item, r.gapBefore, r.waitedMs]),
      [
        ["a:1", 0, 0],
        ["a:3", 1, 2000],
      ],
    );
    assert.equal(offer("a", 2), "late");
    assert.deepEqual(released[2], { item: "a:2", chatId: "a", order: 2, late: true, waitedMs: 0, gapBefore: 0 });
    assert.equal(offer("a", 4), "released", "the line goes on after the late one");
  });

  it("drops exact duplicates by message id, held or already released", () => {
    const { offer, duplicates, items } = setup({}, 1);
    offer("a", 1);
    offer("a", 3);
    assert.equal(offer("a", 1), "duplicate");
    assert.equal(offer("a", 3), "duplicate");
    assert.equal(offer("a", 2), "released");
    assert.deepEqual(duplicates, ["a:1", "a:3"]);
    assert.deepEqual(items(), ["a:1", "a:2", "a:3"]);
  });

  it("without a start number, a chat's first messages wait the window and go out sorted", () => {
    const { offer, items, clock } = setup();
    offer("a", 12);
    clock.advance(100);
    offer("a", 10);
    offer("a", 11);
    assert.deepEqual(items(), []);
    clock.advance(1900);
    assert.deepEqual(items(), ["a:10", "a:11", "a:12"]);
    assert.equal(offer("a", 13), "released");
  });

  it("timestamp mode: holds each message the window, releases by timestamp then arrival, flags older ones late", () => {
    const { offer, released, clock } = setup({ orderBy: "timestamp", maxWaitMs: 1000 });
    offer("a", 1_700_000_005, "m2");
    offer("a", 1_700_000_003, "m1");
    offer("a", 1_700_000_005, "m3");
    clock.advance(1000);
    assert.deepEqual(
      released.map((r) => r.item),
      ["a:1700000003", "a:1700000005", "a:1700000005"],
    );
    assert.deepEqual(
      released.map((r) => r.late),
      [false, false, false],
    );
    assert.equal(offer("a", 1_700_000_004, "m0"), "late");
    assert.equal(offer("a", 1_700_000_005, "m4"), "held", "the same second as the last released is not late");
  });

  it("releases the earliest at once when a chat holds too many, and everything on flush", () => {
    const { offer, items, reseq } = setup({ maxHeldPerChat: 3 }, 1);
    offer("a", 5);
    offer("a", 6);
    offer("a", 7);
    assert.equal(items().length, 0);
    offer("a", 8);
    assert.deepEqual(items(), ["a:5", "a:6", "a:7", "a:8"], "5 forced out, then 6..8 follow in sequence");
    assert.equal(reseq.stats.forcedByBound, 1);
    offer("b", 9);
    offer("b", 4);
    reseq.flush();
    assert.deepEqual(items().slice(4), ["b:4", "b:9"]);
  });

  it("forgets quiet chats with nothing held", () => {
    const { offer, reseq, clock } = setup({ idleForgetMs: 10_000 }, 1);
    offer("a", 1);
    clock.advance(5_000);
    offer("b", 5);
    clock.advance(5_000);
    assert.equal(reseq.sweep(), 1, "a has been quiet 10 s; b only 5 s");
    assert.equal(reseq.chatCount, 1);
  });
});
