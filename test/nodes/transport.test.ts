import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import clientNode from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import outNode from "../../src/nodes/wa-out";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

const nodes = [clientNode, inNode, outNode];

describe("wa-client (simulator), wa-in and wa-out nodes", () => {
  const harness = useNodeHarness();

  function flow(client: Record<string, unknown> = {}, wainExtra: Record<string, unknown> = {}) {
    return inTab([
      {
        id: "sim1",
        type: "wa-client",
        mode: "simulator",
        source: "demo",
        speed: 1000,
        maxGap: 0.5,
        stagger: 0.2,
        startDelay: 0,
        loop: false,
        ...client,
      },
      { id: "in1", type: "wa-in", client: "sim1", includeGroups: true, types: "all", wires: [["received"]], ...wainExtra },
      { id: "out1", type: "wa-out", client: "sim1", chat: "wa.message.chatId", quote: true, wires: [["sent"]] },
      helperNode("received"),
      helperNode("sent"),
      catchNode(),
      helperNode("errors"),
    ]);
  }

  it("emits simulated chats as envelopes and sends replies through the same connection", async () => {
    await helper.load(nodes, flow());
    const received = collect("received");
    const sent = collect("sent");
    await harness.clock().advanceAsync(30_000);
    await until(() => received.length === 18);
    const first = received[0] as {
      payload: string;
      topic: string;
      wa: { message: Record<string, unknown>; trace: { nodeType: string }[] };
    };
    assert.equal(first.payload, first.wa.message.body);
    assert.equal(first.topic, first.wa.message.chatId);
    assert.equal(first.wa.trace[0].nodeType, "wa-in");
    assert.equal("author" in first.wa.message, false, "no undefined keys in the envelope");
    getNode("out1").receive({ ...first, payload: "Thanks!" });
    await until(() => sent.length === 1);
    const receipt = (sent[0].wa as { sent: { chatId: string; quotedId: string; id: string } }).sent;
    assert.equal(receipt.chatId, first.wa.message.chatId);
    assert.equal(receipt.quotedId, first.wa.message.id);
    assert.match(receipt.id, /^sim-out-/);
  });

  it("filters out groups when asked", async () => {
    await helper.load(nodes, flow({}, { includeGroups: false }));
    const received = collect("received");
    await harness.clock().advanceAsync(30_000);
    await until(() => received.length === 15);
    assert.ok(received.every((m) => !(m.wa as { message: { isGroup: boolean } }).message.isGroup));
  });

  it("sends a bad reply to the Catch node: no chat, empty text, an object", async () => {
    await helper.load(nodes, flow());
    const errors = collect("errors");
    const out = getNode("out1");
    out.receive({ payload: "no chat" });
    out.receive({ ...envelope("447700900123@c.us"), payload: "  " });
    out.receive({ ...envelope("447700900123@c.us"), payload: { not: "text" } });
    await until(() => errors.length === 3);
    const text = errors.map((m) => (m.error as { message: string }).message).join("\n");
    assert.match(text, /Cannot send to chat id/);
    assert.match(text, /empty/);
    assert.match(text, /must be a string/);
  });

  it("replays a chat script file and reports a bad one with its line number", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-script-"));
    helper.settings({ userDir: dir });
    const good = join(dir, "chats.jsonl");
    writeFileSync(
      good,
      [1, 2]
        .map((i) =>
          JSON.stringify({
            conversation: "c",
            chat: "447700900123@c.us",
            from: "447700900123@c.us",
            timestamp: 1000 + i,
            text: `line ${i}`,
          }),
        )
        .join("\n"),
    );
    await helper.load(nodes, flow({ source: "file", scriptPath: good }));
    const received = collect("received");
    await harness.clock().advanceAsync(5_000);
    await until(() => received.length === 2);
    await helper.unload();

    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify({ chat: "1@c.us", from: "1@c.us", timestamp: 1, text: "ok" })}\n{oops`);
    await helper.load(nodes, flow({ source: "file", scriptPath: bad }));
    const errors = collect("errors");
    getNode("out1").receive({ ...envelope("447700900123@c.us"), payload: "hi" });
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /line 2: not valid JSON/);
    helper.settings({});
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes a message typed in the connection's dialog (admin endpoint), twice on demand", async () => {
    await helper.load(nodes, flow({ startDelay: 3600 }));
    const received = collect("received");
    const request = helper.request() as unknown as {
      post(path: string): { send(body: unknown): { expect(status: number): Promise<{ body: { delivered?: unknown[]; error?: string } }> } };
    };
    const answer = await request
      .post("/wa-pipeline/clients/sim1/inject")
      .send({ chatId: "447700900999@c.us", text: "Do you deliver on Sundays?", senderName: "Ana", delivery: "duplicate" })
      .expect(200);
    assert.equal(answer.body.delivered?.length, 2);
    await until(() => received.length === 2);
    assert.equal(received[0].payload, "Do you deliver on Sundays?");
    assert.equal((received[0].wa as { message: { senderName: string } }).message.senderName, "Ana");
    const refused = await request.post("/wa-pipeline/clients/sim1/inject").send({ chatId: "", text: "x" }).expect(400);
    assert.match(String(refused.body.error), /chat/i);
    await request.post("/wa-pipeline/clients/nope/inject").send({ chatId: "447700900999@c.us", text: "x" }).expect(404);
  });

  it("reports the ticks of sent messages on wa in's second output", async () => {
    await helper.load(
      nodes,
      inTab([
        { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 10, startDelay: 3600, loop: false },
        { id: "in1", type: "wa-in", client: "sim1", includeGroups: true, types: "all", events: true, wires: [["received"], ["ticks"]] },
        { id: "out1", type: "wa-out", client: "sim1", chat: "wa.message.chatId", quote: false, wires: [["sent"]] },
        helperNode("received"),
        helperNode("ticks"),
        helperNode("sent"),
      ]),
    );
    const ticks = collect("ticks");
    const sent = collect("sent");
    getNode("out1").receive({ ...envelope("447700900123@c.us"), payload: "Your order has shipped" });
    await until(() => sent.length === 1);
    const id = (sent[0].wa as { sent: { id: string } }).sent.id;
    await harness.clock().advanceAsync(200);
    await until(() => ticks.length === 1);
    await harness.clock().advanceAsync(2000);
    await until(() => ticks.length === 2);
    assert.deepEqual(
      ticks.map((t) => [(t.payload as { messageId: string }).messageId, (t.payload as { status: string }).status]),
      [
        [id, "delivered"],
        [id, "read"],
      ],
    );
    assert.equal(ticks[0].topic, "447700900123@c.us");
  });

  it("writes each reply the simulator is sent to its replies file, one JSON line each, before the send is done", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-transcript-"));
    helper.settings({ userDir: dir });
    try {
      await helper.load(
        nodes,
        inTab([
          {
            id: "sim1",
            type: "wa-client",
            mode: "simulator",
            source: "demo",
            speed: 10,
            startDelay: 3600,
            loop: false,
            transcript: "out/replies.jsonl",
          },
          { id: "out1", type: "wa-out", client: "sim1", chat: "wa.message.chatId", quote: true, wires: [["sent"]] },
          helperNode("sent"),
        ]),
      );
      const sent = collect("sent");
      getNode("out1").receive({ ...envelope("447700900123@c.us", "where is it?", "wamid.q1"), payload: "Your order has shipped" });
      await until(() => sent.length === 1);
      const lines = readFileSync(join(dir, "out", "replies.jsonl"), "utf8")
        .trim()
        .split("\n");
      assert.deepEqual(
        lines.map((line) => JSON.parse(line) as Record<string, unknown>),
        [{ at: harness.clock().now(), chatId: "447700900123@c.us", text: "Your order has shipped", quotedId: "wamid.q1" }],
      );
    } finally {
      helper.settings({});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
