import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { FakeClock } from "../../src/core/clock";
import { WaError } from "../../src/core/errors";
import { MemoryStore } from "../../src/core/store/memory-store";
import { CloudApiTransport } from "../../src/core/transport/cloud-transport";
import {
  contentSummary,
  optionsFromHashes,
  parseVCards,
  pollOptionHash,
  readOutgoingContent,
  toVCard,
} from "../../src/core/transport/outgoing-content";
import { decryptPollVote, readRepeatedBytes } from "../../src/core/transport/poll-vote";
import { checkServiceWindow, memoryServiceWindow, storeServiceWindow } from "../../src/core/transport/service-window";
import { encryptedVote } from "../support/baileys-standin";
import { GraphApiStandin } from "../support/graph-api-standin";
import { metaSignature, webhookDelivery } from "../support/meta-signature";

type BaileysModule = typeof import("@whiskeysockets/baileys");
const loadBaileys = (): Promise<BaileysModule> => import("@whiskeysockets/baileys");

function refusal(msg: Record<string, unknown>): string {
  try {
    readOutgoingContent(msg);
  } catch (error) {
    assert.equal((error as WaError).code, "transport.badContent");
    return (error as WaError).message;
  }
  assert.fail("accepted");
}

describe("outgoing message kinds: reading msg.buttons, .list, .template, .location, .contacts, .poll", () => {
  it("reads each kind in its short and its full form", () => {
    assert.equal(readOutgoingContent({ payload: "plain text" }), undefined);
    assert.deepEqual(readOutgoingContent({ payload: "Pick", buttons: ["Yes", { id: "n", title: "No" }] }), {
      kind: "buttons",
      body: "Pick",
      buttons: [
        { id: "Yes", title: "Yes" },
        { id: "n", title: "No" },
      ],
    });
    assert.deepEqual(readOutgoingContent({ buttons: { body: "Pick", buttons: ["A"], header: "Hi", footer: "Shop" } }), {
      kind: "buttons",
      body: "Pick",
      buttons: [{ id: "A", title: "A" }],
      header: "Hi",
      footer: "Shop",
    });
    assert.deepEqual(readOutgoingContent({ payload: "Menu", list: { button: "Open", rows: ["Tea"] } }), {
      kind: "list",
      body: "Menu",
      buttonText: "Open",
      sections: [{ rows: [{ id: "Tea", title: "Tea" }] }],
    });
    assert.deepEqual(readOutgoingContent({ template: { name: "order_ready", language: "pt_BR", parameters: ["#1", 2] } }), {
      kind: "template",
      name: "order_ready",
      language: "pt_BR",
      bodyParameters: ["#1", "2"],
      headerParameters: [],
      buttonPayloads: [],
    });
    assert.deepEqual(readOutgoingContent({ location: { lat: "-23.5", lng: "-46.6" } }), {
      kind: "location",
      latitude: -23.5,
      longitude: -46.6,
    });
    assert.deepEqual(readOutgoingContent({ poll: ["Tue", "Fri"], payload: "Which day?" }), {
      kind: "poll",
      question: "Which day?",
      options: ["Tue", "Fri"],
      multiple: false,
    });
  });

  it("refuses what WhatsApp refuses, naming the property and the limit", () => {
    assert.match(refusal({ payload: "x", buttons: ["a", "b", "c", "d"] }), /^msg\.buttons: has 4; WhatsApp takes at most 3$/);
    assert.match(refusal({ payload: "x", buttons: ["same", "same"] }), /two button ids are both "same"/);
    assert.match(refusal({ buttons: ["a"] }), /payload \(the text above the buttons\): is missing/);
    assert.match(refusal({ payload: "x".repeat(1025), buttons: ["a"] }), /longer than WhatsApp's 1024 characters/);
    const rows = (n: number) => Array.from({ length: n }, (_v, i) => `row ${i}`);
    assert.match(refusal({ payload: "x", list: { button: "b", rows: rows(11) } }), /has 11; WhatsApp takes at most 10/);
    assert.match(
      refusal({
        payload: "x",
        list: {
          button: "b",
          sections: [
            { title: "A", rows: rows(6) },
            { title: "B", rows: rows(5).map((r) => `${r}b`) },
          ],
        },
      }),
      /^msg\.list: has 11 rows; WhatsApp takes at most 10 in all$/,
    );
    assert.match(
      refusal({ payload: "x", list: { button: "b", sections: [{ rows: ["a"] }, { title: "B", rows: ["b"] }] } }),
      /needs a title/,
    );
    assert.match(refusal({ payload: "x", list: { rows: ["a"] } }), /msg\.list\.button: is missing/);
    assert.match(refusal({ template: { name: "order_ready", language: "english" } }), /language code such as en, en_US or pt_BR/);
    assert.match(refusal({ location: { latitude: 10, longitude: 181 } }), /msg\.location\.longitude: must be a number from -180 to 180/);
    assert.match(refusal({ contacts: { name: "Ana" } }), /needs at least one phone number/);
    assert.match(refusal({ contacts: { name: "Ana", phones: ["call me"] } }), /"call me" is not a phone number/);
    assert.match(refusal({ poll: { question: "q", options: ["a", "a"] } }), /two options are both "a"/);
    assert.match(
      refusal({ poll: { question: "q", options: Array.from({ length: 13 }, (_v, i) => `o${i}`) } }),
      /has 13; WhatsApp takes at most 12/,
    );
    assert.match(refusal({ location: { latitude: 1, longitude: 1 }, media: { path: "a.jpg" } }), /msg\.location, msg\.media are all set/);
  });

  it("says in one line of text what was sent", () => {
    assert.equal(contentSummary(readOutgoingContent({ payload: "Pick", buttons: ["Yes", "No"] })!), "Pick\n[Yes] [No]");
    assert.equal(contentSummary(readOutgoingContent({ location: { latitude: 1, longitude: 2, name: "Shop" } })!), "Shop · 1,2");
    assert.equal(
      contentSummary(readOutgoingContent({ template: { name: "t", language: "en", parameters: ["a"] } })!),
      "template t (en): a",
    );
  });
});

describe("contact cards (vCard)", () => {
  it("writes a card a phone reads back the same, escaping what vCard escapes", () => {
    const card = { name: "Ana de Souza", phones: ["+55 11 99999-0000"], emails: ["ana@example.com"], organization: "Loja, Centro" };
    const vcard = toVCard(card);
    assert.match(vcard, /^BEGIN:VCARD\nVERSION:3\.0\nFN:Ana de Souza\nN:Souza;Ana de;;;\nORG:Loja\\, Centro\n/);
    assert.match(vcard, /TEL;type=CELL;type=VOICE;waid=5511999990000:\+55 11 99999-0000/);
    assert.deepEqual(parseVCards(vcard), [card]);
  });

  it("reads cards as WhatsApp's phones write them: several in one text, folded lines, item-prefixed phones, no FN", () => {
    const text = [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "N:Lima;Bruno;;;",
      "item1.TEL;waid=5521988887777:+55 21 98888-7777",
      "item1.X-ABLabel:Mobile",
      "END:VCARD",
      "BEGIN:VCARD",
      "VERSION:3.0",
      "FN:Carla with a long",
      "  name",
      "TEL;TYPE=work:+49 30 1234",
      "EMAIL:carla@example.de",
      "END:VCARD",
    ].join("\r\n");
    assert.deepEqual(parseVCards(text), [
      { name: "Bruno Lima", phones: ["+55 21 98888-7777"] },
      { name: "Carla with a long name", phones: ["+49 30 1234"], emails: ["carla@example.de"] },
    ]);
    assert.deepEqual(parseVCards("not a card"), []);
  });
});

describe("poll votes", () => {
  it("reads the options of a vote back from their SHA-256", () => {
    const hashes = [Buffer.from(pollOptionHash("Friday"), "hex"), Buffer.from(randomBytes(32))];
    assert.deepEqual(optionsFromHashes(["Tuesday", "Friday"], hashes), ["Friday"]);
    // sha256sum of the bare text, computed outside the code.
    assert.equal(pollOptionHash("Friday"), "e21f3f372a46d4be7b49f6809fc91baefeadae004af06485518e124a142c0271");
  });

  it("decrypts a vote as Baileys' own decryptPollVote does (the stand-in's votes are WhatsApp's format)", async () => {
    const baileys = await loadBaileys();
    const context = {
      pollMsgId: "3EB0POLL1",
      pollCreatorJid: "447700900000@s.whatsapp.net",
      voterJid: "447700900123@s.whatsapp.net",
      pollEncKey: randomBytes(32),
    };
    const vote = encryptedVote(["Wednesday", "Friday"], context);
    const theirs = baileys.decryptPollVote(vote, context).selectedOptions.map((o) => Buffer.from(o).toString("hex"));
    const ours = decryptPollVote(vote.encPayload, vote.encIv, context).map((o) => o.toString("hex"));
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours, [pollOptionHash("Wednesday"), pollOptionHash("Friday")]);
    // A vote Baileys' own protobuf encodes reads the same.
    const encoded = Buffer.from(
      baileys.proto.Message.PollVoteMessage.encode({ selectedOptions: [Buffer.from(pollOptionHash("Tue"), "hex")] }).finish(),
    );
    assert.deepEqual(
      readRepeatedBytes(encoded, 1).map((b) => b.toString("hex")),
      [pollOptionHash("Tue")],
    );
    assert.throws(() => decryptPollVote(vote.encPayload, vote.encIv, { ...context, voterJid: "someone-else@s.whatsapp.net" }));
  });
});

describe("the Cloud API's 24-hour customer-service window", () => {
  it("refuses only a chat known to have been silent for more than 24 hours", () => {
    assert.doesNotThrow(() => checkServiceWindow("5511", undefined, 10));
    assert.doesNotThrow(() => checkServiceWindow("5511", 0, 24 * 3600_000));
    assert.throws(
      () => checkServiceWindow("5511", 0, 24 * 3600_000 + 1),
      (e: WaError) => e.code === "transport.outsideWindow" && /24 h ago/.test(e.message),
    );
    assert.throws(() => checkServiceWindow("5511", 0, 72 * 3600_000), /3 days ago/);
  });

  for (const [name, make] of [
    ["in memory", () => memoryServiceWindow(2)],
    ["in a store", () => storeServiceWindow(new MemoryStore(new FakeClock(0)), "w:")],
  ] as const) {
    it(`remembers each chat's last message ${name}, never moving it back`, async () => {
      const window = make();
      await window.noteInbound("a", 100);
      await window.noteInbound("a", 50);
      assert.equal(await window.lastInbound("a"), 100);
      assert.equal(await window.lastInbound("b"), undefined);
    });
  }
});

describe("Cloud API: message kinds, the window and the probe against a loopback Graph", () => {
  let graph: GraphApiStandin;
  let clock: FakeClock;
  let cloud: CloudApiTransport;
  const WA_ID = "5511999990000";
  beforeEach(async () => {
    graph = new GraphApiStandin("token", "106540352242922");
    await graph.start();
    clock = new FakeClock(Date.UTC(2026, 0, 1));
    graph.now = () => clock.now();
    cloud = new CloudApiTransport(
      {
        apiBase: graph.url,
        apiVersion: "v21.0",
        phoneNumberId: "106540352242922",
        accessToken: "token",
        appSecret: "s",
        verifyToken: "v",
        maxAttempts: 1,
        backoffMs: 1,
        maxBackoffMs: 1,
        requestTimeoutMs: 5_000,
      },
      clock,
      (url, init) => fetch(url, init),
    );
  });
  afterEach(async () => {
    await cloud.close();
    await graph.stop();
  });

  it("sends buttons and lists in Graph's interactive shape, and a template with its parameters as components", async () => {
    graph.approveTemplate("order_ready", "en_US", 1);
    await cloud.sendContent(WA_ID, readOutgoingContent({ payload: "Pick", buttons: ["Yes", "No"] })!, "wamid.Q");
    const buttons = graph.calls[graph.calls.length - 1].body!;
    assert.deepEqual(buttons.interactive, {
      type: "button",
      body: { text: "Pick" },
      action: {
        buttons: [
          { type: "reply", reply: { id: "Yes", title: "Yes" } },
          { type: "reply", reply: { id: "No", title: "No" } },
        ],
      },
    });
    assert.deepEqual(buttons.context, { message_id: "wamid.Q" });
    await cloud.sendContent(
      WA_ID,
      readOutgoingContent({ template: { name: "order_ready", language: "en_US", parameters: ["#7"], buttonPayloads: ["track"] } })!,
    );
    assert.deepEqual(graph.calls[graph.calls.length - 1].body!.template, {
      name: "order_ready",
      language: { code: "en_US" },
      components: [
        { type: "body", parameters: [{ type: "text", text: "#7" }] },
        { type: "button", sub_type: "quick_reply", index: "0", parameters: [{ type: "payload", payload: "track" }] },
      ],
    });
  });

  it("gives Graph's refusal of a template it does not know as the Cloud API's error", async () => {
    await assert.rejects(
      cloud.sendContent(WA_ID, readOutgoingContent({ template: { name: "not_approved", language: "en" } })!),
      (e: WaError) => {
        assert.equal(e.code, "cloud.rejected");
        assert.match(e.message, /Template name does not exist in the translation \(code 132001\)/);
        return true;
      },
    );
  });

  it("refuses a free-form send outside the window before Graph is asked, and reads Meta's own refusal (131047) as the same error", async () => {
    const body = webhookDelivery(WA_ID, clock.now(), { id: "wamid.A", type: "text", text: { body: "hi" } });
    assert.equal((await cloud.handleDelivery(Buffer.from(body), metaSignature(body, "s"))).status, 200);
    await cloud.sendText({ chatId: WA_ID, text: "inside the window" });
    clock.advance(25 * 3600_000);
    const calls = graph.calls.length;
    await assert.rejects(cloud.sendText({ chatId: WA_ID, text: "too late" }), (e: WaError) => e.code === "transport.outsideWindow");
    assert.equal(graph.calls.length, calls, "refused here, not by Meta");
    graph.approveTemplate("order_ready", "en_US", 0);
    await cloud.sendContent(WA_ID, readOutgoingContent({ template: { name: "order_ready", language: "en_US" } })!);
    // A chat this connection never heard from (its memory lost, another instance): Meta refuses, the same error results.
    graph.customerWrote("5511888880000", clock.now() - 30 * 3600_000);
    await assert.rejects(cloud.sendText({ chatId: "5511888880000", text: "hello" }), (e: WaError) => {
      assert.equal(e.code, "transport.outsideWindow");
      assert.match(e.message, /says Meta/);
      return true;
    });
  });

  it("probes the number: passes when connected with a webhook, fails when Graph says otherwise", async () => {
    await cloud.probe(2_000);
    graph.webhookUrl = "";
    await assert.rejects(cloud.probe(2_000), /no webhook URL is set/);
    graph.webhookUrl = "https://shop.example/hook";
    graph.numberStatus = "FLAGGED";
    await assert.rejects(cloud.probe(2_000), (e: WaError) => e.code === "transport.probeFailed" && /status is FLAGGED/.test(e.message));
    graph.numberStatus = "CONNECTED";
    graph.failNext(1, { kind: "status", status: 401, code: 190 });
    await assert.rejects(cloud.probe(2_000), /code 190/);
  });
});
