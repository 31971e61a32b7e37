import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import { DEMO_SCRIPT } from "../../src/core/transport/demo-chats";
import { WaMessage } from "../../src/core/envelope";
import { WaError } from "../../src/core/errors";
import { ChatScript, SimulatedWhatsApp, SimulatorOptions, parseChatScriptJsonl } from "../../src/core/transport/simulator";
import { requirePrerequisite } from "../support/prerequisite";

const goldFile = join(__dirname, "..", "..", "..", "shared", "data", "whatsapp-gold", "dev.jsonl");

function simulate(script: ChatScript, overrides: Partial<SimulatorOptions> = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const simulator = new SimulatedWhatsApp(clock, {
    script,
    speed: 10,
    maxGapMs: 3000,
    conversationStaggerMs: 1000,
    startDelayMs: 500,
    loop: false,
    ...overrides,
  });
  const received: WaMessage[] = [];
  simulator.onMessage((message) => received.push(message));
  return { clock, simulator, received };
}

describe("SimulatedWhatsApp", () => {
  it("replays the demo chats with scaled, capped timing", () => {
    const { clock, simulator, received } = simulate(DEMO_SCRIPT);
    simulator.start();
    assert.equal(simulator.state(), "ready");
    clock.advance(499);
    assert.equal(received.length, 0);
    clock.advance(1);
    assert.equal(received.length, 1);
    assert.equal(received[0].chatId, "447700900123@c.us");
    assert.equal(received[0].receivedAt, clock.now());
    // Bakery: 40 s of script at speed 10 is 4 s, capped at 3 s.
    clock.advance(3000);
    const bakery = received.filter((m) => m.chatId === "447700900123@c.us");
    assert.equal(bakery.length, 2);
    clock.advance(60_000);
    const total = DEMO_SCRIPT.conversations.reduce((sum, c) => sum + c.messages.length, 0);
    assert.equal(received.length, total);
    assert.equal(new Set(received.map((m) => m.id)).size, total, "message ids are unique");
    const group = received.filter((m) => m.isGroup);
    assert.ok(group.length > 0 && group.every((m) => m.author && m.chatId.endsWith("@g.us")));
  });

  it("plays again with new ids when looping", () => {
    const { clock, simulator, received } = simulate(DEMO_SCRIPT, { loop: true });
    simulator.start();
    clock.advance(120_000);
    const total = DEMO_SCRIPT.conversations.reduce((sum, c) => sum + c.messages.length, 0);
    assert.ok(received.length > total);
    assert.equal(new Set(received.map((m) => m.id)).size, received.length);
    assert.ok(simulator.stats().round >= 2);
  });

  it("records sends, and refuses bad ones like WhatsApp would", async () => {
    const { simulator } = simulate(DEMO_SCRIPT);
    await assert.rejects(
      simulator.sendText({ chatId: "447700900123@c.us", text: "early" }),
      (e: WaError) => e.code === "transport.notReady",
    );
    simulator.start();
    const receipt = await simulator.sendText({ chatId: "447700900123@c.us", text: "Hello", quotedId: "m1" });
    assert.equal(receipt.id, "sim-out-1");
    assert.equal(receipt.quotedId, "m1");
    assert.equal(simulator.sent()[0].text, "Hello");
    await assert.rejects(simulator.sendText({ chatId: "", text: "x" }), (e: WaError) => e.code === "transport.invalidTarget");
    await assert.rejects(simulator.sendText({ chatId: "a@c.us", text: "   " }), (e: WaError) => e.code === "transport.emptyText");
    await assert.rejects(
      simulator.sendText({ chatId: "a@c.us", text: { x: 1 } as unknown as string }),
      (e: WaError) => e.code === "transport.notText",
    );
    await assert.rejects(
      simulator.sendText({ chatId: "a@c.us", text: "x".repeat(65_537) }),
      (e: WaError) => e.code === "transport.textTooLong",
    );
    assert.equal(simulator.sent().length, 1);
  });

  it("injects a message by hand", () => {
    const { simulator, received } = simulate(DEMO_SCRIPT);
    simulator.start();
    simulator.inject({ chatId: "120363000000000999@g.us", from: "15555550100@c.us", body: "hi all" });
    assert.equal(received[0].isGroup, true);
    assert.equal(received[0].author, "15555550100@c.us");
    assert.throws(
      () => simulator.inject({ chatId: "", body: "x" }),
      (e: WaError) => e.code === "envelope.missingChatId",
    );
  });

  it("delivers a message twice, or two of a chat out of order, on demand", () => {
    const { simulator, received } = simulate(DEMO_SCRIPT);
    simulator.start();
    simulator.inject({ chatId: "447700900999@c.us", body: "order #12", delivery: "duplicate" });
    assert.equal(received.length, 2);
    assert.equal(received[0].id, received[1].id, "the same message id twice");
    simulator.inject({ chatId: "447700900999@c.us", body: "second", delivery: "outOfOrder" });
    const [arrivedFirst, arrivedSecond] = received.slice(2);
    assert.equal(arrivedFirst.body, "second");
    assert.equal(arrivedSecond.body, "second (sent first)");
    assert.ok(arrivedSecond.timestamp < arrivedFirst.timestamp, "the one written first arrives last");
  });

  it("reads media lines of a chat script and serves their files through its reader", async () => {
    const line = (extra: Record<string, unknown>) =>
      JSON.stringify({ chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1, text: "my receipt", ...extra });
    const script = parseChatScriptJsonl([line({ media: "receipt.png" }), line({ media: "note.ogg", text: "" })].join("\n"));
    const [photo, voice] = script.conversations[0].messages;
    assert.equal(photo.type, "image");
    assert.deepEqual(photo.media, { mimetype: "image/png", filename: "receipt.png", ref: "sim-media:receipt.png" });
    assert.equal(voice.type, "ptt");
    for (const bad of ["../etc/passwd", "/etc/passwd", "script.exe", "a/b.png", 7]) {
      assert.throws(
        () => parseChatScriptJsonl(line({ media: bad })),
        (e: WaError) => e.code === "simulator.badScript" && /plain file name/.test(e.message),
        String(bad),
      );
    }
    const asked: [string, number][] = [];
    const { simulator } = simulate(script, { readMedia: async (name, max) => (asked.push([name, max]), Buffer.from("PNG bytes")) });
    const file = await simulator.downloadMedia("sim-media:receipt.png", 1000);
    assert.equal(file.data.toString(), "PNG bytes");
    assert.equal(file.mimetype, "image/png");
    assert.deepEqual(asked, [["receipt.png", 1000]]);
    await assert.rejects(simulator.downloadMedia("sim-media:../secret.png", 1000), (e: WaError) => e.code === "media.unavailable");
    const { simulator: noFolder } = simulate(script);
    await assert.rejects(noFolder.downloadMedia("sim-media:receipt.png", 1000), (e: WaError) => /choose a media folder/.test(e.message));
  });

  it("stops every timer on close", async () => {
    const { clock, simulator, received } = simulate(DEMO_SCRIPT, { loop: true });
    simulator.start();
    clock.advance(600);
    await simulator.close();
    assert.equal(clock.pendingTimers(), 0);
    const count = received.length;
    clock.advance(60_000);
    assert.equal(received.length, count);
    assert.equal(simulator.state(), "stopped");
  });
});

describe("parseChatScriptJsonl", () => {
  it("reads conversations in delivery order and keeps out-of-order send times", () => {
    const lines = [
      { id: "m1", conversation: "c1", chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1000, text: "first" },
      { id: "m3", conversation: "c1", chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1060, text: "third" },
      { id: "m2", conversation: "c1", chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1030, text: "second, late" },
      { id: "g1", conversation: "c2", chat: "120363000000000001@g.us", from: "15555550101@c.us", timestamp: 5000, text: "group" },
    ];
    const script = parseChatScriptJsonl(lines.map((l) => JSON.stringify(l)).join("\n"));
    assert.equal(script.conversations.length, 2);
    const [c1, c2] = script.conversations;
    assert.deepEqual(
      c1.messages.map((m) => m.offsetMs),
      [0, 60_000, 60_000],
    );
    assert.equal(c1.messages[2].sentOffsetMs, 30_000);
    assert.equal(c2.isGroup, true);
    assert.equal(c2.messages[0].author, "15555550101@c.us");

    const { clock, simulator, received } = simulate(script, { speed: 1, maxGapMs: 100_000, startDelayMs: 0 });
    simulator.start();
    clock.advance(61_000);
    const late = received.find((m) => m.body === "second, late")!;
    const third = received.find((m) => m.body === "third")!;
    assert.ok(late.timestamp < third.timestamp, "the late message keeps its earlier send time");
    assert.ok(received.indexOf(late) > received.indexOf(third), "and arrives after the later one");
  });

  it("names the line of a bad row", () => {
    const good = JSON.stringify({ conversation: "c", chat: "1@c.us", from: "1@c.us", timestamp: 1, text: "ok" });
    assert.throws(
      () => parseChatScriptJsonl(`${good}\n{not json`),
      (e: WaError) => e.code === "simulator.badScript" && e.params.line === 2,
    );
    assert.throws(() => parseChatScriptJsonl(JSON.stringify({ chat: "", from: "1@c.us", timestamp: 1, text: "x" })), /line 1/);
    assert.throws(
      () => parseChatScriptJsonl(JSON.stringify({ chat: "1@c.us", from: "1@c.us", timestamp: "soon", text: "x" })),
      /timestamp/,
    );
    assert.throws(() => parseChatScriptJsonl("\n\n"), /no messages/);
  });

  it("replays the whatsapp-gold development set", function () {
    requirePrerequisite(this, existsSync(goldFile), `shared data not found at ${goldFile}`);
    const script = parseChatScriptJsonl(readFileSync(goldFile, "utf8"), "whatsapp-gold");
    assert.equal(script.conversations.length, 22);
    const messages = script.conversations.reduce((sum, c) => sum + c.messages.length, 0);
    assert.equal(messages, 255);
    assert.equal(
      script.conversations.flatMap((c) => c.messages).filter((m) => m.sentOffsetMs !== undefined).length,
      4,
      "the four out-of-order deliveries",
    );
    const { clock, simulator, received } = simulate(script, { speed: 60, maxGapMs: 2000, conversationStaggerMs: 500 });
    simulator.start();
    clock.advance(10 * 60_000);
    assert.equal(received.length, 255);
  });
});
