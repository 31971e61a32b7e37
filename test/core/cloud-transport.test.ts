import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock";
import { CloudApiTransport, DeliveryMemory, memoryDeliveryMemory, storeDeliveryMemory } from "../../src/core/transport/cloud-transport";
import { WaMessage } from "../../src/core/envelope";
import { MemoryStore } from "../../src/core/store/memory-store";

// A delivery and its X-Hub-Signature-256 for the secret "kat-secret", computed outside the code with
// `openssl dgst -sha256 -hmac kat-secret` over exactly these bytes.
const KNOWN_BODY =
  '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Ana"},"wa_id":"5511999990000"}],"messages":[{"from":"5511999990000","id":"wamid.KAT1","timestamp":"1767258000","type":"text","text":{"body":"oi"}}]}}]}]}';
const KNOWN_SIGNATURE = "sha256=abeba2a8f82f44538e4cdd272a0ec144f1d361eea2b402124f6312583f8a64ac";
/** 2026-01-01 09:00 UTC, the message's own timestamp. */
const SENT_AT = 1_767_258_000_000;

function transport(clock: FakeClock, seen: DeliveryMemory = memoryDeliveryMemory(), maxDeliveryAgeMs?: number) {
  const options = {
    apiBase: "http://127.0.0.1:9",
    apiVersion: "v21.0",
    phoneNumberId: "106540352242922",
    accessToken: "t",
    appSecret: "kat-secret",
    verifyToken: "v",
    maxAttempts: 1,
    backoffMs: 1,
    maxBackoffMs: 1,
    requestTimeoutMs: 1,
    ...(maxDeliveryAgeMs !== undefined ? { maxDeliveryAgeMs } : {}),
  };
  const cloud = new CloudApiTransport(options, clock, () => Promise.reject(new Error("no network in this test")), seen);
  const received: WaMessage[] = [];
  cloud.onMessage((message) => received.push(message));
  return { cloud, received };
}

describe("Cloud API transport: deliveries", () => {
  it("accepts a delivery signed as openssl signs it (known-answer vector)", async () => {
    const { cloud, received } = transport(new FakeClock(SENT_AT + 5_000));
    const answer = await cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE);
    assert.equal(answer.status, 200);
    assert.deepEqual(
      received.map((m) => [m.id, m.chatId, m.body]),
      [["wamid.KAT1", "5511999990000", "oi"]],
    );
    const altered = await cloud.handleDelivery(Buffer.from(KNOWN_BODY.replace('"oi"', '"oi!"')), KNOWN_SIGNATURE);
    assert.equal(altered.status, 401);
    const sha1 = await cloud.handleDelivery(Buffer.from(KNOWN_BODY), "sha1=abeba2a8f82f44538e4cdd272a0ec144f1d361ee");
    assert.equal(sha1.status, 401, "only sha256 signatures are taken");
    assert.equal(received.length, 1);
  });

  it("does not pass on a replay after a restart when the seen ids live in a store", async () => {
    const clock = new FakeClock(SENT_AT + 5_000);
    const store = new MemoryStore(clock);
    const before = transport(clock, storeDeliveryMemory(store, "seen:", 25 * 3600_000));
    assert.equal((await before.cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE)).status, 200);
    await before.cloud.close();
    // A new transport (a restarted Node-RED) on the same store.
    const after = transport(clock, storeDeliveryMemory(store, "seen:", 25 * 3600_000));
    const replay = await after.cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE);
    assert.equal(replay.status, 200, "acknowledged, so Meta stops redelivering");
    assert.equal(after.received.length, 0, "not passed on again");
    assert.equal(after.cloud.duplicateDeliveries, 1);
    // With memory only, the same replay would have been passed on again.
    const forgetful = transport(clock);
    await forgetful.cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE);
    assert.equal(forgetful.received.length, 1);
  });

  it("acknowledges but does not pass on a message sent longer ago than the age limit", async () => {
    const clock = new FakeClock(SENT_AT + 25 * 3600_000);
    const stale = transport(clock);
    const answer = await stale.cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE);
    assert.equal(answer.status, 200);
    assert.equal(stale.received.length, 0);
    assert.equal(stale.cloud.staleDeliveries, 1);
    assert.equal(answer.problem?.code, "cloud.badWebhook");
    assert.match(answer.problem?.message ?? "", /wamid\.KAT1 was sent 25 h ago, longer ago than the age limit/);
    const anyAge = transport(clock, memoryDeliveryMemory(), 0);
    await anyAge.cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE);
    assert.equal(anyAge.received.length, 1, "an age limit of 0 takes any age");
    const withinLimit = transport(new FakeClock(SENT_AT + 23 * 3600_000));
    await withinLimit.cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE);
    assert.equal(withinLimit.received.length, 1);
  });

  it("asks Meta to deliver again (503) when the seen ids cannot be checked, and passes the message on once later", async () => {
    const clock = new FakeClock(SENT_AT + 5_000);
    let storeUp = false;
    const store = new MemoryStore(clock);
    const flaky: DeliveryMemory = {
      firstTime: (id) =>
        storeUp ? store.setIfAbsent(`seen:${id}`, "1", { ttlMs: 3600_000 }) : Promise.reject(new Error("connection refused")),
    };
    const { cloud, received } = transport(clock, flaky);
    const down = await cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE);
    assert.equal(down.status, 503);
    assert.equal(down.problem?.code, "store.unavailable");
    assert.equal(received.length, 0);
    storeUp = true;
    assert.equal((await cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE)).status, 200);
    assert.equal((await cloud.handleDelivery(Buffer.from(KNOWN_BODY), KNOWN_SIGNATURE)).status, 200);
    assert.equal(received.length, 1);
  });
});
