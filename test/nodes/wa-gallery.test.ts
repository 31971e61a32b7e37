import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import sharp from "sharp";
import galleryNode from "../../src/nodes/wa-gallery";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

type Entry = {
  id: string;
  filename?: string;
  bytes: number;
  duplicate: boolean;
  thumbnail?: { bytes: number; mimetype: string };
  chatId: string;
};
const entryOf = (msg: Record<string, unknown>) =>
  ((msg.wa as { media?: { gallery?: Entry } } | undefined)?.media?.gallery ?? msg.gallery) as Entry;
const errorText = (msg: Record<string, unknown>) => (msg.error as { message: string }).message;
const receipt = readFileSync(join(__dirname, "..", "..", "demo-media", "receipt.png"));

function filesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else found.push(relative(root, join(dir, entry.name)));
    }
  };
  walk(root);
  return found.sort();
}

describe("wa-gallery node", function () {
  this.timeout(30_000);
  const harness = useNodeHarness();
  let userDir: string;
  beforeEach(() => {
    userDir = mkdtempSync(join(tmpdir(), "wa-gallery-node-"));
    helper.settings({ userDir });
  });
  afterEach(() => {
    helper.settings({});
    rmSync(userDir, { recursive: true, force: true });
  });
  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      galleryNode,
      inTab([
        {
          id: "g1",
          type: "wa-gallery",
          folder: "wa-pipeline/gallery",
          action: "store",
          maxAgeDays: 30,
          maxTotalMegabytes: 50,
          maxFileMegabytes: 1,
          maxPerChat: 100,
          thumbnails: true,
          thumbnailSize: 128,
          wires: [["out"]],
          ...props,
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
  }
  const photoMessage = (chatId: string, filename: string, data = receipt) => {
    const msg = envelope(chatId, "");
    (msg.wa as { message: { media?: unknown } }).message.media = { mimetype: "image/png", filename, data };
    return msg;
  };

  it("stores a photo once by its hash with a thumbnail, lists, gets and deletes it per chat", async () => {
    await load();
    const out = collect("out");
    getNode("g1").receive(photoMessage("447700900123@c.us", "receipt.png"));
    await untilReal(() => out.length === 1, 20_000);
    getNode("g1").receive(photoMessage("447700900123@c.us", "receipt (1).png"));
    await untilReal(() => out.length === 2, 20_000);
    const [first, second] = out.map(entryOf);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(first.id, second.id);
    assert.equal(first.thumbnail?.mimetype, "image/jpeg");
    const thumbMeta = await sharp(
      readFileSync(join(userDir, "wa-pipeline", "gallery", first.id.slice(0, 2), `${first.id}.thumb`)),
    ).metadata();
    assert.ok(Math.max(thumbMeta.width!, thumbMeta.height!) <= 128);
    getNode("g1").receive({ action: "list", chatId: "447700900123@c.us" });
    getNode("g1").receive({ action: "get", chatId: "447700900123@c.us", mediaId: first.id });
    getNode("g1").receive({ action: "list", chatId: "447700900999@c.us" });
    await untilReal(() => out.length === 5, 20_000);
    const answer = (action: string, chatId: string) => out.slice(2).find((m) => m.action === action && m.chatId === chatId)!;
    assert.deepEqual(
      (answer("list", "447700900123@c.us").payload as Entry[]).map((e) => e.filename),
      ["receipt.png"],
    );
    const got = answer("get", "447700900123@c.us").payload;
    assert.ok(Buffer.isBuffer(got) && got.equals(receipt));
    assert.deepEqual(answer("list", "447700900999@c.us").payload, [], "another chat does not see it");
    getNode("g1").receive({ action: "delete", chatId: "447700900123@c.us", mediaId: first.id });
    await untilReal(() => out.length === 6, 20_000);
    assert.deepEqual(out[5].payload, { deleted: true });
    assert.deepEqual(filesUnder(userDir), [], "the file and its thumbnail went with the last reference");
  });

  it("keeps the files in the index store when told to, writing nothing to disk", async () => {
    await load({ files: "store", folder: "" });
    const out = collect("out");
    getNode("g1").receive(photoMessage("447700900123@c.us", "receipt.png"));
    await untilReal(() => out.length === 1, 20_000);
    const stored = entryOf(out[0]);
    assert.ok(stored.thumbnail);
    getNode("g1").receive({ action: "get", chatId: "447700900123@c.us", mediaId: stored.id });
    getNode("g1").receive({ action: "thumbnail", chatId: "447700900123@c.us", mediaId: stored.id });
    await untilReal(() => out.length === 3, 20_000);
    assert.ok((out[1].payload as Buffer).equals(receipt));
    assert.equal((await sharp(out[2].payload as Buffer).metadata()).format, "jpeg");
    assert.deepEqual(filesUnder(userDir), [], "nothing on disk");
  });

  it("never writes outside its folder: traversal in a file name or an id is refused or neutralised", async () => {
    await load();
    const out = collect("out");
    const errors = collect("errors");
    getNode("g1").receive(photoMessage("447700900123@c.us", "../../../../settings.js", Buffer.from("not really a photo")));
    getNode("g1").receive({ action: "get", chatId: "447700900123@c.us", mediaId: "../../../settings.js" });
    getNode("g1").receive({ action: "delete", chatId: "447700900123@c.us", mediaId: "a".repeat(63) + "/" });
    getNode("g1").receive({ action: "get", chatId: "447700900123@c.us", mediaId: "b".repeat(64) });
    getNode("g1").receive(photoMessage("447700900123@c.us", "big.bin", Buffer.alloc(2 * 1024 * 1024)));
    getNode("g1").receive({ action: "list" });
    await untilReal(() => out.length === 1 && errors.length === 5, 20_000);
    assert.equal(entryOf(out[0]).filename, "settings.js");
    assert.equal(entryOf(out[0]).thumbnail, undefined, "no thumbnail for what is not an image");
    const texts = errors.map(errorText).join("\n");
    assert.match(texts, /media id \.\.\/\.\.\/\.\.\/settings\.js is refused/);
    assert.match(texts, /media id a{63}\/ is refused/);
    assert.match(texts, /No stored media bbbbbbbbbbbb/);
    assert.match(texts, /limit is 1048576/);
    assert.match(texts, /no chat id/);
    assert.deepEqual(
      filesUnder(userDir).map((f) => f.split("/").slice(0, 2).join("/")),
      ["wa-pipeline/gallery"],
    );
  });

  it("tidies itself every 10 minutes of the fake clock, dropping media older than the age limit", async () => {
    await load({ maxAgeDays: 0.01 }); // 14.4 minutes
    const out = collect("out");
    getNode("g1").receive(photoMessage("447700900123@c.us", "receipt.png"));
    await untilReal(() => out.length === 1, 20_000);
    await harness.clock().advanceAsync(10 * 60_000);
    // The sweep the timer started is the one a sweep request waits for.
    getNode("g1").receive({ action: "sweep" });
    await untilReal(() => out.length === 2, 20_000);
    assert.equal((out[1].payload as { expired: number }).expired, 0, "ten minutes on: still young enough");
    assert.equal(filesUnder(userDir).length, 2);
    await harness.clock().advanceAsync(10 * 60_000);
    await untilReal(() => filesUnder(userDir).length === 0, 10_000);
    getNode("g1").receive({ action: "list", chatId: "447700900123@c.us" });
    await untilReal(() => out.length === 3, 20_000);
    assert.deepEqual(out[2].payload, []);
  });

  it("refuses a folder outside the user directory at deploy", async () => {
    await load({ folder: "../outside" });
    const texts = getNode("g1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /inside the Node-RED user directory/.test(t)),
      texts.join(" | "),
    );
  });
});
