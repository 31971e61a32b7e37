import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { WaMessage } from "../../src/core/envelope";
import { WaError } from "../../src/core/errors";
import { TransportState } from "../../src/core/transport/transport";
import {
  RealClientFitsContract,
  WwebjsTransport,
  WwebjsTransportOptions,
  fromWwebjsMessage,
} from "../../src/core/transport/wwebjs-transport";
import { WwebjsStandin } from "../support/wwebjs-standin";

// Fails to compile (npm test type-checks the tests) if whatsapp-web.js's Client type stops fitting the contract the
// stand-in implements; the test below checks the installed library's methods are really there at run time.
export const realClientFits: RealClientFitsContract = true;

function setup(behaviours: ConstructorParameters<typeof WwebjsStandin>[0][] = [{}], overrides: Partial<WwebjsTransportOptions> = {}) {
  const clock = new FakeClock(0);
  WwebjsStandin.created = [];
  let made = 0;
  const transport = new WwebjsTransport(clock, {
    createClient: () => new WwebjsStandin(behaviours[Math.min(made++, behaviours.length - 1)]),
    includeOwn: false,
    pairingPhoneNumber: "",
    reconnectBaseMs: 1000,
    reconnectMaxMs: 30_000,
    initializeTimeoutMs: 60_000,
    maxMediaBytes: 1_000_000,
    ...overrides,
  });
  const states: [TransportState, string | undefined][] = [];
  const messages: WaMessage[] = [];
  transport.onStateChange((state, detail) => states.push([state, detail]));
  transport.onMessage((m) => messages.push(m));
  const client = () => WwebjsStandin.created[WwebjsStandin.created.length - 1];
  return { clock, transport, states, messages, client };
}

describe("WwebjsTransport (whatsapp-web.js) against a stand-in of its Client", () => {
  it("the installed whatsapp-web.js has, at run time, every method of the contract its types promise", () => {
    // Loaded here only: the library pulls in puppeteer, and no browser is started.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const library = require("whatsapp-web.js") as {
      Client: { prototype: Record<string, unknown> };
      Message: { prototype: Record<string, unknown> };
      Chat: { prototype: Record<string, unknown> };
      MessageMedia: unknown;
    };
    const clientMethods = [
      "initialize",
      "destroy",
      "logout",
      "requestPairingCode",
      "sendReaction",
      "on",
      "removeAllListeners",
      "sendMessage",
      "getChatById",
      "getState",
    ];
    assert.deepEqual(
      clientMethods.filter((name) => typeof library.Client.prototype[name] !== "function"),
      [],
    );
    assert.equal(typeof library.Message.prototype.downloadMedia, "function");
    assert.equal(typeof library.Chat.prototype.sendStateTyping, "function");
    assert.equal(typeof library.MessageMedia, "function");
  });

  it("shows the QR code while pairing and becomes ready when it is scanned", async () => {
    const { transport, client } = setup();
    transport.start();
    await flushMicrotasks();
    assert.equal(transport.state(), "pairing");
    assert.match(transport.pairing().qr ?? "", /^2@standin-qr/);
    client().scan();
    assert.equal(transport.state(), "ready");
    assert.equal(transport.pairing().qr, undefined, "no QR code once paired");
  });

  it("is ready at once with a saved session, and maps incoming messages to envelopes once", async () => {
    const { transport, client, messages } = setup([{ savedSession: true }]);
    transport.start();
    await flushMicrotasks();
    assert.equal(transport.state(), "ready");
    const raw = client().receive({
      from: "447700900123@c.us",
      body: "Is the shop open?",
      hasQuotedMsg: true,
      rawData: { quotedStanzaID: "QUOTED1", notifyName: "Priya" },
    });
    client().emit("message", raw); // the library can emit a message twice after a reconnect
    assert.equal(messages.length, 1);
    assert.deepEqual(messages[0], {
      id: raw.id._serialized,
      chatId: "447700900123@c.us",
      from: "447700900123@c.us",
      body: "Is the shop open?",
      type: "chat",
      timestamp: 1_700_000_000_000,
      receivedAt: 0,
      isGroup: false,
      fromMe: false,
      transport: "whatsapp-web",
      senderName: "Priya",
      quotedId: "QUOTED1",
    });
  });

  it("maps group messages and voice notes with their media descriptor", () => {
    const group = fromWwebjsMessage(
      {
        id: { fromMe: false, remote: "1203@g.us", id: "G1", _serialized: "false_1203@g.us_G1" },
        from: "1203@g.us",
        to: "me@c.us",
        author: "447700900456@c.us",
        body: "",
        type: "ptt" as never,
        timestamp: 5,
        fromMe: false,
        hasMedia: true,
        hasQuotedMsg: false,
        isStatus: false,
        rawData: { mimetype: "audio/ogg; codecs=opus", size: 12_345 },
        downloadMedia: async () => ({ mimetype: "", data: "" }) as never,
      },
      7,
    );
    assert.equal(group.isGroup, true);
    assert.equal(group.author, "447700900456@c.us");
    assert.equal(group.from, "447700900456@c.us");
    assert.equal(group.type, "ptt");
    assert.deepEqual(group.media, { mimetype: "audio/ogg; codecs=opus", ref: "wwebjs-media:false_1203@g.us_G1", sizeBytes: 12_345 });
  });

  it("does not emit status broadcasts", async () => {
    const { transport, client, messages } = setup([{ savedSession: true }]);
    transport.start();
    await flushMicrotasks();
    client().receive({ from: "status@broadcast", body: "my story", isStatus: true });
    assert.equal(messages.length, 0);
  });

  it("sends through the client, quoting, and names the library's errors", async () => {
    const { transport, client } = setup([{ savedSession: true }]);
    transport.start();
    await flushMicrotasks();
    const receipt = await transport.sendText({ chatId: "447700900123@c.us", text: "Yes, until 6 pm.", quotedId: "QUOTED1" });
    assert.equal(receipt.id, "true_447700900123@c.us_OUT1");
    assert.deepEqual(client().sent, [
      { chatId: "447700900123@c.us", content: "Yes, until 6 pm.", options: { quotedMessageId: "QUOTED1" } },
    ]);
    await assert.rejects(
      transport.sendText({ chatId: "447700900123@broadcast", text: "x" }),
      (e: WaError) => e.code === "transport.invalidTarget",
    );
    await transport.showTyping("447700900123@c.us");
    assert.deepEqual(client().typingIn, ["447700900123@c.us"]);
  });

  it("sends files as the library's media (voice notes as voice, PDFs as documents) and reacts", async () => {
    const { transport, client } = setup([{ savedSession: true }]);
    transport.start();
    await flushMicrotasks();
    await transport.sendMedia({ chatId: "447700900123@c.us", mimetype: "audio/ogg", data: Buffer.from("opus"), quotedId: "Q1" });
    await transport.sendMedia({
      chatId: "447700900123@c.us",
      mimetype: "application/pdf",
      data: Buffer.from("%PDF"),
      filename: "invoice.pdf",
      caption: "your invoice",
    });
    const [voice, pdf] = client().sent;
    assert.deepEqual(voice.options, { quotedMessageId: "Q1", sendAudioAsVoice: true });
    assert.deepEqual(pdf.options, { caption: "your invoice", sendMediaAsDocument: true });
    assert.deepEqual(pdf.content, {
      mimetype: "application/pdf",
      data: Buffer.from("%PDF").toString("base64"),
      filename: "invoice.pdf",
      filesize: 4,
    });
    const question = client().receive({ from: "447700900123@c.us", body: "is it in stock?" });
    await transport.react("447700900123@c.us", question.id._serialized, "❤️");
    assert.deepEqual(client().reactions, [[question.id._serialized, "❤️"]]);
  });

  it("reports ticks and deletions for everyone as message events", async () => {
    const { transport, client } = setup([{ savedSession: true }]);
    const events: unknown[] = [];
    transport.onMessageEvent((event) => events.push(event));
    transport.start();
    await flushMicrotasks();
    const mine = {
      id: { fromMe: true, remote: "447700900123@c.us", id: "OUT9", _serialized: "true_447700900123@c.us_OUT9" },
      fromMe: true,
      from: "15550001111@c.us",
      to: "447700900123@c.us",
    };
    client().emit("message_ack", mine, 3);
    client().emit("message_ack", mine, 0); // pending: not a tick worth reporting
    const theirs = client().receive({ from: "447700900123@c.us", body: "wrong photo, sorry" });
    client().emit("message_revoke_everyone", { ...theirs, body: "", type: "revoked" }, theirs);
    assert.deepEqual(events, [
      { kind: "ack", messageId: "true_447700900123@c.us_OUT9", chatId: "447700900123@c.us", status: "read", at: 0 },
      { kind: "revoke", messageId: theirs.id._serialized, chatId: "447700900123@c.us", at: 0, originalBody: "wrong photo, sorry" },
    ]);
  });

  it("refuses to send while not ready", async () => {
    const { transport } = setup();
    transport.start();
    await flushMicrotasks();
    await assert.rejects(
      transport.sendText({ chatId: "447700900123@c.us", text: "hi" }),
      (e: WaError) => e.code === "transport.notReady" && /pairing/.test(e.message),
    );
  });

  it("answers a probe from the page's socket state; a wedged page fails it on time; reconnect opens a new browser with the saved login", async () => {
    const { clock, transport, client, states } = setup([{ savedSession: true }]);
    transport.start();
    await flushMicrotasks();
    await transport.probe(20_000);
    const first = client();
    first.wedge();
    const probe = transport.probe(20_000).then(
      () => "answered",
      (error: WaError) => `${error.code}: ${error.message}`,
    );
    await clock.advanceAsync(19_999);
    await flushMicrotasks();
    assert.equal(WwebjsStandin.created.length, 1);
    await clock.advanceAsync(1);
    assert.equal(await probe, "transport.probeFailed: No answer within 20000 ms");
    await transport.reconnect();
    await flushMicrotasks();
    assert.equal(first.destroyed, true, "the wedged browser is closed");
    assert.equal(WwebjsStandin.created.length, 2);
    assert.equal(transport.state(), "ready", "no new pairing: the saved session is used");
    assert.deepEqual(
      states.map(([s]) => s),
      ["ready", "starting", "ready"],
    );
    await transport.probe(20_000);
    first.closePage();
    client().closePage();
    await assert.rejects(
      transport.probe(20_000),
      (error: WaError) => error.code === "transport.probeFailed" && /Session closed/.test(error.message),
    );
  });

  it("reconnects with a new client and backoff after a disconnect, counting reconnects", async () => {
    const { clock, transport, client, states } = setup([{ savedSession: true }]);
    transport.start();
    await flushMicrotasks();
    const first = client();
    first.emit("disconnected", "CONFLICT");
    assert.equal(transport.state(), "disconnected");
    assert.match(transport.pairing().detail ?? "", /CONFLICT/);
    await clock.advanceAsync(999);
    assert.equal(WwebjsStandin.created.length, 1, "waits for the backoff");
    await clock.advanceAsync(1);
    await flushMicrotasks();
    assert.equal(first.destroyed, true, "the old browser is closed");
    assert.equal(WwebjsStandin.created.length, 2);
    assert.equal(transport.state(), "ready");
    assert.equal(transport.pairing().reconnects, 1);
    assert.deepEqual(
      states.map(([s]) => s),
      ["ready", "disconnected", "starting", "ready"],
    );
  });

  it("backs off further each time WhatsApp Web cannot be reached, with the reason", async () => {
    const { clock, transport } = setup([{ initialize: "fail" }]);
    transport.start();
    await flushMicrotasks();
    assert.equal(transport.state(), "disconnected");
    assert.match(transport.pairing().detail ?? "", /cannot reach WhatsApp Web: net::ERR_NAME_NOT_RESOLVED/);
    await clock.advanceAsync(1000);
    assert.equal(WwebjsStandin.created.length, 2);
    await clock.advanceAsync(1999);
    assert.equal(WwebjsStandin.created.length, 2, "the second wait is twice as long");
    await clock.advanceAsync(1);
    assert.equal(WwebjsStandin.created.length, 3);
  });

  it("gives up waiting on a page that never loads and tries again", async () => {
    const { clock, transport } = setup([{ initialize: "hang" }], { initializeTimeoutMs: 30_000 });
    transport.start();
    await clock.advanceAsync(30_000);
    assert.equal(transport.state(), "disconnected");
    assert.match(transport.pairing().detail ?? "", /did not load within 30 s/);
  });

  it("counts an auth failure and pairs again", async () => {
    const { clock, transport, client } = setup([{ savedSession: true }, {}]);
    transport.start();
    await flushMicrotasks();
    client().emit("auth_failure", "session expired");
    assert.equal(transport.pairing().authFailures, 1);
    assert.match(transport.pairing().detail ?? "", /auth failure/);
    await clock.advanceAsync(1000);
    await flushMicrotasks();
    assert.equal(transport.state(), "pairing", "a fresh session asks for a QR code");
  });

  it("pairs again after a logout on the phone, saying so", async () => {
    const { clock, transport, client } = setup([{ savedSession: true }, {}]);
    transport.start();
    await flushMicrotasks();
    client().emit("disconnected", "LOGOUT");
    assert.match(transport.pairing().detail ?? "", /logged out on the phone/);
    await clock.advanceAsync(1000);
    await flushMicrotasks();
    assert.equal(transport.state(), "pairing");
  });

  it("asks for a pairing code instead of a QR code when a phone number is given", async () => {
    const { transport } = setup([{}], { pairingPhoneNumber: "447700900999" });
    transport.start();
    await flushMicrotasks();
    assert.equal(transport.pairing().pairingCode, "ABCD1234");
  });

  it("downloads media on demand within the size limit", async () => {
    const { transport, client, messages } = setup([{ savedSession: true }], { maxMediaBytes: 5 });
    transport.start();
    await flushMicrotasks();
    client().receive({ from: "447700900123@c.us", body: "", type: "image" as never, hasMedia: true, rawData: { mimetype: "image/jpeg" } });
    await assert.rejects(transport.downloadMedia(messages[0].media!.ref!), (e: WaError) => e.code === "media.tooLarge");
    await assert.rejects(transport.downloadMedia("wwebjs-media:unknown"), (e: WaError) => e.code === "media.unavailable");
  });

  it("closes the browser and stops reconnecting when closed", async () => {
    const { clock, transport, client } = setup([{ initialize: "fail" }]);
    transport.start();
    await flushMicrotasks();
    const last = client();
    await transport.close();
    assert.equal(last.destroyed, true);
    await clock.advanceAsync(60_000);
    assert.equal(WwebjsStandin.created.length, 1);
    assert.equal(transport.state(), "stopped");
  });

  describe("where the library's calls go wrong", () => {
    it("shows no typing in a chat WhatsApp Web does not know, without failing", async () => {
      const { transport, client } = setup([{ savedSession: true }]);
      transport.start();
      await flushMicrotasks();
      await transport.showTyping("447700900999@c.us");
      assert.deepEqual(client().typingIn, []);
    });

    it("downloads a photo's JPEG bytes, and names media WhatsApp no longer has (expired or failed) as unavailable", async () => {
      const { transport, client, messages } = setup([{ savedSession: true }]);
      transport.start();
      await flushMicrotasks();
      client().receive({
        from: "447700900123@c.us",
        body: "",
        type: "image" as never,
        hasMedia: true,
        rawData: { mimetype: "image/jpeg" },
      });
      client().receive(
        { from: "447700900123@c.us", body: "", type: "image" as never, hasMedia: true, rawData: { mimetype: "image/jpeg" } },
        "expired",
      );
      client().receive(
        { from: "447700900123@c.us", body: "", type: "image" as never, hasMedia: true, rawData: { mimetype: "image/jpeg" } },
        "failed",
      );
      const photo = await transport.downloadMedia(messages[0].media!.ref!);
      assert.equal(photo.mimetype, "image/jpeg");
      assert.deepEqual([...photo.data.subarray(0, 3)], [0xff, 0xd8, 0xff], "a JPEG");
      for (const message of messages.slice(1)) {
        await assert.rejects(
          transport.downloadMedia(message.media!.ref!),
          (e: WaError) => e.code === "media.unavailable" && /no longer has the media/.test(e.message),
        );
      }
    });

    it("sends nothing for a reaction to a message WhatsApp Web does not know, as the library does", async () => {
      const { transport, client } = setup([{ savedSession: true }]);
      transport.start();
      await flushMicrotasks();
      await transport.react("447700900123@c.us", "false_447700900123@c.us_NOSUCH", "👍");
      assert.deepEqual(client().reactions, []);
    });

    it("fails a send as not ready, with puppeteer's reason, when the browser closes mid-session, and still closes cleanly", async () => {
      const { transport, client } = setup([{ savedSession: true }]);
      transport.start();
      await flushMicrotasks();
      await transport.sendText({ chatId: "447700900123@c.us", text: "first" });
      client().closePage();
      const closedSession = (e: WaError) =>
        e.code === "transport.notReady" && /session closed while sending \(Protocol error.*Session closed/.test(e.message);
      await assert.rejects(transport.sendText({ chatId: "447700900123@c.us", text: "second" }), closedSession);
      await assert.rejects(transport.react("447700900123@c.us", "x", "👍"), closedSession);
      await transport.close();
      assert.equal(transport.state(), "stopped");
      assert.deepEqual(
        client().sent.map((s) => s.content),
        ["first"],
      );
    });

    it("closes while WhatsApp Web is still loading: the browser is destroyed and the failed load is not an unhandled rejection", async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", onUnhandled);
      try {
        const { clock, transport, client } = setup([{ initialize: "hang" }]);
        transport.start();
        await flushMicrotasks();
        assert.equal(transport.state(), "starting");
        await transport.close();
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(client().destroyed, true);
        assert.equal(transport.state(), "stopped");
        await clock.advanceAsync(120_000);
        assert.equal(WwebjsStandin.created.length, 1, "no reconnect after close");
        assert.deepEqual(unhandled, []);
      } finally {
        process.off("unhandledRejection", onUnhandled);
      }
    });
  });
});
