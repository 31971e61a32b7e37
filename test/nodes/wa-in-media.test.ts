import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WaError } from "../../src/core/errors";
import clientNode from "../../src/nodes/wa-client";
import { mediaFolderReader } from "../../src/core/transport/media-folder";
import inNode from "../../src/nodes/wa-in";
import { collect, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

const nodes = [clientNode, inNode];
type Media = { mimetype: string; filename?: string; sizeBytes?: number; data?: Buffer; error?: string; ref?: string };
const mediaOf = (msg: Record<string, unknown>) => (msg.wa as { message: { media?: Media } }).message.media;

describe("wa-in: media download, filters and per-chat order (simulator)", () => {
  const harness = useNodeHarness();
  let dir: string;
  const png = Buffer.from("89504e470d0a1a0a-not-really-a-png-but-bytes", "utf8");

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-in-media-"));
    writeFileSync(join(dir, "receipt.png"), png);
    const line = (chat: string, timestamp: number, text: string, media?: string) =>
      JSON.stringify({ conversation: chat, chat, from: chat, timestamp, text, ...(media ? { media } : {}) });
    writeFileSync(
      join(dir, "script.jsonl"),
      [
        line("447700900001@c.us", 1, "my receipt", "receipt.png"),
        line("447700900001@c.us", 2, "can you check it?"),
        line("447700900002@c.us", 1, "hello"),
        line("447700900001@c.us", 3, "", "missing.pdf"),
      ].join("\n"),
    );
    helper.settings({ userDir: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function flow(wain: Record<string, unknown>) {
    return inTab([
      {
        id: "sim1",
        type: "wa-client",
        mode: "simulator",
        source: "file",
        scriptPath: "script.jsonl",
        mediaFolder: ".",
        speed: 1000,
        maxGap: 0.1,
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
        downloadMedia: true,
        maxMediaMB: 1,
        wires: [["received"]],
        ...wain,
      },
      helperNode("received"),
    ]);
  }

  it("puts the photo's bytes in the message and keeps the chat's order behind the download", async () => {
    await helper.load(nodes, flow({}));
    const received = collect("received");
    await harness.clock().advanceAsync(10_000);
    await untilReal(() => received.length === 4, 5000);
    const chatOne = received.filter((m) => m.topic === "447700900001@c.us");
    assert.deepEqual(
      chatOne.map((m) => m.payload),
      ["my receipt", "can you check it?", ""],
      "the text did not overtake the photo",
    );
    const photo = mediaOf(chatOne[0])!;
    assert.ok(Buffer.isBuffer(photo.data) && photo.data.equals(png));
    assert.equal(photo.sizeBytes, png.length);
    assert.equal(photo.mimetype, "image/png");
    const missing = mediaOf(chatOne[2])!;
    assert.equal(missing.data, undefined);
    assert.match(missing.error ?? "", /not in the simulator's media folder/);
  });

  it("emits a photo over the size limit without its bytes, saying why", async () => {
    await helper.load(nodes, flow({ maxMediaMB: 0.00001 }));
    const received = collect("received");
    await harness.clock().advanceAsync(10_000);
    await untilReal(() => received.length === 4, 5000);
    const photo = mediaOf(received.find((m) => m.payload === "my receipt")!)!;
    assert.equal(photo.data, undefined);
    assert.match(photo.error ?? "", /the limit is 10$/);
  });

  it("passes only media messages, or only the chosen chats", async () => {
    await helper.load(nodes, flow({ types: "media", downloadMedia: false }));
    let received = collect("received");
    await harness.clock().advanceAsync(10_000);
    await untilReal(() => received.length === 2, 5000);
    assert.ok(received.every((m) => mediaOf(m) !== undefined));
    assert.equal(mediaOf(received[0])!.data, undefined, "not downloaded unless asked");
    await helper.unload();
    await helper.load(nodes, flow({ chats: "447700900002@c.us, 447700900999@c.us", downloadMedia: false }));
    received = collect("received");
    await harness.clock().advanceAsync(10_000);
    await untilReal(() => received.length === 1, 5000);
    assert.equal(received[0].payload, "hello");
  });

  it("never reads outside the media folder", async () => {
    const read = mediaFolderReader(dir);
    assert.equal((await read("receipt.png", 1000)).length, png.length);
    await assert.rejects(read("../receipt.png", 1000), (e: WaError) => e.code === "media.unavailable");
    await assert.rejects(read("sub/../../x", 1000), (e: WaError) => e.code === "media.unavailable");
  });
});
