import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { RedisStore } from "../../src/core/store/redis-store";
import { describeStoreConformance } from "./store-conformance";
import { REDIS_URL, redisReachable } from "./redis-available";
import { requirePrerequisite } from "../support/prerequisite";

describe("Redis store (127.0.0.1:6379)", function () {
  before(async function () {
    requirePrerequisite(this, await redisReachable(), `no Redis reachable at ${REDIS_URL}; start one to run these tests`);
  });

  describeStoreConformance("Redis", async () => {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: `wa-test:${randomUUID()}:` });
    return {
      store,
      exactTime: false,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      cleanup: async () => {
        for (const key of await store.keys("")) await store.delete(key);
        await store.close();
      },
    };
  });

  it("fails fast with store.disconnected when Redis cannot be reached, and never throws out of band", async () => {
    const store = new RedisStore({ url: "redis://127.0.0.1:1", keyPrefix: "x:", commandTimeoutMs: 300 });
    await assert.rejects(
      store.get("a"),
      (error: Error & { code?: string }) => error.code === "store.disconnected" && /not reachable/.test(error.message),
    );
    await store.close();
  });

  it("rejects a URL that is not redis:// or rediss://", () => {
    assert.throws(() => new RedisStore({ url: "http://127.0.0.1:6379", keyPrefix: "x:" }), /must start with redis:\/\//);
  });
});
