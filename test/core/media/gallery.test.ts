import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../../src/core/clock";
import { BlobStorage, GalleryLimits, MediaGallery, safeFileName } from "../../../src/core/media/gallery/gallery";
import { MemoryStore } from "../../../src/core/store/memory-store";
import { RedisStore } from "../../../src/core/store/redis-store";
import { FileBlobStorage } from "../../../src/core/media/gallery/file-blob-storage";
import { REDIS_URL, redisReachable } from "../redis-available";
import { requirePrerequisite } from "../../support/prerequisite";

/** Blobs in a Map: the gallery's bookkeeping checked without a disk. */
class MapBlobs implements BlobStorage {
  readonly files = new Map<string, Buffer>();
  async put(name: string, data: Buffer) {
    this.files.set(name, data);
  }
  async get(name: string) {
    return this.files.get(name);
  }
  async delete(name: string) {
    this.files.delete(name);
  }
  async list() {
    return [...this.files.keys()];
  }
}

const limits: GalleryLimits = { maxAgeMs: 24 * 3600_000, maxTotalBytes: 1000, maxEntriesPerChat: 3 };
const bytes = (text: string, size = 100) => Buffer.from(text.padEnd(size, "."));
const thumbnailer = async (data: Buffer) => ({ data: data.subarray(0, 10), mimetype: "image/jpeg" });

describe("media gallery", () => {
  let clock: FakeClock;
  let store: MemoryStore;
  let blobs: MapBlobs;
  let gallery: MediaGallery;
  beforeEach(() => {
    clock = new FakeClock(1_000_000);
    store = new MemoryStore(clock);
    blobs = new MapBlobs();
    gallery = new MediaGallery(store, blobs, clock, limits, thumbnailer);
  });

  it("stores the same content once, lists it per chat, and keeps the file until no chat refers to it", async () => {
    const photo = bytes("receipt");
    const first = await gallery.put("A@c.us", { data: photo, mimetype: "image/png", filename: "receipt.png", messageId: "m1" });
    const again = await gallery.put("A@c.us", { data: photo, mimetype: "image/png", messageId: "m2" });
    const other = await gallery.put("B@c.us", { data: photo, mimetype: "image/png", messageId: "m3" });
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.equal(other.duplicate, true);
    assert.deepEqual(again.entry.messageIds, ["m1", "m2"]);
    assert.equal(blobs.files.size, 2, "one file and its thumbnail");
    assert.deepEqual(
      (await gallery.list("A@c.us")).map((e) => e.filename),
      ["receipt.png"],
    );
    assert.equal((await gallery.get("B@c.us", first.entry.id, true)).data.length, 10);
    assert.equal(await gallery.totalBytes(), 110);
    assert.equal(await gallery.delete("A@c.us", first.entry.id), true);
    assert.equal(blobs.files.size, 2, "chat B still has it");
    assert.equal(await gallery.delete("B@c.us", first.entry.id), true);
    assert.equal(blobs.files.size, 0);
    assert.equal(await gallery.delete("B@c.us", first.entry.id), false);
    await assert.rejects(gallery.get("A@c.us", first.entry.id), (e: { code?: string }) => e.code === "media.notFound");
    await assert.rejects(gallery.get("A@c.us", "../../etc/passwd"), (e: { code?: string }) => e.code === "media.badName");
  });

  it("sweeps by age, then evicts the least recently seen until the total fits, and drops orphan files", async () => {
    const old = await gallery.put("A@c.us", { data: bytes("old", 300), mimetype: "image/png" });
    clock.advance(20 * 3600_000);
    const middle = await gallery.put("B@c.us", { data: bytes("middle", 400), mimetype: "application/pdf" });
    clock.advance(3600_000);
    const fresh = await gallery.put("B@c.us", { data: bytes("fresh", 400), mimetype: "application/pdf" });
    await blobs.put("f".repeat(64), Buffer.from("left by a crash"));
    clock.advance(4 * 3600_000);
    const result = await gallery.sweep();
    assert.equal(result.expired, 1, "the first photo is over a day old");
    assert.equal(result.evicted, 0);
    assert.equal(result.orphans, 1);
    assert.ok(!blobs.files.has(old.entry.id));
    const big = await gallery.put("C@c.us", { data: bytes("big", 500), mimetype: "image/png" });
    const second = await gallery.sweep();
    assert.equal(second.evicted, 1, "1,330 bytes: the least recently seen (410 with its thumbnail) goes, and 920 fit");
    assert.deepEqual(
      (await gallery.list("B@c.us")).map((e) => e.id),
      [fresh.entry.id],
    );
    assert.ok(blobs.files.has(big.entry.id) && blobs.files.has(fresh.entry.id));
    assert.ok(!blobs.files.has(middle.entry.id));
    assert.ok(second.totalBytes <= 1000);
  });

  it("keeps at most the per-chat number of entries, releasing the oldest", async () => {
    for (let i = 0; i < 5; i += 1) await gallery.put("A@c.us", { data: bytes(`n${i}`, 20), mimetype: "text/plain" });
    assert.equal((await gallery.list("A@c.us")).length, 3);
    assert.equal(blobs.files.size, 6, "three files and their thumbnails");
  });

  it("reduces a sender's file name to a safe base name", () => {
    assert.equal(safeFileName("../../etc/passwd"), "passwd");
    assert.equal(safeFileName("..\\..\\boot.ini"), "boot.ini");
    assert.equal(safeFileName("...hidden"), "hidden");
    assert.equal(safeFileName("a\u0000b<c>.pdf"), "abc.pdf");
    assert.equal(safeFileName("../"), undefined);
    assert.equal(safeFileName("x".repeat(300))?.length, 120);
    assert.equal(safeFileName("invoice\u202Efdp.exe"), "invoicefdp.exe", "no right-to-left override to disguise an extension");
    assert.equal(safeFileName("a\u2066b\u2069\u200Fc\u2028.txt"), "abc.txt", "no bidi isolates, marks or line separators");
  });

  it("writes files only under its folder, by hash, and never a name it is given", async () => {
    const root = mkdtempSync(join(tmpdir(), "wa-gallery-"));
    try {
      const files = new FileBlobStorage(join(root, "gallery"));
      await assert.rejects(files.put("../../escape", Buffer.from("x")), (e: { code?: string }) => e.code === "media.badName");
      await assert.rejects(files.get("/etc/passwd"), (e: { code?: string }) => e.code === "media.badName");
      const onDisk = new MediaGallery(store, files, clock, limits);
      const { entry } = await onDisk.put("A@c.us", { data: bytes("x"), mimetype: "image/png", filename: "../../../evil.sh" });
      assert.equal(entry.filename, "evil.sh");
      assert.deepEqual(readdirSync(root), ["gallery"]);
      assert.deepEqual(readdirSync(join(root, "gallery", entry.id.slice(0, 2))), [entry.id]);
      assert.deepEqual(await files.list(), [entry.id]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe("shared by two instances through Redis", function () {
    before(async function () {
      requirePrerequisite(this, await redisReachable(), `no Redis reachable at ${REDIS_URL}`);
    });

    it("counts references across instances: the file stays while either still lists it", async () => {
      const prefix = `wa-test:${randomUUID()}:`;
      const first = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
      const second = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
      const shared = new MapBlobs();
      try {
        const one = new MediaGallery(first, shared, clock, limits);
        const two = new MediaGallery(second, shared, clock, limits);
        const photo = bytes("shared");
        const [a, b] = await Promise.all([
          one.put("A@c.us", { data: photo, mimetype: "image/png" }),
          two.put("B@c.us", { data: photo, mimetype: "image/png" }),
        ]);
        assert.equal(a.entry.id, b.entry.id);
        assert.deepEqual(
          (await two.list("A@c.us")).map((e) => e.id),
          [a.entry.id],
          "the second instance sees the first one's chat",
        );
        await one.delete("A@c.us", a.entry.id);
        assert.ok(shared.files.has(a.entry.id));
        await two.delete("B@c.us", a.entry.id);
        assert.ok(!shared.files.has(a.entry.id));
      } finally {
        for (const key of await first.keys("")) await first.delete(key);
        await first.close();
        await second.close();
      }
    });
  });
});
