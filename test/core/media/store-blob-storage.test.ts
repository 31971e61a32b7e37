import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { FakeClock } from "../../../src/core/clock";
import { MediaGallery } from "../../../src/core/media/gallery/gallery";
import { StoreBlobStorage } from "../../../src/core/media/gallery/store-blob-storage";
import { MemoryStore } from "../../../src/core/store/memory-store";
import { RedisStore } from "../../../src/core/store/redis-store";
import { MAX_STORE_VALUE_BYTES } from "../../../src/core/store/store";
import { REDIS_URL, redisReachable } from "../redis-available";
import { requirePrerequisite } from "../../support/prerequisite";

const hashOf = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("media files kept in the store", () => {
  let clock: FakeClock;
  let store: MemoryStore;
  let blobs: StoreBlobStorage;
  beforeEach(() => {
    clock = new FakeClock(1_700_000_000_000);
    store = new MemoryStore(clock);
    blobs = new StoreBlobStorage(store, clock);
  });

  it("keeps a file larger than one store value in pieces and gives it back whole", async () => {
    const video = randomBytes(2.5 * 1024 * 1024);
    const name = hashOf(video);
    await blobs.put(name, video);
    const values = await Promise.all((await store.keys("wa:gallery-data:")).map((key) => store.get(key)));
    assert.ok(values.length >= 4, `${values.length} keys`);
    assert.ok(values.every((v) => (v ?? "").length <= MAX_STORE_VALUE_BYTES));
    assert.ok((await blobs.get(name))!.equals(video));
    assert.deepEqual(await blobs.list(), [name]);
    await blobs.delete(name);
    assert.equal(await blobs.get(name), undefined);
    assert.deepEqual(await store.keys("wa:gallery-data:"), [], "no piece left behind");
  });

  it("refuses names that are not content hashes, and a file damaged in the store", async () => {
    await assert.rejects(blobs.put("../../settings.js", Buffer.from("x")), { code: "media.badName" });
    const photo = Buffer.from("a photo");
    const name = hashOf(photo);
    await blobs.put(name, photo);
    const [piece] = (await store.keys(`wa:gallery-data:${name}#`)).filter((key) => key.includes("#"));
    await store.set(piece, Buffer.from("a phone").toString("base64"));
    await assert.rejects(blobs.get(name), { code: "media.unreadable" });
  });

  it("rewrites a file without mixing versions, and tidies pieces of a write that stopped half-way (after an hour)", async () => {
    const photo = Buffer.from("the same photo");
    const name = hashOf(photo);
    await blobs.put(name, photo);
    await blobs.put(name, photo);
    assert.equal((await store.keys(`wa:gallery-data:${name}#`)).length, 1, "the first version's piece is gone");
    // An instance that wrote a piece and stopped before its manifest:
    await store.set(`wa:gallery-data:${"f".repeat(64)}#${clock.now().toString(16)}-0badc0de:0`, "AAAA");
    await blobs.list();
    assert.equal((await store.keys(`wa:gallery-data:${"f".repeat(64)}#`)).length, 1, "a write may still be going on");
    clock.advance(60 * 60 * 1000);
    assert.deepEqual(await blobs.list(), [name]);
    assert.equal((await store.keys(`wa:gallery-data:${"f".repeat(64)}#`)).length, 0);
    assert.ok((await blobs.get(name))!.equals(photo));
  });

  describe("two instances sharing a Redis", function () {
    before(async function () {
      requirePrerequisite(this, await redisReachable(), `no Redis reachable at ${REDIS_URL}`);
    });

    it("a photo one instance stored is read, listed and deleted by the other, with no shared folder", async () => {
      const prefix = `wa-test:${randomUUID()}:`;
      const first = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
      const second = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
      try {
        const limits = { maxAgeMs: 24 * 3600_000, maxTotalBytes: 10 * 1024 * 1024, maxEntriesPerChat: 10 };
        const one = new MediaGallery(first, new StoreBlobStorage(first, clock), clock, limits);
        const two = new MediaGallery(second, new StoreBlobStorage(second, clock), clock, limits);
        const photo = randomBytes(1.5 * 1024 * 1024);
        const stored = await one.put("447700900001@c.us", { data: photo, mimetype: "image/jpeg", filename: "receipt.jpg" });
        const read = await two.get("447700900001@c.us", stored.entry.id);
        assert.ok(read?.data.equals(photo));
        assert.equal(read?.entry.filename, "receipt.jpg");
        await two.delete("447700900001@c.us", stored.entry.id);
        assert.equal(await one.get("447700900001@c.us", stored.entry.id).catch(() => undefined), undefined);
        assert.deepEqual(await first.keys("wa:gallery-data:"), []);
      } finally {
        for (const key of await first.keys("")) await first.delete(key);
        await first.close();
        await second.close();
      }
    });
  });
});
