import assert from "node:assert/strict";
import { flushMicrotasks } from "../../src/core/clock";
import clientNode from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import outNode from "../../src/nodes/wa-out";
import storeNode from "../../src/nodes/wa-store";
import { replaceRuntimeWorld } from "../../src/nodes/kit/world";
import { WwebjsStandin } from "../support/wwebjs-standin";
import { catchNode, collect, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

const nodes = [clientNode, inNode, outNode];

interface AdminAnswer {
  status: number;
  body: Record<string, unknown>;
}
interface SupertestLike {
  get(path: string): { expect(status: number): Promise<AdminAnswer> };
  post(path: string): { expect(status: number): Promise<AdminAnswer> };
}
const admin = () => helper.request() as unknown as SupertestLike;

describe("wa-client (WhatsApp Web) with wa-in and wa-out, against the Client stand-in", () => {
  useNodeHarness();
  let restore: () => void;
  let behaviour: ConstructorParameters<typeof WwebjsStandin>[0];
  beforeEach(() => {
    WwebjsStandin.created = [];
    behaviour = {};
    restore = replaceRuntimeWorld({ createWwebjsClient: () => new WwebjsStandin(behaviour) });
  });
  afterEach(() => restore());

  async function load() {
    await helper.load(
      nodes,
      inTab([
        { id: "web1", type: "wa-client", mode: "whatsapp-web", chromiumPath: "", headless: true, includeOwn: false, pairingPhone: "" },
        { id: "in1", type: "wa-in", client: "web1", includeGroups: true, types: "all", wires: [["received"]] },
        { id: "out1", type: "wa-out", client: "web1", chat: "wa.message.chatId", quote: true, wires: [["sent"]] },
        helperNode("received"),
        helperNode("sent"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    // The session starts once every config node exists (on the next turn of the event loop).
    await new Promise((resolve) => setImmediate(resolve));
    await flushMicrotasks();
  }
  const standin = () => WwebjsStandin.created[WwebjsStandin.created.length - 1];

  it("serves the QR code as an image to the editor while pairing, and the state once paired", async () => {
    await load();
    const pairing = await admin().get("/wa-pipeline/clients/web1/pairing").expect(200);
    assert.equal(pairing.body.state, "pairing");
    assert.match(String(pairing.body.qrImage), /^data:image\/png;base64,/);
    assert.equal(pairing.body.qr, undefined, "the raw QR payload is not handed out");
    standin().scan();
    const paired = await admin().get("/wa-pipeline/clients/web1/pairing").expect(200);
    assert.equal(paired.body.state, "ready");
    assert.equal(paired.body.qrImage, undefined);
    await admin().get("/wa-pipeline/clients/nope/pairing").expect(404);
  });

  it("emits received messages and sends quoted replies through the session", async () => {
    behaviour = { savedSession: true };
    await load();
    const received = collect("received");
    const sent = collect("sent");
    standin().receive({ from: "447700900123@c.us", body: "Hi, are you open today?" });
    await until(() => received.length === 1);
    assert.equal((received[0].wa as { message: { transport: string } }).message.transport, "whatsapp-web");
    getNode("out1").receive({ ...received[0], payload: "Yes, 9 to 6." });
    await until(() => sent.length === 1);
    assert.equal(standin().sent[0].content, "Yes, 9 to 6.");
    assert.equal(standin().sent[0].options?.quotedMessageId, (received[0].wa as { message: { id: string } }).message.id);
  });

  it("restarts the session from the editor with a new client", async () => {
    behaviour = { savedSession: true };
    await load();
    const first = standin();
    const answer = await admin().post("/wa-pipeline/clients/web1/restart").expect(200);
    assert.equal(first.destroyed, true);
    assert.equal(WwebjsStandin.created.length, 2);
    assert.ok(["starting", "ready"].includes(String(answer.body.state)));
  });

  it("sends a reply to the Catch node while the session waits for pairing", async () => {
    await load();
    const errors = collect("errors");
    getNode("out1").receive({
      payload: "hello",
      wa: {
        message: {
          id: "x",
          chatId: "447700900123@c.us",
          from: "447700900123@c.us",
          body: "",
          type: "chat",
          timestamp: 0,
          receivedAt: 0,
          isGroup: false,
          fromMe: false,
          transport: "whatsapp-web",
        },
        trace: [],
      },
    });
    await until(() => errors.length === 1);
    assert.equal((errors[0].error as { code?: string }).code, "transport.notReady");
  });

  it("refuses a pairing phone number that is not one", async () => {
    await helper.load(
      nodes,
      inTab([
        { id: "web1", type: "wa-client", mode: "whatsapp-web", pairingPhone: "call me" },
        { id: "out1", type: "wa-out", client: "web1", chat: "wa.message.chatId", wires: [[]] },
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const errors = collect("errors");
    getNode("out1").receive({ payload: "hi", wa: { message: { chatId: "447700900123@c.us" }, trace: [] } });
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /Pairing phone number/);
  });

  it("opens its session store (a wa-store defined after it in the flow), and names a missing one", async () => {
    behaviour = { savedSession: true };
    await helper.load(
      [clientNode, outNode, storeNode],
      inTab([
        { id: "web1", type: "wa-client", mode: "whatsapp-web", sessionStore: "st1" },
        { id: "st1", type: "wa-store", backend: "memory" },
        { id: "out1", type: "wa-out", client: "web1", chat: "wa.message.chatId", wires: [["sent"]] },
        helperNode("sent"),
      ]),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await flushMicrotasks();
    assert.equal((helper.getNode("web1") as unknown as { describeState(): { state: string } }).describeState().state, "ready");
    await helper.unload();
    await helper.load(
      [clientNode, outNode, storeNode],
      inTab([
        { id: "web1", type: "wa-client", mode: "whatsapp-web", sessionStore: "gone" },
        { id: "out1", type: "wa-out", client: "web1", chat: "wa.message.chatId", wires: [[]] },
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const errors = collect("errors");
    getNode("out1").receive({ payload: "hi", wa: { message: { chatId: "447700900123@c.us" }, trace: [] } });
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /not ready/);
    await new Promise((resolve) => setImmediate(resolve));
    const state = (helper.getNode("web1") as unknown as { describeState(): { state: string; detail?: string } }).describeState();
    assert.equal(state.state, "disconnected");
    const pairing = (helper.getNode("web1") as unknown as { transport: { pairing(): { detail?: string } } }).transport.pairing();
    assert.match(pairing.detail ?? "", /store configuration no longer exists/);
  });
});
