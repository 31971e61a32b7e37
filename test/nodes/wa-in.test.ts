import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import clientNode from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import { catchNode, collect, getNode, helper, helperNode, inTab, untilReal, useNodeHarness, useUserDir } from "./harness";

const nodes = [clientNode, inNode];
type Message = {
  id: string;
  chatId: string;
  type: string;
  isGroup: boolean;
  body: string;
  media?: { data?: Buffer; error?: string; mimetype?: string };
};
const messageOf = (msg: Record<string, unknown>) => (msg.wa as { message: Message }).message;

/** A chat script: a one-to-one text, a group text, a photo, a second text of the photo's chat, and another chat. */
const SCRIPT = [
  { conversation: "a", chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1_800_000_000, text: "hello" },
  { conversation: "g", chat: "120363000000000001@g.us", from: "5511999990001@c.us", timestamp: 1_800_000_001, text: "group hello" },
  {
    conversation: "p",
    chat: "5511974328816@c.us",
    from: "5511974328816@c.us",
    timestamp: 1_800_000_002,
    text: "the receipt",
    media: "receipt.png",
  },
  { conversation: "p", chat: "5511974328816@c.us", from: "5511974328816@c.us", timestamp: 1_800_000_003, text: "did you get it?" },
  { conversation: "b", chat: "4915112345678@c.us", from: "4915112345678@c.us", timestamp: 1_800_000_004, text: "hallo" },
];

describe("wa-in node: every option of its form", function () {
  this.timeout(20_000);
  const harness = useNodeHarness();
  useUserDir("wa-in", "each", (dir) => {
    mkdirSync(join(dir, "media"));
    copyFileSync(join(__dirname, "..", "..", "demo-media", "receipt.png"), join(dir, "media", "receipt.png"));
    writeFileSync(join(dir, "chats.jsonl"), SCRIPT.map((line) => JSON.stringify(line)).join("\n"));
  });

  async function run(wain: Record<string, unknown>, expected: number) {
    await helper.load(
      nodes,
      inTab([
        {
          id: "sim1",
          type: "wa-client",
          mode: "simulator",
          source: "file",
          scriptPath: "chats.jsonl",
          mediaFolder: "media",
          speed: 1,
          maxGap: 1,
          stagger: 0,
          startDelay: 0,
          loop: false,
        },
        {
          id: "in1",
          type: "wa-in",
          client: "sim1",
          includeGroups: true,
          types: "all",
          chats: "",
          downloadMedia: false,
          maxMediaMB: 16,
          wires: [["received"]],
          ...wain,
        },
        helperNode("received"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const received = collect("received");
    for (let i = 0; i < 40 && received.length < expected; i += 1) await harness.clock().advanceAsync(500);
    await untilReal(() => received.length >= expected, 3000);
    // Everything the script holds has been delivered by now: nothing more can come.
    await harness.clock().advanceAsync(10_000);
    return received;
  }

  it("passes every message of every chat as an envelope, payload the text and topic the chat", async () => {
    const received = await run({}, 5);
    // The simulator plays each chat on its own timing: chats interleave, each in its own order.
    const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(
      sorted(received.map((m) => [messageOf(m).chatId, m.payload, m.topic])),
      sorted(SCRIPT.map((line) => [line.chat, line.text, line.chat])),
    );
  });

  it("Groups: leaves group chats out when unticked", async () => {
    const received = await run({ includeGroups: false }, 4);
    assert.ok(received.every((m) => !messageOf(m).isGroup));
    assert.equal(received.length, 4);
  });

  it("Messages: text only, or media only", async () => {
    const text = await run({ types: "text" }, 4);
    assert.deepEqual(text.map((m) => m.payload).sort(), ["did you get it?", "group hello", "hallo", "hello"]);
    await helper.unload();
    const media = await run({ types: "media" }, 1);
    assert.deepEqual(
      media.map((m) => messageOf(m).type),
      ["image"],
    );
  });

  it("Chats: only the listed chats", async () => {
    const received = await run({ chats: "4915112345678@c.us, 447700900123@c.us" }, 2);
    assert.deepEqual(received.map((m) => messageOf(m).chatId).sort(), ["447700900123@c.us", "4915112345678@c.us"]);
  });

  it("Download media: the photo's bytes in msg.wa.message.media.data, its chat's next message after it", async () => {
    const received = await run({ downloadMedia: true }, 5);
    const photo = received.find((m) => messageOf(m).type === "image")!;
    assert.deepEqual([...(messageOf(photo).media?.data ?? Buffer.alloc(0)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "a PNG");
    const chat = received.filter((m) => messageOf(m).chatId === "5511974328816@c.us").map((m) => m.payload);
    assert.deepEqual(chat, ["the receipt", "did you get it?"], "the chat's order is kept while its photo downloads");
  });

  it("Largest: a photo over the limit still flows, with the reason in media.error and a warning", async () => {
    const received = await run({ downloadMedia: true, maxMediaMB: 0.001 }, 5);
    const photo = received.find((m) => messageOf(m).type === "image")!;
    assert.equal(messageOf(photo).media?.data, undefined);
    assert.match(messageOf(photo).media?.error ?? "", /the limit is 1048/);
    assert.ok(
      getNode("in1")
        .warn.getCalls()
        .some((call) => /the limit is/.test(String(call.args[0]))),
    );
  });

  it("refuses a Largest it cannot use when downloading, with config.invalid on the status", async () => {
    await helper.load(
      nodes,
      inTab([
        { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
        { id: "in1", type: "wa-in", client: "sim1", downloadMedia: true, maxMediaMB: 500, wires: [[]] },
      ]),
    );
    const status = getNode("in1").status.lastCall?.args[0] as { fill?: string; text?: string };
    assert.equal(status.fill, "red");
    assert.match(status.text ?? "", /Largest media/);
  });

  it("Events: ticks of sent messages on the second output, only for the listed chats", async () => {
    await helper.load(
      nodes,
      inTab([
        { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
        { id: "in1", type: "wa-in", client: "sim1", events: true, outputs: 2, chats: "447700900123@c.us", wires: [[], ["events"]] },
        helperNode("events"),
      ]),
    );
    const events = collect("events");
    const simulator = (helper.getNode("sim1") as unknown as { transport: SimulatedWhatsApp }).transport;
    await simulator.sendText({ chatId: "447700900123@c.us", text: "to a listed chat" });
    await simulator.sendText({ chatId: "5511999990000@c.us", text: "to another chat" });
    for (let i = 0; i < 20; i += 1) await harness.clock().advanceAsync(1000);
    assert.ok(events.length > 0, "ticks arrived");
    assert.ok(
      events.every((e) => e.topic === "447700900123@c.us"),
      "only the listed chat's ticks",
    );
  });
});
