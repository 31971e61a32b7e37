import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { SentReceipt } from "../../src/core/envelope";
import { WaError } from "../../src/core/errors";
import { DEFAULT_PACER_OPTIONS, OutgoingItem, PacerAdmission, PacerOptions, SendPacer } from "../../src/core/perf/send-pacer";

interface Sent {
  at: number;
  chatId: string;
  text: string;
  contexts: string[];
}

/** `failWith` decides, per item and attempt, whether a send fails and how. */
function setup(overrides: Partial<PacerOptions> = {}, failWith: (item: OutgoingItem<string>) => WaError | undefined = () => undefined) {
  const clock = new FakeClock(0);
  const sent: Sent[] = [];
  const failed: [string, string][] = [];
  const retries: [string, number][] = [];
  const typing: [string, number, number][] = [];
  const outbox = new Map<string, string>();
  let calls = 0;
  const pacer = new SendPacer<string>(
    { ...DEFAULT_PACER_OPTIONS, perChatGapMs: [1000, 3000], globalPerSecond: 10, ...overrides },
    {
      clock,
      random: () => 0.5,
      send: async (item) => {
        calls += 1;
        const failure = failWith(item);
        if (failure) throw failure;
        return { id: `out-${calls}`, chatId: item.chatId, sentAt: clock.now(), transport: "test" } satisfies SentReceipt;
      },
      showTyping: async (chatId, ms) => void typing.push([chatId, ms, clock.now()]),
      sent: (item) => sent.push({ at: clock.now(), chatId: item.chatId, text: item.text, contexts: [...item.contexts] }),
      failed: (item, error) => failed.push([item.text, error.code]),
      retrying: (item, _error, delay) => retries.push([item.text, delay]),
      persist: async (item) => void outbox.set(item.id, item.text),
      forget: async (item) => void outbox.delete(item.id),
    },
  );
  return { clock, pacer, sent, failed, retries, typing, outbox };
}

describe("SendPacer (paced sending)", () => {
  it("keeps a gap with jitter between two messages to one chat", async () => {
    const { clock, pacer, sent } = setup();
    for (const text of ["one", "two", "three"]) await pacer.enqueue("A", text, text);
    await clock.advanceAsync(10_000);
    // random() = 0.5: every gap is 1 s + 0.5 × 2 s = 2 s.
    assert.deepEqual(
      sent.map((s) => [s.text, s.at]),
      [
        ["one", 0],
        ["two", 2000],
        ["three", 4000],
      ],
    );
  });

  it("sends to many chats in parallel, within the global rate", async () => {
    const { clock, pacer, sent } = setup({ globalPerSecond: 2 });
    for (const chat of ["A", "B", "C", "D"]) await pacer.enqueue(chat, `hi ${chat}`, chat);
    await clock.advanceAsync(5_000);
    assert.deepEqual(
      sent.map((s) => [s.chatId, s.at]),
      [
        ["A", 0],
        ["B", 500],
        ["C", 1000],
        ["D", 1500],
      ],
    );
  });

  it("takes turns between chats, so one busy chat cannot starve the others", async () => {
    const { clock, pacer, sent } = setup({ perChatGapMs: [0, 0], globalPerSecond: 1 });
    for (let i = 0; i < 3; i += 1) await pacer.enqueue("busy", `b${i}`, "b");
    clock.advance(10);
    await pacer.enqueue("quiet", "q0", "q");
    await clock.advanceAsync(5_000);
    assert.deepEqual(
      sent.map((s) => s.text),
      ["b0", "q0", "b1", "b2"],
    );
  });

  it("coalesces short replies to one chat inside the window into one message", async () => {
    const { clock, pacer, sent } = setup({ coalesceWindowMs: 1500 });
    await pacer.enqueue("A", "Thanks for your order!", "m1");
    clock.advance(500);
    await pacer.enqueue("A", "It ships tomorrow.", "m2");
    clock.advance(500);
    await pacer.enqueue("B", "Hello B", "b1");
    await clock.advanceAsync(1000);
    await pacer.enqueue("A", "Anything else?", "m3"); // outside the first message's window
    await clock.advanceAsync(10_000);
    assert.deepEqual(
      sent.map((s) => [s.chatId, s.text, s.contexts, s.at]),
      [
        ["A", "Thanks for your order!\nIt ships tomorrow.", ["m1", "m2"], 1500],
        ["B", "Hello B", ["b1"], 2500],
        ["A", "Anything else?", ["m3"], 3500],
      ],
    );
  });

  it("never coalesces beyond the length limit or into a quoted reply to another message", async () => {
    const { clock, pacer, sent } = setup({ coalesceWindowMs: 1000, coalesceMaxChars: 10 });
    await pacer.enqueue("A", "12345", "a");
    await pacer.enqueue("A", "678901", "b");
    await pacer.enqueue("A", "x", "c", "wamid.other");
    await clock.advanceAsync(10_000);
    assert.deepEqual(
      sent.map((s) => s.text),
      ["12345", "678901", "x"],
    );
  });

  it("shows typing for a time in proportion to the text, within the chat's turn", async () => {
    const { clock, pacer, sent, typing } = setup({ typingMsPerChar: 50, typingMaxMs: 3000 });
    await pacer.enqueue("A", "x".repeat(20), "a");
    await pacer.enqueue("B", "y".repeat(200), "b");
    await clock.advanceAsync(10_000);
    assert.deepEqual(typing, [
      ["A", 1000, 0],
      ["B", 3000, 100],
    ]);
    assert.deepEqual(
      sent.map((s) => [s.chatId, s.at]),
      [
        ["A", 1000],
        ["B", 3100],
      ],
    );
  });

  it("retries a passing failure with backoff and gives up on a message WhatsApp refuses", async () => {
    const failWith = (item: OutgoingItem<string>) => {
      if (item.text === "good" && item.attempts <= 2) return new WaError("cloud.rateLimited", "slow down", { attempts: 1, reason: "429" });
      if (item.text === "bad") return new WaError("cloud.rejected", "no", { status: 400, code: 131026, reason: "undeliverable" });
      return undefined;
    };
    const { clock, pacer, sent, failed, retries } = setup({ backoffMs: 2000 }, failWith);
    await pacer.enqueue("A", "good", "g");
    await pacer.enqueue("B", "bad", "b");
    await clock.advanceAsync(30_000);
    assert.deepEqual(retries, [
      ["good", 2000],
      ["good", 4000],
    ]);
    assert.deepEqual(
      sent.map((s) => [s.text, s.at]),
      [["good", 6000]],
    );
    assert.deepEqual(failed, [["bad", "cloud.rejected"]], "a refusal is not retried");
  });

  it("reports a message as failed after its last attempt", async () => {
    const { clock, pacer, failed } = setup(
      { maxAttempts: 2, backoffMs: 100 },
      () => new WaError("transport.notReady", "away", { state: "disconnected" }),
    );
    await pacer.enqueue("A", "hello", "a");
    await clock.advanceAsync(10_000);
    assert.deepEqual(failed, [["hello", "transport.notReady"]]);
  });

  it("keeps every queued message in the outbox until it has gone, and restores them in order", async () => {
    const first = setup();
    for (const text of ["a1", "a2", "a3"]) await first.pacer.enqueue("A", text, text);
    await first.clock.advanceAsync(100);
    assert.deepEqual([...first.outbox.values()], ["a2", "a3"], "a1 has gone, the rest are kept");
    const left = first.pacer.close();
    const second = setup();
    second.pacer.restore(left);
    await second.clock.advanceAsync(10_000);
    assert.deepEqual(
      second.sent.map((s) => s.text),
      ["a2", "a3"],
    );
  });

  it("refuses over its bounds and estimates when the queue will be empty", async () => {
    // Held by the coalescing window, so nothing leaves while the bounds are tested.
    const { pacer } = setup({ maxQueuedPerChat: 2, maxQueuedTotal: 3, coalesceWindowMs: 1000, coalesceMaxChars: 1 });
    await pacer.enqueue("A", "1", "1");
    await pacer.enqueue("A", "2", "2");
    const chatFull = await pacer.enqueue("A", "3", "3");
    assert.equal(!chatFull.accepted && chatFull.error.code, "pacer.chatFull");
    await pacer.enqueue("B", "1", "1");
    const full = await pacer.enqueue("C", "1", "1");
    assert.equal(!full.accepted && full.error.code, "pacer.full");
    await flushMicrotasks();
    assert.equal(pacer.stats().queued, 3);
    assert.ok(pacer.etaMs() >= 2000, `two messages to A need at least one 2 s gap (eta ${pacer.etaMs()})`);
  });

  it("refuses options it cannot honour", () => {
    assert.throws(
      () => setup({ perChatGapMs: [3000, 1000] }),
      (e: WaError) => e.params.field === "gapMin",
    );
    assert.throws(
      () => setup({ globalPerSecond: 0 }),
      (e: WaError) => e.params.field === "globalPerSecond",
    );
  });
});

describe("SendPacer with an admission (warm-up) and a pace (slow-down)", () => {
  function admitted(admit: (item: OutgoingItem<string>) => Promise<PacerAdmission>, pace: () => number = () => 1) {
    const clock = new FakeClock(0);
    const sent: [string, number][] = [];
    const failed: [string, string][] = [];
    const givenBack: string[] = [];
    let sends = 0;
    const pacer = new SendPacer<string>(
      { ...DEFAULT_PACER_OPTIONS, perChatGapMs: [1000, 1000], globalPerSecond: 2, maxAttempts: 2, backoffMs: 500 },
      {
        clock,
        random: () => 0,
        admit: async (item) => {
          const admission = await admit(item);
          return admission.go ? { go: true, notSent: async () => void givenBack.push(item.text) } : admission;
        },
        pace,
        send: async (item) => {
          sends += 1;
          if (item.text.startsWith("fail")) throw new WaError("transport.invalidTarget", "no such chat", { chatId: item.chatId });
          return { id: `out-${sends}`, chatId: item.chatId, sentAt: clock.now(), transport: "test" };
        },
        sent: (item) => sent.push([item.text, clock.now()]),
        failed: (item, error) => failed.push([item.text, error.code]),
      },
    );
    return { clock, pacer, sent, failed, givenBack };
  }

  it("holds a message until the time the admission names, without spending an attempt", async () => {
    let openAt = 5_000;
    const { clock, pacer, sent } = admitted(async () => {
      const now = clock.now();
      return now >= openAt ? { go: true } : { go: false, until: openAt };
    });
    await pacer.enqueue("A", "one", "one");
    await clock.advanceAsync(4_999);
    assert.deepEqual(sent, []);
    await clock.advanceAsync(1);
    assert.deepEqual(sent, [["one", 5_000]]);
    openAt = 0;
  });

  it("fails a refused message at once, and gives a reservation back when the send fails", async () => {
    const { clock, pacer, sent, failed, givenBack } = admitted(async (item) =>
      item.text === "refused"
        ? { go: false, refuse: new WaError("pacer.firstContactLimit", "no answer yet", { chatId: item.chatId, max: 1 }) }
        : { go: true },
    );
    await pacer.enqueue("A", "refused", "refused");
    await pacer.enqueue("B", "fail: wrong chat", "fail");
    await pacer.enqueue("C", "fine", "fine");
    await clock.advanceAsync(5_000);
    assert.deepEqual(failed, [
      ["refused", "pacer.firstContactLimit"],
      ["fail: wrong chat", "transport.invalidTarget"],
    ]);
    assert.deepEqual(givenBack, ["fail: wrong chat"]);
    assert.deepEqual(
      sent.map(([text]) => text),
      ["fine"],
    );
  });

  it("stretches the per-chat gap and the global rate by the pace", async () => {
    let pace = 1;
    const { clock, pacer, sent } = admitted(
      async () => ({ go: true }),
      () => pace,
    );
    for (const text of ["a1", "a2"]) await pacer.enqueue("A", text, text);
    await clock.advanceAsync(10_000);
    pace = 0.25;
    for (const text of ["a3", "a4"]) await pacer.enqueue("A", text, text);
    await clock.advanceAsync(60_000);
    for (const chat of ["B", "C", "D"]) await pacer.enqueue(chat, chat, chat);
    await clock.advanceAsync(60_000);
    const at = Object.fromEntries(sent);
    assert.equal(at.a2 - at.a1, 1_000);
    // Slowed to a quarter: a 1 s gap becomes 4 s, and 2 messages a second become one every 2 s.
    assert.equal(at.a4 - at.a3, 4_000);
    assert.deepEqual([at.C - at.B, at.D - at.C], [2_000, 2_000]);
  });
});
