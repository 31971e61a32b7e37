import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import { MemoryStore } from "../../src/core/store/memory-store";
import { SqliteStore } from "../../src/core/store/sqlite-store";
import { Store } from "../../src/core/store/store";
import { SessionArchiveStore } from "../../src/core/transport/session-archive-store";

for (const backend of ["memory", "embedded (SQLite)"] as const) {
  describe(`SessionArchiveStore (whatsapp-web.js RemoteAuth store) on ${backend}`, () => {
    let dir: string;
    let store: Store;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "wa-session-archive-"));
      store =
        backend === "memory"
          ? new MemoryStore(new FakeClock(0))
          : new SqliteStore({ file: join(dir, "store.db"), synchronous: "NORMAL", clock: new FakeClock(0) });
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("keeps a session archive of several parts and gives it back byte for byte", async () => {
      const archives = new SessionArchiveStore(store, dir);
      const zip = randomBytes(1_300_000); // three parts of at most 512 kB
      writeFileSync(join(dir, "RemoteAuth-abc123.zip"), zip);
      assert.equal(await archives.sessionExists({ session: "RemoteAuth-abc123" }), false);
      await archives.save({ session: "RemoteAuth-abc123" });
      assert.equal(await archives.sessionExists({ session: "RemoteAuth-abc123" }), true);
      const target = join(dir, "restore", "RemoteAuth-abc123.zip");
      await archives.extract({ session: "RemoteAuth-abc123", path: target });
      assert.ok(readFileSync(target).equals(zip));
    });

    it("replaces an older archive without leaving its parts behind, and deletes", async () => {
      const archives = new SessionArchiveStore(store, dir);
      writeFileSync(join(dir, "RemoteAuth-x.zip"), randomBytes(600_000));
      await archives.save({ session: "RemoteAuth-x" });
      const newer = randomBytes(10_000);
      writeFileSync(join(dir, "RemoteAuth-x.zip"), newer);
      await archives.save({ session: "RemoteAuth-x" });
      assert.deepEqual((await store.keys("wa:wwebjs-session:")).sort(), [
        "wa:wwebjs-session:RemoteAuth-x:2:0",
        "wa:wwebjs-session:RemoteAuth-x:meta",
      ]);
      const target = join(dir, "out.zip");
      await archives.extract({ session: "RemoteAuth-x", path: target });
      assert.ok(readFileSync(target).equals(newer));
      await archives.delete({ session: "RemoteAuth-x" });
      assert.deepEqual(await store.keys("wa:wwebjs-session:"), []);
      assert.equal(existsSync(join(dir, "RemoteAuth-x.zip")), true, "the local file is RemoteAuth's to remove");
    });

    it("refuses a session name that could reach outside its folder", async () => {
      const archives = new SessionArchiveStore(store, dir);
      await assert.rejects(archives.save({ session: "../../etc/passwd" }), /Not a session name/);
    });
  });
}
