import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WAMessage } from "@whiskeysockets/baileys";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { WaMessage } from "../../src/core/envelope";
import { WaError } from "../../src/core/errors";
import { MemoryStore } from "../../src/core/store/memory-store";
import { storeAuthState } from "../../src/core/transport/baileys-auth";
import { createBaileysTransport, installedBaileysVersion } from "../../src/core/transport/baileys-client";
import { BaileysTransport, BaileysTransportOptions, RealSocketFitsContract } from "../../src/core/transport/baileys-transport";
import { MessageEvent, TransportState } from "../../src/core/transport/transport";
import { BaileysStandin, boom } from "../support/baileys-standin";
import { STANDIN_JPEG } from "../support/wwebjs-standin";

// Fails to compile (npm test type-checks the tests) if Baileys' socket type stops fitting the contract the stand-in implements.
export const realSocketFits: RealSocketFitsContract = true;

type BaileysModule = typeof import("@whiskeysockets/baileys");
// Baileys is an ES module; the tests run under tsx, which loads it either way.
const loadBaileys = (): Promise<BaileysModule> => import("@whiskeysockets/baileys");

const CUSTOMER = "447700900123@s.whatsapp.net";

function incoming(id: string, message: WAMessage["message"], extra: Partial<WAMessage> = {}): WAMessage {
  return {
    key: { id, remoteJid: CUSTOMER, fromMe: false },
    message,
    messageTimestamp: 1_700_000_000,
    pushName: "Ana",
    ...extra,
  } as WAMessage;
}

function setup(behaviours: ConstructorParameters<typeof BaileysStandin>[0][] = [{}], overrides: Partial<BaileysTransportOptions> = {}) {
  const clock = new FakeClock(0);
  BaileysStandin.created = [];
  let made = 0;
  let cleared = 0;
  const transport = new BaileysTransport(clock, {
    createSocket: async () => new BaileysStandin(behaviours[Math.min(made++, behaviours.length - 1)]),
    clearLogin: async () => void (cleared += 1),
    download: async () => STANDIN_JPEG,
    pairingPhoneNumber: "",
    includeOwn: false,
    reconnectBaseMs: 1000,
    reconnectMaxMs: 30_000,
    maxMediaBytes: 1_000_000,
    ...overrides,
  });
  const states: [TransportState, string | undefined][] = [];
  const messages: WaMessage[] = [];
  const events: MessageEvent[] = [];
  transport.onStateChange((state, detail) => states.push([state, detail]));
  transport.onMessage((m) => messages.push(m));
  transport.onMessageEvent((e) => events.push(e));
  const socket = () => BaileysStandin.created[BaileysStandin.created.length - 1];
  return { clock, transport, states, messages, events, socket, cleared: () => cleared };
}

describe("BaileysTransport (WhatsApp Web without a browser) against a stand-in of Baileys' socket", () => {
  it("the installed Baileys has, at run time, what the transport and its factory use", async () => {
    const library = await loadBaileys();
    for (const name of ["makeWASocket", "useMultiFileAuthState", "initAuthCreds", "downloadMediaMessage"] as const) {
      assert.equal(typeof library[name], "function", name);
    }
    assert.equal(typeof library.BufferJSON.replacer, "function");
    assert.equal(library.DisconnectReason.loggedOut, 401);
    assert.equal(library.DisconnectReason.connectionReplaced, 440);
    assert.match(installedBaileysVersion(tmpdir()) ?? "", /^\d+\.\d+\.\d+/);
  });

  it("shows the QR code while pairing, a pairing code when a phone number is given, and becomes ready when paired", async () => {
    const { transport, states, socket } = setup();
    transport.start();
    await flushMicrotasks();
    assert.equal(transport.state(), "pairing");
    assert.equal(transport.pairing().qr, "2@standin-qr-1");
    socket().open();
    assert.equal(transport.state(), "ready");
    assert.equal(transport.pairing().qr, undefined);
    assert.deepEqual(
      states.map(([state]) => state),
      ["pairing", "ready"],
    );

    const byCode = setup([{}], { pairingPhoneNumber: "447700900000" });
    byCode.transport.start();
    await flushMicrotasks();
    assert.equal(byCode.transport.pairing().pairingCode, "ABCD1234");
    assert.equal(byCode.transport.pairing().qr, undefined);
  });

  it("maps received messages to envelopes: text, quoted text, photo, voice note, document, group, location; skips status and own", async () => {
    const { transport, messages, socket } = setup([{ savedLogin: true }]);
    transport.start();
    await flushMicrotasks();
    assert.equal(transport.state(), "ready");
    socket().deliver(incoming("A1", { conversation: "Hi, is the shop open?" }));
    socket().deliver(incoming("A2", { extendedTextMessage: { text: "and on Sunday?", contextInfo: { stanzaId: "A1" } } }));
    socket().deliver(incoming("A3", { imageMessage: { mimetype: "image/jpeg", caption: "my receipt", fileLength: 1234 } }));
    socket().deliver(incoming("A4", { audioMessage: { mimetype: "audio/ogg; codecs=opus", ptt: true } }));
    socket().deliver(incoming("A5", { documentMessage: { mimetype: "application/pdf", fileName: "invoice.pdf" } }));
    socket().deliver(
      incoming(
        "G1",
        { ephemeralMessage: { message: { conversation: "hello group" } } },
        { key: { id: "G1", remoteJid: "120363000000000001@g.us", participant: "447700900777@s.whatsapp.net", fromMe: false } },
      ),
    );
    socket().deliver(incoming("L1", { locationMessage: { degreesLatitude: 51.5, degreesLongitude: -0.12, name: "Shop" } }));
    socket().deliver(incoming("S1", { conversation: "status" }, { key: { id: "S1", remoteJid: "status@broadcast", fromMe: false } }));
    socket().deliver(incoming("O1", { conversation: "typed on the phone" }, { key: { id: "O1", remoteJid: CUSTOMER, fromMe: true } }));

    assert.deepEqual(
      messages.map((m) => [m.id, m.type, m.body, m.chatId, m.quotedId, m.media?.mimetype]),
      [
        ["A1", "chat", "Hi, is the shop open?", "447700900123@c.us", undefined, undefined],
        ["A2", "chat", "and on Sunday?", "447700900123@c.us", "A1", undefined],
        ["A3", "image", "my receipt", "447700900123@c.us", undefined, "image/jpeg"],
        ["A4", "ptt", "", "447700900123@c.us", undefined, "audio/ogg; codecs=opus"],
        ["A5", "document", "", "447700900123@c.us", undefined, "application/pdf"],
        ["G1", "chat", "hello group", "120363000000000001@g.us", undefined, undefined],
        ["L1", "location", "Shop · 51.5,-0.12", "447700900123@c.us", undefined, undefined],
      ],
    );
    const first = messages[0];
    assert.deepEqual(
      [first.from, first.senderName, first.timestamp, first.isGroup, first.fromMe, first.transport],
      ["447700900123@c.us", "Ana", 1_700_000_000_000, false, false, "baileys"],
    );
    assert.deepEqual([messages[5].isGroup, messages[5].author, messages[5].from], [true, "447700900777@c.us", "447700900777@c.us"]);
    assert.deepEqual(messages[2].media, { mimetype: "image/jpeg", ref: "baileys:A3", sizeBytes: 1234 });
    assert.equal(messages[4].media?.filename, "invoice.pdf");
  });

  it("sends text quoting the received message, files as the right kind, reactions and typing; reports ticks", async () => {
    const { transport, socket, events } = setup([{ savedLogin: true }]);
    transport.start();
    await flushMicrotasks();
    socket().deliver(incoming("Q1", { conversation: "price?" }));
    const receipt = await transport.sendText({ chatId: "447700900123@c.us", text: "5 euros", quotedId: "Q1" });
    assert.deepEqual(
      [receipt.id, receipt.chatId, receipt.quotedId, receipt.transport],
      ["3EB0STANDIN1", "447700900123@c.us", "Q1", "baileys"],
    );
    assert.equal(socket().sent[0].jid, CUSTOMER);
    assert.deepEqual(socket().sent[0].content, { text: "5 euros" });
    assert.equal(socket().sent[0].options?.quoted?.key.id, "Q1");

    await transport.sendMedia({ chatId: "447700900123@c.us", mimetype: "image/jpeg", data: STANDIN_JPEG, caption: "here" });
    await transport.sendMedia({ chatId: "447700900123@c.us", mimetype: "audio/ogg; codecs=opus", data: Buffer.from("OggS") });
    await transport.sendMedia({
      chatId: "447700900123@c.us",
      mimetype: "application/pdf",
      data: Buffer.from("%PDF"),
      filename: "quote.pdf",
    });
    const kinds = socket()
      .sent.slice(1)
      .map((s) => Object.keys(s.content).filter((k) => ["image", "audio", "document", "ptt", "fileName", "caption"].includes(k)));
    assert.deepEqual(kinds, [
      ["image", "caption"],
      ["audio", "ptt"],
      ["document", "fileName"],
    ]);

    await transport.react("447700900123@c.us", "Q1", "👍");
    assert.deepEqual((socket().sent[4].content as { react: { text: string; key: { id: string } } }).react.text, "👍");
    await transport.showTyping("447700900123@c.us");
    assert.deepEqual(socket().presences, [["composing", CUSTOMER]]);

    socket().tick("3EB0STANDIN1", CUSTOMER, 3);
    socket().tick("3EB0STANDIN1", CUSTOMER, 4);
    socket().tick("3EB0STANDIN1", CUSTOMER, 1);
    assert.deepEqual(
      events.map((e) => [e.kind, e.messageId, e.chatId, e.kind === "ack" ? e.status : ""]),
      [
        ["ack", "3EB0STANDIN1", "447700900123@c.us", "delivered"],
        ["ack", "3EB0STANDIN1", "447700900123@c.us", "read"],
      ],
    );
  });

  it("refuses to send while not ready, and names the library's failure", async () => {
    const { transport, socket } = setup();
    transport.start();
    await flushMicrotasks();
    await assert.rejects(transport.sendText({ chatId: "447700900123@c.us", text: "hi" }), (e: WaError) => e.code === "transport.notReady");
    socket().open();
    socket().sendFailure = "not-acceptable";
    await assert.rejects(
      transport.sendText({ chatId: "447700900123@c.us", text: "hi" }),
      (e: WaError) => e.code === "transport.sendFailed" && /not-acceptable/.test(e.message),
    );
    await assert.rejects(transport.sendText({ chatId: "447700900123@c.us", text: " " }), (e: WaError) => e.code === "transport.emptyText");
  });

  it("reconnects with backoff after the connection is lost, with the saved login", async () => {
    const { clock, transport, socket, states } = setup([{ savedLogin: true }]);
    transport.start();
    await flushMicrotasks();
    socket().closeWith(boom("Connection Lost", 408));
    assert.equal(transport.state(), "disconnected");
    assert.match(states[states.length - 1][1] ?? "", /connection closed \(408\): Connection Lost/);
    await clock.advanceAsync(999);
    assert.equal(BaileysStandin.created.length, 1);
    await clock.advanceAsync(1);
    await flushMicrotasks();
    assert.equal(BaileysStandin.created.length, 2);
    assert.equal(transport.state(), "ready");
    assert.equal(transport.pairing().reconnects, 1);
  });

  it("pairs again after a logout on the phone (the saved login cleared), and stops on a replaced connection", async () => {
    const { transport, socket, cleared } = setup([{ savedLogin: true }, {}]);
    transport.start();
    await flushMicrotasks();
    socket().closeWith(boom("Intentional Logout", 401));
    await flushMicrotasks();
    assert.equal(cleared(), 1);
    assert.equal(transport.state(), "pairing");
    assert.equal(transport.pairing().authFailures, 1);
    assert.equal(BaileysStandin.created.length, 2);

    const replaced = setup([{ savedLogin: true }]);
    replaced.transport.start();
    await flushMicrotasks();
    replaced.socket().closeWith(boom("Stream Errored (conflict)", 440));
    await replaced.clock.advanceAsync(600_000);
    assert.equal(replaced.transport.state(), "disconnected");
    assert.equal(BaileysStandin.created.length, 1, "no reconnection fight with the other session");
  });

  it("answers a probe by asking the servers; a wedged socket fails it on time", async () => {
    const { clock, transport, socket } = setup([{ savedLogin: true }]);
    transport.start();
    await flushMicrotasks();
    await transport.probe(5_000);
    socket().wedged = true;
    const probing = transport.probe(5_000);
    const outcome = assert.rejects(
      probing,
      (e: WaError) => e.code === "transport.probeFailed" && /No answer within 5000 ms/.test(e.message),
    );
    await clock.advanceAsync(5_000);
    await outcome;
  });

  it("downloads media within the size limit, and names what is too large or gone", async () => {
    const { transport, socket } = setup([{ savedLogin: true }], { maxMediaBytes: 1_000 });
    transport.start();
    await flushMicrotasks();
    socket().deliver(incoming("M1", { imageMessage: { mimetype: "image/jpeg", fileLength: 300 } }));
    socket().deliver(incoming("M2", { imageMessage: { mimetype: "image/jpeg", fileLength: 5_000 } }));
    const file = await transport.downloadMedia("baileys:M1");
    assert.deepEqual([file.mimetype, file.data.equals(STANDIN_JPEG)], ["image/jpeg", true]);
    await assert.rejects(transport.downloadMedia("baileys:M2"), (e: WaError) => e.code === "media.tooLarge");
    await assert.rejects(transport.downloadMedia("baileys:nope"), (e: WaError) => e.code === "media.unavailable");
  });

  it("ends the socket and stops reconnecting when closed", async () => {
    const { clock, transport, socket } = setup([{ savedLogin: true }]);
    transport.start();
    await flushMicrotasks();
    const first = socket();
    await transport.close();
    assert.equal(first.ended, true);
    assert.equal(transport.state(), "stopped");
    first.closeWith(boom("Connection Closed", 428));
    await clock.advanceAsync(600_000);
    assert.equal(BaileysStandin.created.length, 1);
  });

  it("keeps the login in a store: credentials and Signal keys with their bytes, read back by a new connection", async () => {
    const library = await loadBaileys();
    const store = new MemoryStore(new FakeClock(0));
    const helpers = {
      initAuthCreds: library.initAuthCreds,
      BufferJSON: library.BufferJSON,
      appStateSyncKey: (value: unknown) => library.proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>),
    };
    const first = await storeAuthState(store, "wa:baileys:c1:", helpers);
    first.state.creds.registered = true;
    await first.saveCreds();
    await first.state.keys.set({
      session: { "447700900123.0": Buffer.from([1, 2, 3]) },
      "app-state-sync-key": { k1: { keyData: Buffer.from([9, 9]) } },
    });

    const second = await storeAuthState(store, "wa:baileys:c1:", helpers);
    assert.equal(second.state.creds.registered, true);
    assert.ok(Buffer.from(second.state.creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private)));
    const sessions = await second.state.keys.get("session", ["447700900123.0", "missing"]);
    assert.deepEqual([...Buffer.from(sessions["447700900123.0"])], [1, 2, 3]);
    assert.equal("missing" in sessions, false);
    const appKeys = await second.state.keys.get("app-state-sync-key", ["k1"]);
    assert.equal(appKeys.k1 instanceof library.proto.Message.AppStateSyncKeyData, true);

    await second.state.keys.set({ session: { "447700900123.0": null } });
    assert.deepEqual(await second.state.keys.get("session", ["447700900123.0"]), {});
    await second.clear();
    assert.deepEqual(await store.keys("wa:baileys:c1:"), []);
  });

  it("really starts Baileys, and with no route to WhatsApp says why and waits to try again", async function () {
    this.timeout(30_000);
    const userDir = mkdtempSync(join(tmpdir(), "wa-baileys-real-"));
    const clock = new FakeClock(0);
    const transport = createBaileysTransport({ sessionId: "real1", userDir, pairingPhoneNumber: "", includeOwn: false }, clock);
    const states: [TransportState, string | undefined][] = [];
    transport.onStateChange((state, detail) => states.push([state, detail]));
    try {
      transport.start();
      const deadline = Date.now() + 25_000;
      while (transport.state() !== "disconnected" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(transport.state(), "disconnected", JSON.stringify(states));
      // The reason is the network's (no DNS, refused), in Baileys' words; the next try waits for the backoff (a fake clock here).
      assert.match(transport.pairing().detail ?? "", /connection closed.*(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|WebSocket)/);
    } finally {
      await transport.close();
      rmSync(userDir, { recursive: true, force: true });
    }
    assert.equal(transport.state(), "stopped");
  });
});
