import assert from "node:assert/strict";
import type { WAMessage } from "@whiskeysockets/baileys";
import type { Location } from "whatsapp-web.js";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { WaMessage } from "../../src/core/envelope";
import { WaError } from "../../src/core/errors";
import { BaileysTransport } from "../../src/core/transport/baileys-transport";
import { CloudApiTransport } from "../../src/core/transport/cloud-transport";
import { OutgoingContent, OutgoingContentKind, readOutgoingContent } from "../../src/core/transport/outgoing-content";
import { DEMO_SCRIPT } from "../../src/core/transport/demo-chats";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import { SentRecord, WaTransport } from "../../src/core/transport/transport";
import { WwebjsTransport } from "../../src/core/transport/wwebjs-transport";
import { BaileysStandin } from "../support/baileys-standin";
import { GraphApiStandin } from "../support/graph-api-standin";
import { metaSignature, webhookDelivery } from "../support/meta-signature";
import { STANDIN_JPEG, WwebjsStandin } from "../support/wwebjs-standin";

/**
 * One contract every kind of WhatsApp connection keeps, run against each: the simulator, whatsapp-web.js and
 * Baileys (each through a stand-in typed by the library's own .d.ts) and the Cloud API (through a loopback
 * Graph server). What differs between kinds is only what their wire looks like and which message kinds
 * WhatsApp lets them send; those are declared per kind and checked, not skipped.
 */
type Incoming =
  | { kind: "text"; body: string }
  | { kind: "location"; latitude: number; longitude: number; name: string }
  | { kind: "contact"; name: string; phone: string }
  | { kind: "button"; id: string; title: string; toMessageId: string };

interface Harness {
  transport: WaTransport;
  /** A chat id this kind sends to. */
  chatId: string;
  /** The message kinds WhatsApp lets this kind of connection send. */
  sends: readonly OutgoingContentKind[];
  /** Delivers a customer's message through this kind's own wire; resolves with what the transport emitted. */
  receive(message: Incoming): Promise<WaMessage>;
  /** The kind the wire shows for the last thing sent. */
  lastWireKind(): string;
  /** A customer votes on a poll sent as `pollId`, through this kind's wire (kinds that send polls). */
  vote?(pollId: string, option: string): Promise<WaMessage>;
  close(): Promise<void>;
}

const KIND_SAMPLES: Record<OutgoingContentKind, Record<string, unknown>> = {
  buttons: { payload: "Which day suits you?", buttons: [{ id: "tue", title: "Tuesday" }, "Wednesday"] },
  list: {
    payload: "Pick a size",
    list: {
      button: "Sizes",
      rows: [
        { id: "s", title: "Small", description: "fits 2" },
        { id: "l", title: "Large" },
      ],
    },
  },
  template: { template: { name: "order_ready", language: "en_US", parameters: ["#1042"] } },
  location: { location: { latitude: 38.7223, longitude: -9.1393, name: "Shop", address: "Rua Augusta 1, Lisboa" } },
  contacts: { contacts: { name: "Ana Souza", phones: ["+55 11 99999 0000"], emails: ["ana@example.com"] } },
  poll: { poll: { question: "Which day?", options: ["Tuesday", "Wednesday"] } },
};

const ALL_KINDS = Object.keys(KIND_SAMPLES) as OutgoingContentKind[];

function content(kind: OutgoingContentKind): OutgoingContent {
  return readOutgoingContent(KIND_SAMPLES[kind])!;
}

function collect(transport: WaTransport): { messages: WaMessage[]; sent: SentRecord[] } {
  const messages: WaMessage[] = [];
  const sent: SentRecord[] = [];
  transport.onMessage((m) => messages.push(m));
  transport.onSent((r) => sent.push(r));
  return { messages, sent };
}

async function simulatorHarness(): Promise<Harness> {
  const clock = new FakeClock(1_700_000_000_000);
  const transport = new SimulatedWhatsApp(clock, {
    script: DEMO_SCRIPT,
    speed: 1,
    maxGapMs: 1000,
    conversationStaggerMs: 0,
    startDelayMs: 10 * 24 * 3600_000,
    loop: false,
  });
  transport.start();
  const { messages } = collect(transport);
  const chatId = "447700900123@c.us";
  return {
    transport,
    chatId,
    sends: ALL_KINDS,
    async receive(message) {
      const base = { chatId, body: "" };
      if (message.kind === "text") transport.inject({ ...base, body: message.body });
      else if (message.kind === "location")
        transport.inject({
          ...base,
          type: "location",
          body: message.name,
          location: { latitude: message.latitude, longitude: message.longitude, name: message.name },
        });
      else if (message.kind === "contact")
        transport.inject({ ...base, type: "vcard", body: message.name, contacts: [{ name: message.name, phones: [message.phone] }] });
      else
        transport.inject({
          ...base,
          body: message.title,
          reply: { kind: "button", id: message.id, title: message.title, toMessageId: message.toMessageId },
        });
      return messages[messages.length - 1];
    },
    lastWireKind: () => transport.sent()[transport.sent().length - 1]?.content?.kind ?? "text",
    async vote(pollId, option) {
      transport.inject({ chatId, body: option, type: "vote", vote: { pollId, selected: [option] } });
      return messages[messages.length - 1];
    },
    close: () => transport.close(),
  };
}

async function wwebjsHarness(): Promise<Harness> {
  const clock = new FakeClock(1_700_000_000_000);
  WwebjsStandin.created = [];
  const transport = new WwebjsTransport(clock, {
    createClient: () => new WwebjsStandin({ savedSession: true }),
    includeOwn: false,
    pairingPhoneNumber: "",
    reconnectBaseMs: 1000,
    reconnectMaxMs: 30_000,
    initializeTimeoutMs: 60_000,
    maxMediaBytes: 1_000_000,
  });
  const { messages } = collect(transport);
  transport.start();
  await flushMicrotasks();
  const client = () => WwebjsStandin.created[WwebjsStandin.created.length - 1];
  const chatId = "447700900123@c.us";
  return {
    transport,
    chatId,
    sends: ["location", "contacts", "poll"],
    async receive(message) {
      const from = chatId;
      if (message.kind === "text") client().receive({ from, body: message.body });
      else if (message.kind === "location")
        client().receive({
          from,
          body: "",
          type: "location" as never,
          location: { latitude: String(message.latitude), longitude: String(message.longitude), name: message.name } as Location,
        });
      else if (message.kind === "contact") {
        const vcard = `BEGIN:VCARD\nVERSION:3.0\nFN:${message.name}\nTEL;type=CELL;waid=${message.phone.replace(/\D/g, "")}:${message.phone}\nEND:VCARD`;
        client().receive({ from, body: vcard, type: "vcard" as never, vCards: [vcard] });
      } else
        client().receive({
          from,
          body: message.title,
          type: "buttons_response" as never,
          selectedButtonId: message.id,
          hasQuotedMsg: true,
          rawData: { quotedStanzaID: message.toMessageId },
        });
      return messages[messages.length - 1];
    },
    lastWireKind() {
      const last = client().sent[client().sent.length - 1];
      const sent = last?.content as unknown;
      if (typeof sent === "string") return sent.startsWith("BEGIN:VCARD") && last.options?.parseVCards ? "contacts" : "text";
      if (sent && typeof sent === "object" && "pollName" in sent) return "poll";
      if (sent && typeof sent === "object" && "latitude" in sent) return "location";
      return "media";
    },
    async vote(pollId, option) {
      client().emit("vote_update", {
        voter: chatId,
        selectedOptions: [{ id: 0, name: option }],
        interractedAtTs: 1_700_000_100_000,
        parentMessage: { id: { _serialized: pollId }, from: "15550001111@c.us", to: chatId, fromMe: true, pollName: "Which day?" },
      });
      return messages[messages.length - 1];
    },
    close: () => transport.close(),
  };
}

async function baileysHarness(): Promise<Harness> {
  const clock = new FakeClock(1_700_000_000_000);
  BaileysStandin.created = [];
  const transport = new BaileysTransport(clock, {
    createSocket: async () => new BaileysStandin({ savedLogin: true }),
    clearLogin: async () => undefined,
    download: async () => STANDIN_JPEG,
    pairingPhoneNumber: "",
    includeOwn: false,
    reconnectBaseMs: 1000,
    reconnectMaxMs: 30_000,
    maxMediaBytes: 1_000_000,
  });
  const { messages } = collect(transport);
  transport.start();
  await new Promise((resolve) => setImmediate(resolve));
  await flushMicrotasks();
  const socket = () => BaileysStandin.created[BaileysStandin.created.length - 1];
  const jid = "447700900123@s.whatsapp.net";
  let sequence = 0;
  const deliver = (message: WAMessage["message"]) => {
    sequence += 1;
    socket().deliver({
      key: { id: `IN${sequence}`, remoteJid: jid, fromMe: false },
      message,
      messageTimestamp: 1_700_000_000,
    } as WAMessage);
    return messages[messages.length - 1];
  };
  return {
    transport,
    chatId: "447700900123@c.us",
    sends: ["location", "contacts", "poll"],
    async receive(message) {
      if (message.kind === "text") return deliver({ conversation: message.body });
      if (message.kind === "location")
        return deliver({ locationMessage: { degreesLatitude: message.latitude, degreesLongitude: message.longitude, name: message.name } });
      if (message.kind === "contact")
        return deliver({
          contactMessage: {
            displayName: message.name,
            vcard: `BEGIN:VCARD\nVERSION:3.0\nN:;${message.name};;;\nFN:${message.name}\nitem1.TEL;waid=${message.phone.replace(/\D/g, "")}:${message.phone}\nEND:VCARD`,
          },
        });
      return deliver({
        buttonsResponseMessage: {
          selectedButtonId: message.id,
          selectedDisplayText: message.title,
          contextInfo: { stanzaId: message.toMessageId },
        },
      });
    },
    lastWireKind() {
      const sent = socket().lastSent()?.content ?? {};
      return ["location", "contacts", "poll", "text", "image", "document"].find((key) => key in sent) ?? "unknown";
    },
    async vote(pollId, option) {
      socket().voteOn(pollId, jid, [option]);
      return messages[messages.length - 1];
    },
    close: () => transport.close(),
  };
}

async function cloudHarness(): Promise<Harness> {
  const standin = new GraphApiStandin("token", "106540352242922");
  await standin.start();
  standin.approveTemplate("order_ready", "en_US", 1);
  const clock = new FakeClock(1_767_258_000_000);
  standin.now = () => clock.now();
  const transport = new CloudApiTransport(
    {
      apiBase: standin.url,
      apiVersion: "v21.0",
      phoneNumberId: "106540352242922",
      accessToken: "token",
      appSecret: "secret",
      verifyToken: "verify",
      maxAttempts: 1,
      backoffMs: 1,
      maxBackoffMs: 1,
      requestTimeoutMs: 5_000,
    },
    clock,
    (url, init) => fetch(url, init),
  );
  const { messages } = collect(transport);
  let sequence = 0;
  const waId = "447700900123";
  const deliver = async (message: Record<string, unknown>) => {
    sequence += 1;
    const body = webhookDelivery(waId, clock.now(), { id: `wamid.IN${sequence}`, ...message });
    const answer = await transport.handleDelivery(Buffer.from(body), metaSignature(body, "secret"));
    assert.equal(answer.status, 200, answer.body);
    standin.customerWrote(waId, clock.now());
    return messages[messages.length - 1];
  };
  // The customer wrote first: inside the 24-hour window, as a reply is.
  await deliver({ type: "text", text: { body: "hello" } });
  return {
    transport,
    chatId: waId,
    sends: ["buttons", "list", "template", "location", "contacts"],
    receive(message) {
      if (message.kind === "text") return deliver({ type: "text", text: { body: message.body } });
      if (message.kind === "location")
        return deliver({ type: "location", location: { latitude: message.latitude, longitude: message.longitude, name: message.name } });
      if (message.kind === "contact")
        return deliver({
          type: "contacts",
          contacts: [
            {
              name: { formatted_name: message.name, first_name: message.name },
              phones: [{ phone: message.phone, wa_id: message.phone.replace(/\D/g, "") }],
            },
          ],
        });
      return deliver({
        type: "interactive",
        context: { id: message.toMessageId },
        interactive: { type: "button_reply", button_reply: { id: message.id, title: message.title } },
      });
    },
    lastWireKind() {
      const body = standin.calls[standin.calls.length - 1]?.body ?? {};
      if (body.type === "interactive") return (body.interactive as { type: string }).type === "button" ? "buttons" : "list";
      return String(body.type);
    },
    close: async () => {
      await transport.close();
      await standin.stop();
    },
  };
}

const HARNESSES: Record<string, () => Promise<Harness>> = {
  simulator: simulatorHarness,
  "whatsapp-web.js": wwebjsHarness,
  Baileys: baileysHarness,
  "Cloud API": cloudHarness,
};

for (const [name, make] of Object.entries(HARNESSES)) {
  describe(`transport contract: ${name}`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close();
    });

    it("is ready, sends a text with a receipt and tells its listeners", async () => {
      assert.equal(h.transport.state(), "ready");
      const sent: SentRecord[] = [];
      h.transport.onSent((r) => sent.push(r));
      const receipt = await h.transport.sendText({ chatId: h.chatId, text: "Your order is on its way" });
      assert.equal(receipt.chatId, h.chatId);
      assert.equal(receipt.transport, h.transport.kind);
      assert.ok(typeof receipt.id === "string" && receipt.id.length > 0);
      assert.deepEqual(
        sent.map((r) => [r.id, r.text]),
        [[receipt.id, "Your order is on its way"]],
      );
      assert.equal(h.lastWireKind(), "text");
    });

    it("refuses an empty text and a chat id it cannot send to, with the pack's error codes", async () => {
      await assert.rejects(h.transport.sendText({ chatId: h.chatId, text: "  " }), (e: WaError) => e.code === "transport.emptyText");
      await assert.rejects(
        h.transport.sendText({ chatId: "bad\u0000id", text: "hi" }),
        (e: WaError) => e.code === "transport.invalidTarget",
      );
    });

    it("sends a file", async () => {
      const receipt = await h.transport.sendMedia!({
        chatId: h.chatId,
        mimetype: "image/jpeg",
        data: STANDIN_JPEG,
        caption: "the receipt",
      });
      assert.equal(receipt.chatId, h.chatId);
    });

    for (const kind of ALL_KINDS) {
      it(`${kind}: sent on the wire when WhatsApp lets this kind send it, refused with transport.unsupportedKind when not`, async () => {
        const expected = h.sends.includes(kind);
        assert.equal(h.transport.supportedKinds?.includes(kind) ?? false, expected, "supportedKinds says what the connection sends");
        const sent: SentRecord[] = [];
        h.transport.onSent((r) => sent.push(r));
        if (expected) {
          const receipt = await h.transport.sendContent!(h.chatId, content(kind));
          assert.equal(receipt.chatId, h.chatId);
          assert.equal(h.lastWireKind(), kind);
          assert.equal(sent[0]?.content?.kind, kind);
          assert.ok(sent[0].text.length > 0, "the sent record says in text what was shown");
        } else {
          await assert.rejects(h.transport.sendContent!(h.chatId, content(kind)), (e: WaError) => {
            assert.equal(e.code, "transport.unsupportedKind");
            assert.equal(e.params.kind, kind);
            assert.match(e.message, /cannot send/);
            return true;
          });
          assert.equal(sent.length, 0);
        }
      });
    }

    it("a customer's text arrives in the envelope's shape", async () => {
      const message = await h.receive({ kind: "text", body: "Do you deliver on Sunday?" });
      assert.equal(message.chatId, h.chatId);
      assert.equal(message.body, "Do you deliver on Sunday?");
      assert.equal(message.type, "chat");
      assert.equal(message.transport, h.transport.kind);
      assert.equal(message.fromMe, false);
      assert.ok(Number.isFinite(message.timestamp) && message.timestamp > 0);
    });

    it("a shared location arrives typed", async () => {
      const message = await h.receive({ kind: "location", latitude: -23.5505, longitude: -46.6333, name: "Praça da Sé" });
      assert.equal(message.type, "location");
      assert.deepEqual(message.location, { latitude: -23.5505, longitude: -46.6333, name: "Praça da Sé" });
      assert.match(message.body, /Praça da Sé/);
    });

    it("a contact card arrives typed", async () => {
      const message = await h.receive({ kind: "contact", name: "Bruno Lima", phone: "+55 21 98888 7777" });
      assert.equal(message.type, "vcard");
      assert.equal(message.contacts?.length, 1);
      assert.equal(message.contacts![0].name, "Bruno Lima");
      assert.deepEqual(
        message.contacts![0].phones.map((p) => p.replace(/\D/g, "")),
        ["5521988887777"],
      );
    });

    it("an answer to reply buttons arrives typed, its title as the body", async () => {
      const message = await h.receive({ kind: "button", id: "tue", title: "Tuesday", toMessageId: "OUT-1" });
      assert.equal(message.type, "chat");
      assert.equal(message.body, "Tuesday");
      assert.deepEqual(message.reply, { kind: "button", id: "tue", title: "Tuesday", toMessageId: "OUT-1" });
    });

    it("a vote on a poll it sent arrives typed (kinds that send polls)", async function () {
      if (!h.sends.includes("poll")) {
        assert.equal(h.vote, undefined, "a kind without polls has no votes either");
        return;
      }
      const receipt = await h.transport.sendContent!(h.chatId, content("poll"));
      const vote = await h.vote!(receipt.id, "Wednesday");
      assert.equal(vote.type, "vote");
      assert.equal(vote.chatId, h.chatId);
      assert.deepEqual(vote.vote?.selected, ["Wednesday"]);
      assert.equal(vote.vote?.pollId, receipt.id);
      assert.equal(vote.body, "Wednesday");
    });

    it("stops on close", async () => {
      await h.transport.close();
      assert.equal(h.transport.state(), "stopped");
    });
  });
}
