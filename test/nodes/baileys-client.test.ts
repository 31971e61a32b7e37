import assert from "node:assert/strict";
import { flushMicrotasks } from "../../src/core/clock";
import clientNode from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import outNode from "../../src/nodes/wa-out";
import storeNode from "../../src/nodes/wa-store";
import { replaceRuntimeWorld } from "../../src/nodes/kit/world";
import { BaileysStandin, boom } from "../support/baileys-standin";
import { catchNode, collect, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

const nodes = [clientNode, inNode, outNode, storeNode];

interface AdminAnswer {
  status: number;
  body: Record<string, unknown>;
}
interface SupertestLike {
  get(path: string): { expect(status: number): Promise<AdminAnswer> };
  post(path: string): { expect(status: number): Promise<AdminAnswer> };
}
const admin = () => helper.request() as unknown as SupertestLike;

describe("wa-client (WhatsApp Web without a browser: Baileys) with wa-in and wa-out, against the socket stand-in", () => {
  useNodeHarness();
  let restore: () => void;
  let behaviour: ConstructorParameters<typeof BaileysStandin>[0];
  beforeEach(() => {
    BaileysStandin.created = [];
    behaviour = {};
    restore = replaceRuntimeWorld({ createBaileysSocket: () => new BaileysStandin(behaviour) });
  });
  afterEach(() => restore());

  async function load(client: Record<string, unknown> = {}) {
    await helper.load(
      nodes,
      inTab([
        { id: "bl1", type: "wa-client", mode: "baileys", includeOwn: false, pairingPhone: "", ...client },
        { id: "st1", type: "wa-store", backend: "memory" },
        { id: "in1", type: "wa-in", client: "bl1", includeGroups: true, types: "all", wires: [["received"]] },
        { id: "out1", type: "wa-out", client: "bl1", chat: "wa.message.chatId", quote: true, wires: [["sent"]] },
        helperNode("received"),
        helperNode("sent"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    // The connection opens once every config node exists (next turn), and the socket answers after that.
    for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
    await flushMicrotasks();
  }
  const standin = () => BaileysStandin.created[BaileysStandin.created.length - 1];

  it("serves the QR code to the editor's pairing panel, the pairing code for a phone number, and the state once paired", async () => {
    await load();
    const pairing = await admin().get("/wa-pipeline/clients/bl1/pairing").expect(200);
    assert.equal(pairing.body.state, "pairing");
    assert.match(String(pairing.body.qrImage), /^data:image\/png;base64,/);
    standin().open();
    const paired = await admin().get("/wa-pipeline/clients/bl1/pairing").expect(200);
    assert.equal(paired.body.state, "ready");
    await helper.unload();

    await load({ pairingPhone: "+44 7700 900000" });
    const byCode = await admin().get("/wa-pipeline/clients/bl1/pairing").expect(200);
    assert.equal(byCode.body.pairingCode, "ABCD1234");
  });

  it("emits received messages as envelopes and sends quoted replies through the socket", async () => {
    behaviour = { savedLogin: true };
    await load({ sessionStore: "st1" });
    const received = collect("received");
    const sent = collect("sent");
    standin().deliver({
      key: { id: "B1", remoteJid: "447700900123@s.whatsapp.net", fromMe: false },
      message: { conversation: "Hi, are you open today?" },
      messageTimestamp: 1_767_000_000,
    });
    await until(() => received.length === 1);
    const message = (received[0].wa as { message: { transport: string; chatId: string; connection: { id: string } } }).message;
    assert.deepEqual([message.transport, message.chatId, message.connection.id], ["baileys", "447700900123@c.us", "bl1"]);
    getNode("out1").receive({ ...received[0], payload: "Yes, 9 to 6." });
    await until(() => sent.length === 1);
    assert.deepEqual(standin().sent[0].content, { text: "Yes, 9 to 6." });
    assert.equal(standin().sent[0].options?.quoted?.key.id, "B1");
  });

  it("restarts from the editor with a new socket, and sends a reply to the Catch node while the connection is down", async () => {
    behaviour = { savedLogin: true };
    await load();
    const errors = collect("errors");
    const first = standin();
    await admin().post("/wa-pipeline/clients/bl1/restart").expect(200);
    for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(first.ended, true);
    assert.equal(BaileysStandin.created.length, 2);
    standin().closeWith(boom("Connection Lost", 408));
    getNode("out1").receive({ payload: "hello", wa: { message: { chatId: "447700900123@c.us" } } });
    await until(() => errors.length === 1);
    assert.equal((errors[0].error as { code?: string }).code, "transport.notReady");
  });
});
