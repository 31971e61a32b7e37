import assert from "node:assert/strict";
import { requirePrerequisite } from "../support/prerequisite";
import { redisServerInstalled } from "../support/redis-servers";
import { runRedisFailover } from "../support/redis-failover";

describe("kill -9 of the Redis primary mid-stream (Sentinel, queue + lock + Sheets write, real Node-RED)", function () {
  this.timeout(240_000);
  before(function () {
    requirePrerequisite(this, redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");
  });

  it("with one replica to confirm: Sentinel promotes the replica, the pipeline goes on, nothing accepted is lost or written twice", async () => {
    const result = await runRedisFailover({ waitReplicas: 1, messages: 300, chats: 20, rate: 40, killAfterRows: 80, timeoutMs: 60_000 });
    console.log(`      ${JSON.stringify(result)}`);
    assert.ok(result.rows > 80, `the stream went on after the kill (${result.rows} rows)`);
    assert.equal(result.accepted + result.unconfirmed + result.notStored, result.sent, "every message accepted, unconfirmed or not stored");
    assert.deepEqual(result.lostSample, [], "no accepted message lost");
    assert.equal(result.duplicateRows, 0, "no row twice");
    assert.equal(result.unconfirmedWritten, result.unconfirmed, "what was queued but not confirmed was still written");
    assert.ok(result.pauseMs < 30_000, `stalled at most ${result.pauseMs} ms after the kill`);
  });

  it("without waiting for replicas: the pipeline goes on and writes nothing twice; what it may lose is counted", async () => {
    const result = await runRedisFailover({ waitReplicas: 0, messages: 300, chats: 20, rate: 40, killAfterRows: 80, timeoutMs: 60_000 });
    console.log(`      ${JSON.stringify(result)}`);
    assert.ok(result.rows > 80, `the stream went on after the kill (${result.rows} rows)`);
    assert.equal(result.unconfirmed, 0, "nothing is reported unconfirmed when no replica is asked for");
    assert.equal(result.accepted + result.notStored, result.sent, "every message accepted or not stored");
    assert.equal(result.duplicateRows, 0, "no row twice");
  });
});
