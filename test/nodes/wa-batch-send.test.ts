import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import batchNode from "../../src/nodes/wa-batch-send";
import clientNode from "../../src/nodes/wa-client";
import storeNode from "../../src/nodes/wa-store";
import { pipelineControl } from "../../src/nodes/kit/pipeline-control";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

const nodes = [clientNode, storeNode, batchNode];
type Sent = { wa: { sent: { id: string; chatId: string; sentAt: number; coalesced?: number } } };

describe("wa-batch-send node (paced sending)", () => {
  const harness = useNodeHarness();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-batch-"));
    helper.settings({ userDir: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function flow(batch: Record<string, unknown> = {}, withStore = false) {
    return inTab([
      { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
      ...(withStore ? [{ id: "st1", type: "wa-store", backend: "sqlite", file: "outbox.db", synchronous: "FULL" }] : []),
      {
        id: "pace1",
        type: "wa-batch-send",
        client: "sim1",
        store: withStore ? "st1" : "",
        chat: "wa.message.chatId",
        quote: true,
        gapMin: 1,
        gapMax: 1,
        globalPerSecond: 10,
        coalesceWindow: 0,
        coalesceMaxChars: 1000,
        typing: false,
        typingMsPerChar: 30,
        maxAttempts: 3,
        maxPerChat: 100,
        maxTotal: 1000,
        wires: [["sent"]],
        ...batch,
      },
      helperNode("sent"),
      catchNode(),
      helperNode("errors"),
    ]);
  }
  const simulator = () => (helper.getNode("sim1") as unknown as { transport: SimulatedWhatsApp }).transport;
  const reply = (chatId: string, text: string) => ({ ...envelope(chatId, "question"), payload: text });

  it("sends one chat's replies a gap apart and other chats alongside", async () => {
    await helper.load(nodes, flow());
    const sent = collect("sent");
    const start = harness.clock().now();
    getNode("pace1").receive(reply("447700900001@c.us", "a1"));
    getNode("pace1").receive(reply("447700900001@c.us", "a2"));
    getNode("pace1").receive(reply("447700900002@c.us", "b1"));
    await until(() => sent.length === 1);
    await harness.clock().advanceAsync(100);
    await until(() => sent.length === 2);
    await harness.clock().advanceAsync(900);
    await until(() => sent.length === 3);
    const times = sent.map((m) => [m.payload, (m as unknown as Sent).wa.sent.sentAt - start]);
    assert.deepEqual(times, [
      ["a1", 0],
      ["b1", 100],
      ["a2", 1000],
    ]);
    assert.deepEqual(
      simulator()
        .sent()
        .map((r) => r.text),
      ["a1", "b1", "a2"],
    );
    assert.ok(
      simulator()
        .sent()
        .every((r) => r.quotedId !== undefined),
      "quoted replies",
    );
  });

  it("joins short replies inside the window and reports each input with the joined receipt", async () => {
    await helper.load(nodes, flow({ coalesceWindow: 2 }));
    const sent = collect("sent");
    // Two replies to one customer message (the same msg.wa.message.id, quoted by both).
    const question = envelope("447700900001@c.us", "Where is my order?");
    getNode("pace1").receive({ ...question, payload: "Thanks!" });
    getNode("pace1").receive({ ...question, payload: "Your order ships today." });
    await harness.clock().advanceAsync(2000);
    await until(() => sent.length === 2);
    assert.deepEqual(
      simulator()
        .sent()
        .map((r) => r.text),
      ["Thanks!\nYour order ships today."],
    );
    assert.equal((sent[0] as unknown as Sent).wa.sent.coalesced, 2);
    assert.equal((sent[0] as unknown as Sent).wa.sent.id, (sent[1] as unknown as Sent).wa.sent.id);
  });

  it("shows typing before the text, for a time in proportion to it", async () => {
    await helper.load(nodes, flow({ typing: true, typingMsPerChar: 50 }));
    const sent = collect("sent");
    getNode("pace1").receive(reply("447700900001@c.us", "x".repeat(40)));
    await until(() => simulator().typing.length === 1);
    assert.equal(simulator().typing[0].durationMs, 2000);
    assert.equal(sent.length, 0);
    await harness.clock().advanceAsync(2000);
    await until(() => sent.length === 1);
  });

  it("sends what WhatsApp refuses to the Catch node, and a message without text at once", async () => {
    await helper.load(nodes, flow());
    const errors = collect("errors");
    getNode("pace1").receive(reply("447700900001@c.us", "x".repeat(70_000)));
    getNode("pace1").receive(reply("447700900001@c.us", "   "));
    await until(() => errors.length === 2);
    const codes = errors.map((e) => (e.error as { code?: string }).code).sort();
    assert.deepEqual(codes, ["transport.emptyText", "transport.textTooLong"]);
  });

  it("with an outbox, sends one reply to a message delivered twice (a queue's redelivery after a restart)", async () => {
    await helper.load(nodes, flow({}, true));
    const sent = collect("sent");
    const question = envelope("447700900001@c.us", "question", "wamid.twice");
    const delivered = (count: number) => ({
      ...question,
      payload: "your order is on its way",
      wa: {
        ...(question.wa as object),
        session: { queue: { deliveryId: `d${count}`, chatId: "447700900001@c.us", deliveryCount: count } },
      },
    });
    getNode("pace1").receive(delivered(1));
    await until(() => sent.length === 1);
    getNode("pace1").receive({ ...delivered(2), _msgid: "again" });
    await until(() => sent.length === 2);
    await harness.clock().advanceAsync(5_000);
    assert.equal(simulator().sent().length, 1, "the customer gets the reply once");
    assert.equal((sent[1].wa as { resilience?: { replyAlreadyAccepted?: boolean } }).resilience?.replyAlreadyAccepted, true);
    getNode("pace1").receive({ ...envelope("447700900001@c.us", "question", "wamid.other"), payload: "another answer" });
    await until(() => sent.length === 3);
    assert.equal(simulator().sent().length, 2, "another message is answered as usual");
    getNode("pace1").receive({ ...envelope("447700900001@c.us", "question", "wamid.other"), payload: "and a second answer to it" });
    await harness.clock().advanceAsync(5_000);
    await until(() => sent.length === 4);
    assert.equal(simulator().sent().length, 3, "a flow's second reply to the same delivery goes out too");
  });

  it("keeps unsent replies in the outbox store across a restart and sends them after it", async () => {
    await helper.load(nodes, flow({}, true));
    let sent = collect("sent");
    for (const text of ["r1", "r2", "r3"]) getNode("pace1").receive(reply("447700900001@c.us", text));
    await until(() => sent.length === 1);
    assert.equal((sent[0] as { wa?: { resilience?: object } }).wa?.resilience, undefined);
    await helper.unload(); // r2 and r3 still waiting for their gap
    await helper.load(nodes, flow({}, true));
    sent = collect("sent");
    await until(() => sent.length === 1);
    await harness.clock().advanceAsync(1000);
    await until(() => sent.length === 2);
    assert.deepEqual(
      sent.map((m) => m.payload),
      ["r2", "r3"],
    );
    // What comes after (a Sheets row, the lock's release, the queue's ack) may have been done before the restart.
    assert.deepEqual(
      sent.map((m) => (m as { wa?: { resilience?: { restoredAfterRestart?: boolean } } }).wa?.resilience?.restoredAfterRestart),
      [true, true],
    );
  });

  it("is put out of action with the reason when its settings cannot work", async () => {
    await helper.load(nodes, flow({ gapMin: 5, gapMax: 1 }));
    const errors = collect("errors");
    getNode("pace1").receive(reply("447700900001@c.us", "hello"));
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /Gap per chat up to: at least Gap per chat from \(5\)/);
  });

  describe("ban protection", () => {
    const HOUR = 60 * 60 * 1000;
    const lastStatus = () => (getNode("pace1").status.lastCall?.args[0] as { text: string }).text;
    const gauges = () => pipelineControl.snapshot().nodes.find((n) => n.id === "pace1");
    const firstContact = (chatId: string, text: string) => ({ topic: chatId, payload: text });

    it("holds messages over the warm-up's hourly cap until the next hour, and shows the day's count", async () => {
      // The harness clock starts at 09:00 UTC; the number is in use since that midnight: day 1.
      await helper.load(
        nodes,
        flow({ gapMin: 0, gapMax: 0, warmup: true, warmupSchedule: "1: 10/day 2/hour\n3: no cap", warmupSince: "2026-01-01" }),
      );
      const sent = collect("sent");
      for (const text of ["r1", "r2", "r3"]) getNode("pace1").receive(reply("447700900001@c.us", text));
      await until(() => sent.length === 1);
      await harness.clock().advanceAsync(60_000);
      assert.equal(sent.length, 2);
      await until(() => /hourly cap reached/.test(lastStatus()));
      assert.match(lastStatus(), /day 1: 2\/10 today/);
      assert.deepEqual(
        { ...gauges()?.numbers, holding: gauges()?.states?.holding },
        { sendPace: 1, warmupDay: 1, sentToday: 2, dailyCap: 10, sentThisHour: 2, hourlyCap: 2, newChatsToday: 0, holding: "hourlyCap" },
      );
      await harness.clock().advanceAsync(HOUR - 60_000 - 1);
      assert.equal(sent.length, 2);
      await harness.clock().advanceAsync(1);
      await until(() => sent.length === 3);
      assert.equal((sent[2] as unknown as Sent).wa.sent.sentAt, Date.UTC(2026, 0, 1, 10));
    });

    it("refuses a second unanswered message to a chat that never wrote, until the chat writes", async () => {
      await helper.load(nodes, flow({ chat: "topic", warmup: true, warmupSchedule: "1: no cap", unansweredPerChat: 1, newChatsPerDay: 5 }));
      simulator().start();
      const sent = collect("sent");
      const errors = collect("errors");
      getNode("pace1").receive(firstContact("447700900077@c.us", "Your order is ready"));
      await until(() => sent.length === 1);
      await harness.clock().advanceAsync(5_000);
      getNode("pace1").receive(firstContact("447700900077@c.us", "Did you see it?"));
      await until(() => errors.length === 1);
      assert.equal((errors[0].error as { code?: string }).code, "pacer.firstContactLimit");
      assert.match((errors[0].error as { message: string }).message, /447700900077@c.us has not written to this number/);

      simulator().inject({ chatId: "447700900077@c.us", body: "yes, thanks" });
      await harness.clock().advanceAsync(5_000);
      getNode("pace1").receive(firstContact("447700900077@c.us", "See you tomorrow"));
      await until(() => sent.length === 2);
      assert.equal(errors.length, 1);
    });

    it("with Slow down off, only retries after 'too many': the pace stays and no gauge is reported", async () => {
      await helper.load(nodes, [
        ...flow({ gapMin: 0, gapMax: 0, globalPerSecond: 1, maxAttempts: 8, slowDown: false }).map((n) =>
          n.id === "sim1" ? { ...n, rateLimit: 1 } : n,
        ),
      ]);
      simulator().start();
      const sent = collect("sent");
      for (let i = 1; i <= 2; i += 1) getNode("pace1").receive(reply(`44770090000${i}@c.us`, `m${i}`));
      await until(() => sent.length === 1);
      await harness.clock().advanceAsync(1_000);
      await until(() => getNode("pace1").warn.callCount! >= 1);
      assert.doesNotMatch(lastStatus(), /slowed/);
      assert.deepEqual(gauges()?.numbers, {});
      for (let i = 0; i < 20 && sent.length < 2; i += 1) await harness.clock().advanceAsync(10_000);
      assert.equal(sent.length, 2);
    });

    it("slows down when WhatsApp answers 'too many', and keeps every message", async () => {
      await helper.load(nodes, [
        ...flow({ gapMin: 0, gapMax: 0, globalPerSecond: 1, maxAttempts: 8 }).map((n) => (n.id === "sim1" ? { ...n, rateLimit: 3 } : n)),
      ]);
      simulator().start();
      const sent = collect("sent");
      for (let i = 1; i <= 5; i += 1) getNode("pace1").receive(reply(`44770090000${i}@c.us`, `m${i}`));
      await until(() => sent.length === 1);
      await harness.clock().advanceAsync(2_000);
      await until(() => sent.length === 3);
      await harness.clock().advanceAsync(1_000);
      await until(() => getNode("pace1").warn.callCount! >= 1);
      assert.match(String(getNode("pace1").warn.getCalls()[0].args[0]), /more than 3 messages in a minute/);
      await until(() => /slowed to 50%/.test(lastStatus()));
      assert.equal(gauges()?.numbers?.sendPace, 0.5);
      assert.equal(gauges()?.states?.slowedBy, "rateLimited");
      // Retries back off and the pace stays down; once the minute has passed all five are sent.
      for (let i = 0; i < 20 && sent.length < 5; i += 1) await harness.clock().advanceAsync(10_000);
      assert.deepEqual(sent.map((m) => m.payload).sort(), ["m1", "m2", "m3", "m4", "m5"]);
    });
  });
});
