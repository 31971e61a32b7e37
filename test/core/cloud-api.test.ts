import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import {
  CloudApiClient,
  CloudApiOptions,
  HttpFunction,
  RecentIds,
  answerVerification,
  parseWebhook,
  signBody,
  signatureIsValid,
} from "../../src/core/transport/cloud-api";
import { WaError } from "../../src/core/errors";
import { GraphApiStandin } from "../support/graph-api-standin";

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "cloud-api", name), "utf8")) as unknown;

describe("Cloud API webhook", () => {
  it("answers Meta's verification handshake only with the right token", () => {
    const query = { "hub.mode": "subscribe", "hub.verify_token": "s3cret", "hub.challenge": "1158201444" };
    assert.deepEqual(answerVerification(query, "s3cret"), { status: 200, body: "1158201444" });
    assert.equal(answerVerification({ ...query, "hub.verify_token": "guess" }, "s3cret").status, 403);
    assert.equal(answerVerification(query, "").status, 403, "no verify token configured: nobody verifies");
    assert.equal(answerVerification({ "hub.mode": "subscribe" }, "s3cret").status, 400);
  });

  it("accepts the X-Hub-Signature-256 of the raw body and nothing else", () => {
    const raw = Buffer.from(JSON.stringify(fixture("text-message.json")));
    const header = signBody(raw, "app-secret");
    assert.equal(signatureIsValid(raw, header, "app-secret"), true);
    assert.equal(signatureIsValid(raw, header, "other-secret"), false);
    assert.equal(signatureIsValid(Buffer.concat([raw, Buffer.from(" ")]), header, "app-secret"), false, "one byte more breaks it");
    assert.equal(signatureIsValid(raw, undefined, "app-secret"), false);
    assert.equal(signatureIsValid(raw, "sha256=zz", "app-secret"), false);
    assert.equal(signatureIsValid(raw, header.toUpperCase().replace("SHA256=", "sha256="), "app-secret"), true, "hex case does not matter");
    assert.equal(signatureIsValid(raw, header, ""), false, "no app secret: nothing is trusted");
  });

  it("maps a text message, the sender's name and a quoted reply to the envelope's message", () => {
    const parsed = parseWebhook(fixture("text-message.json"), 1_700_000_100_000);
    assert.deepEqual(parsed.skipped, []);
    assert.equal(parsed.messages.length, 1);
    const [message] = parsed.messages;
    assert.deepEqual(message, {
      id: "wamid.HBgLNDQ3NzAwOTAwMTIzFQIAEhgUM0VCMDQ5",
      chatId: "447700900123",
      from: "447700900123",
      senderName: "Priya Shah",
      body: "Do you have the blue hoodie in M?",
      type: "chat",
      timestamp: 1_700_000_000_000,
      receivedAt: 1_700_000_100_000,
      isGroup: false,
      fromMe: false,
      quotedId: "wamid.HBgLNDQ3NzAwOTAwMTIzFQIAERgSQUFBQUFB",
      transport: "cloud-api",
    });
  });

  it("maps media, voice notes, locations, buttons, reactions and statuses; marks unknown types", () => {
    const parsed = parseWebhook(fixture("mixed.json"), 1_700_000_100_000);
    assert.deepEqual(
      parsed.messages.map((m) => [m.type, m.body, m.media?.ref ?? null]),
      [
        ["image", "my receipt", "cloud-media:1482738482"],
        ["ptt", "", "cloud-media:9928371"],
        ["document", "", "cloud-media:552211"],
        ["location", "Shop · 1 High St · 51.5,-0.12", null],
        ["chat", "Yes, book it", null],
        ["reaction", "👍", null],
        ["unknown", "", null],
      ],
    );
    assert.equal(parsed.messages[2].media?.filename, "invoice.pdf");
    assert.equal(parsed.messages[5].quotedId, "wamid.sent-by-us");
    assert.deepEqual(parsed.statuses, [
      { messageId: "wamid.sent-by-us", chatId: "447700900123", status: "read", timestamp: 1_700_000_050_000 },
      {
        messageId: "wamid.failed",
        chatId: "447700900123",
        status: "failed",
        timestamp: 1_700_000_060_000,
        error: { code: 131047, title: "Re-engagement message" },
      },
    ]);
    assert.deepEqual(parsed.skipped, ["message wamid.bad-sender: the sender (from) is not a WhatsApp id"]);
  });

  it("refuses what is not a WhatsApp Business Account webhook without throwing", () => {
    for (const body of [null, "text", [], { object: "page", entry: [] }]) {
      const parsed = parseWebhook(body, 0);
      assert.deepEqual(parsed.messages, []);
      assert.equal(parsed.skipped.length, 1);
    }
  });

  it("recognises a redelivered message id, forgetting the oldest beyond its capacity", () => {
    const recent = new RecentIds(2);
    assert.equal(recent.firstTime("a"), true);
    assert.equal(recent.firstTime("a"), false);
    recent.firstTime("b");
    recent.firstTime("c");
    assert.equal(recent.firstTime("a"), true, "a was forgotten");
  });
});

describe("Cloud API client against a loopback stand-in of the Graph API", () => {
  const TOKEN = "EAAG-test-token";
  const PHONE_ID = "106540352242922";
  let graph: GraphApiStandin;
  let clock: FakeClock;
  let callTimes: number[];

  beforeEach(async () => {
    graph = new GraphApiStandin(TOKEN, PHONE_ID);
    await graph.start();
    clock = new FakeClock(0);
    callTimes = [];
  });
  afterEach(() => graph.stop());

  function client(overrides: Partial<CloudApiOptions> = {}): CloudApiClient {
    const http: HttpFunction = (url, init) => {
      callTimes.push(clock.now());
      return fetch(url, init);
    };
    const options: CloudApiOptions = {
      apiBase: graph.url,
      apiVersion: "v21.0",
      phoneNumberId: PHONE_ID,
      accessToken: TOKEN,
      maxAttempts: 4,
      backoffMs: 1000,
      maxBackoffMs: 30_000,
      requestTimeoutMs: 5000,
      ...overrides,
    };
    return new CloudApiClient(options, clock, http, () => 0.5);
  }

  /** Lets the real socket answer and moves the fake clock through each backoff. */
  async function settle<T>(promise: Promise<T>): Promise<T> {
    let finished = false;
    promise.then(
      () => (finished = true),
      () => (finished = true),
    );
    while (!finished) {
      await new Promise((resolve) => setImmediate(resolve));
      if (clock.pendingTimers() > 0) await clock.advanceAsync(100);
    }
    return promise;
  }

  it("sends a text as a quoted reply and returns the message id", async () => {
    const receipt = await settle(client().sendText({ chatId: "447700900123", text: "Yes, in M.", quotedId: "wamid.in" }));
    assert.match(receipt.id, /^wamid\./);
    assert.equal(receipt.transport, "cloud-api");
    assert.equal(graph.calls.length, 1);
    assert.equal(graph.calls[0].path, `/v21.0/${PHONE_ID}/messages`);
    assert.deepEqual(graph.calls[0].body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "447700900123",
      type: "text",
      text: { body: "Yes, in M.", preview_url: false },
      context: { message_id: "wamid.in" },
    });
  });

  it("waits as long as Retry-After says on 429, then succeeds", async () => {
    graph.failNext(2, { kind: "status", status: 429, retryAfter: 3 });
    const receipt = await settle(client().sendText({ chatId: "447700900123", text: "hello" }));
    assert.match(receipt.id, /^wamid\./);
    assert.deepEqual(callTimes, [0, 3000, 6000]);
  });

  it("backs off exponentially on 5xx and dropped connections", async () => {
    graph.failNext(1, { kind: "status", status: 503 });
    graph.failNext(1, { kind: "drop" });
    graph.failNext(1, { kind: "status", status: 500 });
    await settle(client().sendText({ chatId: "447700900123", text: "hello" }));
    // Jitter fixed at the middle: 0.75 × 1 s, 0.75 × 2 s, 0.75 × 4 s.
    assert.deepEqual(callTimes, [0, 750, 2250, 5250]);
  });

  it("treats Graph's rate-limit codes as 429 even with HTTP 400, and gives up after the attempts", async () => {
    graph.failNext(4, { kind: "status", status: 400, code: 131056 });
    await assert.rejects(settle(client().sendText({ chatId: "447700900123", text: "hello" })), (error: WaError) => {
      assert.equal(error.code, "cloud.rateLimited");
      assert.equal(error.params.attempts, 4);
      return true;
    });
    assert.equal(graph.calls.length, 4);
  });

  it("names a bad token as such and does not retry it", async () => {
    await assert.rejects(
      settle(client({ accessToken: "expired" }).sendText({ chatId: "447700900123", text: "hello" })),
      (error: WaError) => {
        assert.equal(error.code, "cloud.auth");
        assert.match(error.message, /Invalid OAuth access token.*code 190.*renew it/);
        return true;
      },
    );
    assert.equal(graph.calls.length, 1);
  });

  it("reports the Graph API's refusal with its code, without retrying", async () => {
    await assert.rejects(
      settle(client({ phoneNumberId: "999999999999" }).sendText({ chatId: "447700900123", text: "hello" })),
      (error: WaError) => {
        assert.equal(error.code, "cloud.rejected");
        assert.equal(error.params.code, 100);
        return true;
      },
    );
    assert.equal(graph.calls.length, 1);
  });

  it("uploads a file (multipart) and sends it by its media id, with caption and file name", async () => {
    const pdf = Buffer.from("%PDF-1.4 binary \u0000\u00ff bytes");
    const receipt = await settle(
      client().sendMedia({
        chatId: "447700900123",
        mimetype: "application/pdf",
        data: pdf,
        filename: "invoice.pdf",
        caption: "Your invoice",
        quotedId: "wamid.in",
      }),
    );
    assert.match(receipt.id, /^wamid\./);
    const [uploadId, upload] = [...graph.uploads.entries()][0];
    assert.ok(upload.data.equals(pdf), "the bytes arrive intact");
    assert.equal(upload.mimetype, "application/pdf");
    assert.equal(upload.filename, "invoice.pdf");
    assert.deepEqual(graph.calls[1].body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "447700900123",
      type: "document",
      document: { id: uploadId, caption: "Your invoice", filename: "invoice.pdf" },
      context: { message_id: "wamid.in" },
    });
  });

  it("reacts to a customer's message", async () => {
    await settle(client().react("447700900123", "wamid.HBgLNDQ3", "👍"));
    assert.deepEqual(graph.calls[0].body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "447700900123",
      type: "reaction",
      reaction: { message_id: "wamid.HBgLNDQ3", emoji: "👍" },
    });
  });

  it("refuses before sending what the Cloud API would refuse", async () => {
    const c = client();
    await assert.rejects(c.sendText({ chatId: "447700900123@c.us", text: "hi" }), (e: WaError) => e.code === "transport.invalidTarget");
    await assert.rejects(c.sendText({ chatId: "447700900123", text: "  " }), (e: WaError) => e.code === "transport.emptyText");
    await assert.rejects(
      c.sendText({ chatId: "447700900123", text: "x".repeat(4097) }),
      (e: WaError) => e.code === "transport.textTooLong",
    );
    assert.equal(graph.calls.length, 0);
    assert.throws(
      () => client({ apiVersion: "21" }),
      (e: WaError) => e.code === "config.invalid" && e.params.field === "apiVersion",
    );
    assert.throws(
      () => client({ apiBase: "graph.facebook.com" }),
      (e: WaError) => e.params.field === "apiBase",
    );
  });

  it("reports an unreachable API after its attempts", async () => {
    await graph.stop();
    await assert.rejects(
      settle(client({ maxAttempts: 2 }).sendText({ chatId: "447700900123", text: "hello" })),
      (e: WaError) => e.code === "cloud.unreachable" && e.params.attempts === 2,
    );
  });
});
