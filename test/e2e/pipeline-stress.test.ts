import assert from "node:assert/strict";
import { runPipelineStress } from "../support/pipeline-stress";

/**
 * The bundled five-stage pipeline under many chats at once, on the embedded store, in a real Node-RED
 * (npm run bench runs the same two 1,000-chat runs and keeps their figures in bench/results/pipeline.json).
 */
describe("the five-stage pipeline under load, in a real Node-RED on the embedded store", function () {
  this.timeout(600_000);

  it("1,000 chats at once, 10 messages each: every reply in its chat's order, every message a row exactly once, none lost", async () => {
    const result = await runPipelineStress({ chats: 1000, messagesPerChat: 10, timeoutMs: 300_000 });
    console.log(`      ${JSON.stringify(result)}`);
    assert.equal(result.accepted, 10_000);
    assert.equal(result.lost, 0);
    assert.equal(result.duplicateRows, 0);
    assert.equal(result.rows, 10_000);
    assert.equal(result.duplicateReplies, 0);
    assert.equal(result.chatsOutOfOrder, 0);
  });

  it("Google Sheets down for 15 s mid-conversation: the breaker opens, rows wait in the dead letters and are replayed after; each row exactly once, every message answered", async () => {
    const result = await runPipelineStress({
      chats: 30,
      messagesPerChat: 8,
      sheetsOutage: { afterReplies: 40, seconds: 15 },
      timeoutMs: 240_000,
    });
    console.log(`      ${JSON.stringify(result)}`);
    assert.ok(result.breakerStates.includes("open"), `the breaker opened: ${result.breakerStates.join(" → ")}`);
    assert.equal(result.breakerStates.at(-1), "closed", "and closed again after the outage");
    assert.ok(
      Object.values(result.mostDeadLetters).some((count) => count > 0),
      "rows waited in the dead letters",
    );
    assert.equal(result.lost, 0);
    assert.equal(result.rows, 240);
    assert.equal(result.duplicateRows, 0);
    assert.equal(result.duplicateReplies, 0);
    assert.equal(result.chatsOutOfOrder, 0);
  });

  it("1,000 chats with a SIGTERM in the middle, then a restart: the drain finishes what it can, the durable queue the rest; nothing lost, no row twice", async () => {
    const result = await runPipelineStress({ chats: 1000, messagesPerChat: 10, sigtermAfterReplies: 3000, timeoutMs: 300_000 });
    console.log(`      ${JSON.stringify(result)}`);
    assert.ok(result.restarted);
    assert.ok(
      result.drainLog.some((line) => /drained in \d+ ms/.test(line)),
      `the log says what was drained: ${result.drainLog.join(" / ")}`,
    );
    assert.equal(result.lost, 0);
    assert.equal(result.duplicateRows, 0);
    assert.equal(result.duplicateReplies, 0, "a reply the outbox took before the stop is not sent again for the redelivered message");
    assert.equal(result.chatsOutOfOrder, 0);
    assert.deepEqual(result.warningsAfterRestart, [], "a reply the outbox kept does not ack or release its message's old delivery");
  });
});
