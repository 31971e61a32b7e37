import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Server, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import clientNode from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import outNode from "../../src/nodes/wa-out";
import storeNode from "../../src/nodes/wa-store";
import healthNode, { clientHealthReading } from "../../src/nodes/wa-client-health";
import { CloudApiTransport } from "../../src/core/transport/cloud-transport";
import { NodeAPI } from "../../src/nodes/kit/red";
import { GraphApiStandin } from "../support/graph-api-standin";
import { metaSignature, webhookDelivery } from "../support/meta-signature";
import { catchNode, collect, getNode, helper, helperNode, inTab, untilReal, useNodeHarness, useUserDir } from "./harness";

const TOKEN = "EAAG-node-test";
const PHONE_ID = "106540352242922";
const APP_SECRET = "app-secret-for-tests";
const VERIFY_TOKEN = "verify-me";

describe("wa-client (Cloud API) with wa-in and wa-out", () => {
  let graph: GraphApiStandin;
  let httpNode: Server | undefined;
  let webhookUrl = "";
  let capturedRed: NodeAPI | undefined;
  // The runtime's HTTP app for flows (httpNode) is what the webhook is mounted on; serve it for real.
  const capturingClient = (RED: NodeAPI) => {
    capturedRed = RED;
    return clientNode(RED);
  };
  const nodes = [capturingClient, inNode, outNode, storeNode];
  const { clock } = useNodeHarness();
  // The embedded file of seen deliveries (no delivery store chosen) goes to a throwaway user directory.
  useUserDir("wa-cloud-node");
  // Meta's example delivery, sent a minute before the fake clock's now (older ones are refused by age).
  const fixture = readFileSync(join(__dirname, "..", "fixtures", "cloud-api", "text-message.json"), "utf8");
  let body = Buffer.from(fixture);
  /** The example delivery under another message id: sent after a check, it shows the check's delivery was handled. */
  const markerDelivery = (id: string) => Buffer.from(body.toString().replace("wamid.HBgLNDQ3NzAwOTAwMTIzFQIAEhgUM0VCMDQ5", id));
  /** A fixture with its messages' times moved to a minute before the fake clock's now. */
  const recentDelivery = (name: string) =>
    Buffer.from(
      readFileSync(join(__dirname, "..", "fixtures", "cloud-api", name), "utf8").replace(
        /"timestamp": "\d+"/g,
        `"timestamp": "${Math.floor(clock().now() / 1000) - 60}"`,
      ),
    );

  beforeEach(async () => {
    body = Buffer.from(fixture.replace('"1700000000"', `"${Math.floor(clock().now() / 1000) - 60}"`));
    graph = new GraphApiStandin(TOKEN, PHONE_ID);
    await graph.start();
  });
  afterEach(async () => {
    await graph.stop();
    if (httpNode) await new Promise((resolve) => httpNode!.close(resolve));
    httpNode = undefined;
  });

  async function load(client: Record<string, unknown> = {}, credentials: Record<string, string> = {}, wain: Record<string, unknown> = {}) {
    await helper.load(
      nodes,
      inTab([
        {
          id: "cloud1",
          type: "wa-client",
          mode: "cloud",
          phoneNumberId: PHONE_ID,
          apiVersion: "v21.0",
          apiBase: graph.url,
          webhookPath: "/whatsapp/test-hook",
          deliveryStore: "seen1",
          ...client,
        },
        { id: "seen1", type: "wa-store", backend: "memory" },
        { id: "in1", type: "wa-in", client: "cloud1", includeGroups: true, types: "all", wires: [["received"]], ...wain },
        { id: "out1", type: "wa-out", client: "cloud1", chat: "wa.message.chatId", quote: true, wires: [["sent"]] },
        helperNode("received"),
        helperNode("ticks"),
        helperNode("sent"),
        catchNode(),
        helperNode("errors"),
      ]),
      { cloud1: { accessToken: TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, ...credentials } },
    );
    httpNode = createServer(capturedRed!.httpNode as unknown as (req: unknown, res: unknown) => void);
    await new Promise<void>((resolve) => httpNode!.listen(0, "127.0.0.1", resolve));
    webhookUrl = `http://127.0.0.1:${(httpNode.address() as AddressInfo).port}/whatsapp/test-hook`;
  }

  const post = (raw: Buffer | string, signature?: string) =>
    fetch(webhookUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(signature ? { "X-Hub-Signature-256": signature } : {}) },
      body: typeof raw === "string" ? raw : new Uint8Array(raw),
    });

  it("answers the verification handshake on the webhook path", async () => {
    await load();
    const ok = await fetch(`${webhookUrl}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=8641`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "8641");
    const wrong = await fetch(`${webhookUrl}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=8641`);
    assert.equal(wrong.status, 403);
  });

  it("emits a signed delivery once as an envelope, even when Meta delivers it again", async () => {
    await load();
    const received = collect("received");
    const first = await post(body, metaSignature(body, APP_SECRET));
    assert.equal(first.status, 200);
    const again = await post(body, metaSignature(body, APP_SECRET));
    assert.equal(again.status, 200, "a redelivery is acknowledged so Meta stops retrying");
    await untilReal(() => received.length === 1, 2000);
    // A later delivery is emitted after anything the redelivery could have caused: then count.
    const marker = markerDelivery("wamid.marker-after-redelivery");
    await post(marker, metaSignature(marker, APP_SECRET));
    await untilReal(() => received.some((m) => (m.wa as { message: { id: string } }).message.id === "wamid.marker-after-redelivery"), 2000);
    assert.equal(received.length, 2, "the redelivery was not emitted");
    const message = (received[0].wa as { message: Record<string, unknown> }).message;
    assert.equal(message.chatId, "447700900123");
    assert.equal(message.transport, "cloud-api");
    assert.equal(received[0].payload, "Do you have the blue hoodie in M?");
  });

  it("Refuse messages older than: acknowledges an old delivery without emitting it; 0 takes any age", async () => {
    const sentHoursAgo = (hours: number, id: string) =>
      Buffer.from(
        fixture
          .replace('"1700000000"', `"${Math.floor(clock().now() / 1000) - hours * 3600}"`)
          .replace("wamid.HBgLNDQ3NzAwOTAwMTIzFQIAEhgUM0VCMDQ5", id),
      );
    await load({ maxDeliveryAgeHours: 2 });
    let received = collect("received");
    const stale = sentHoursAgo(3, "wamid.three-hours-old");
    assert.equal((await post(stale, metaSignature(stale, APP_SECRET))).status, 200, "acknowledged, so Meta stops retrying");
    const fresh = sentHoursAgo(1, "wamid.one-hour-old");
    await post(fresh, metaSignature(fresh, APP_SECRET));
    await untilReal(() => received.length === 1, 2000);
    assert.equal((received[0].wa as { message: { id: string } }).message.id, "wamid.one-hour-old");
    const warned = getNode("cloud1")
      .warn.getCalls()
      .map((c) => String(c.args[0]));
    assert.ok(
      warned.some((w) => /wamid.three-hours-old was sent 3 h ago/.test(w)),
      warned.join("\n"),
    );
    await helper.unload();
    if (httpNode) await new Promise((resolve) => httpNode!.close(resolve));

    await load({ maxDeliveryAgeHours: 0, deliveryStore: "" });
    received = collect("received");
    const ancient = sentHoursAgo(24 * 40, "wamid.forty-days-old");
    await post(ancient, metaSignature(ancient, APP_SECRET));
    await untilReal(() => received.length === 1, 2000);
    assert.equal((received[0].wa as { message: { id: string } }).message.id, "wamid.forty-days-old");
  });

  it("refuses a delivery with a missing or wrong signature: 401, a warning, nothing emitted", async () => {
    await load();
    const received = collect("received");
    assert.equal((await post(body)).status, 401);
    assert.equal((await post(body, metaSignature(body, "not-the-secret"))).status, 401);
    const tampered = Buffer.from(body.toString().replace("blue", "red!"));
    assert.equal((await post(tampered, metaSignature(body, APP_SECRET))).status, 401);
    const garbage = "{not json";
    assert.equal((await post(garbage, metaSignature(garbage, APP_SECRET))).status, 400);
    const marker = markerDelivery("wamid.marker-after-refusals");
    await post(marker, metaSignature(marker, APP_SECRET));
    await untilReal(() => received.length > 0, 2000);
    assert.deepEqual(
      received.map((m) => (m.wa as { message: { id: string } }).message.id),
      ["wamid.marker-after-refusals"],
      "nothing refused was emitted",
    );
    const warnings = (getNode("cloud1").warn as unknown as { args: unknown[][] }).args.map((a) => String(a[0]));
    assert.equal(warnings.length, 4);
    assert.match(warnings[0], /X-Hub-Signature-256/);
    assert.ok(!warnings.some((w) => w.includes(APP_SECRET)), "the secret never reaches the log");
  });

  it("replies through the Graph API as a quoted reply and reports the receipt", async () => {
    await load();
    const received = collect("received");
    const sent = collect("sent");
    await post(body, metaSignature(body, APP_SECRET));
    await untilReal(() => received.length === 1, 2000);
    getNode("out1").receive({ ...received[0], payload: "Yes, we have it in M." });
    await untilReal(() => sent.length === 1, 5000);
    const receipt = (sent[0].wa as { sent: { id: string; quotedId: string } }).sent;
    assert.match(receipt.id, /^wamid\./);
    assert.equal(receipt.quotedId, "wamid.HBgLNDQ3NzAwOTAwMTIzFQIAEhgUM0VCMDQ5");
    assert.deepEqual(graph.sentTexts(), ["Yes, we have it in M."]);
    assert.equal(graph.calls[0].authorization, `Bearer ${TOKEN}`);
  });

  it("sends a refused reply to the Catch node with Graph's reason", async () => {
    await load({}, { accessToken: "expired-token" });
    const errors = collect("errors");
    getNode("out1").receive({
      payload: "hello",
      wa: {
        message: {
          id: "wamid.x",
          chatId: "447700900123",
          from: "447700900123",
          body: "",
          type: "chat",
          timestamp: 0,
          receivedAt: 0,
          isGroup: false,
          fromMe: false,
          transport: "cloud-api",
        },
        trace: [],
      },
    });
    await untilReal(() => errors.length === 1, 5000);
    assert.match((errors[0].error as { message: string }).message, /refused the access token.*code 190/);
  });

  it("refuses a second connection on a webhook path already in use, and frees the path with the flow", async () => {
    const second = {
      id: "cloud2",
      type: "wa-client",
      mode: "cloud",
      phoneNumberId: PHONE_ID,
      apiBase: graph.url,
      webhookPath: "/whatsapp/test-hook",
      deliveryStore: "seen1",
    };
    await helper.load(
      nodes,
      inTab([
        {
          id: "cloud1",
          type: "wa-client",
          mode: "cloud",
          phoneNumberId: PHONE_ID,
          apiBase: graph.url,
          webhookPath: "/whatsapp/test-hook",
          deliveryStore: "seen1",
        },
        second,
        { id: "seen1", type: "wa-store", backend: "memory" },
      ]),
      {
        cloud1: { accessToken: TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
        cloud2: { accessToken: TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
      },
    );
    const failures = ["cloud1", "cloud2"].map((id) => (helper.getNode(id) as unknown as { failure?: string }).failure);
    assert.equal(failures.filter((f) => f === undefined).length, 1, "one connection has the path");
    assert.match(
      failures.find((f) => f !== undefined) ?? "",
      /Webhook path \/whatsapp\/test-hook is already used by another WhatsApp connection/,
    );
    await helper.unload();
    await load();
    assert.equal((helper.getNode("cloud1") as unknown as { failure?: string }).failure, undefined, "free again after the flow stopped");
  });

  it("takes its webhook off the HTTP server when the flow stops", async () => {
    await load();
    await helper.unload();
    const gone = await post(body, metaSignature(body, APP_SECRET));
    assert.equal(gone.status, 404);
  });

  it("reports missing credentials on the nodes that use the connection", async () => {
    await load({}, { appSecret: "" });
    const errors = collect("errors");
    getNode("out1").receive({
      payload: "hello",
      wa: {
        message: {
          id: "wamid.x",
          chatId: "447700900123",
          from: "447700900123",
          body: "",
          type: "chat",
          timestamp: 0,
          receivedAt: 0,
          isGroup: false,
          fromMe: false,
          transport: "cloud-api",
        },
        trace: [],
      },
    });
    await untilReal(() => errors.length === 1, 2000);
    assert.match((errors[0].error as { message: string }).message, /app secret/);
  });

  it("downloads a customer's photo through Graph (URL, then bytes) within the size limit", async () => {
    const photo = Buffer.from("jpeg bytes of a receipt");
    graph.addMedia("1482738482", "image/jpeg", photo);
    graph.addMedia("552211", "application/pdf", Buffer.alloc(2 * 1024 * 1024));
    await load({}, {}, { types: "media", downloadMedia: true, maxMediaMB: 1 });
    const received = collect("received");
    const mixed = recentDelivery("mixed.json");
    assert.equal((await post(mixed, metaSignature(mixed, APP_SECRET))).status, 200);
    await untilReal(() => received.length === 3, 5000);
    const media = received.map((m) => (m.wa as { message: { type: string; media: { data?: Buffer; error?: string } } }).message);
    assert.deepEqual(
      media.map((m) => m.type),
      ["image", "ptt", "document"],
    );
    assert.ok(media[0].media.data?.equals(photo), "the photo's bytes");
    assert.match(media[1].media.error ?? "", /not available any more/, "a voice note Graph no longer has");
    assert.match(media[2].media.error ?? "", /2097152 bytes; the limit is 1048576/, "a document over the limit is not fetched");
    const fetched = graph.calls.filter((c) => c.path.startsWith("/media-download/")).map((c) => c.path);
    assert.deepEqual(fetched, ["/media-download/1482738482"], "only the photo's bytes were fetched");
  });

  it("turns Meta's status webhooks into ticks on wa in's second output", async () => {
    await load({}, {}, { events: true, types: "text", wires: [["received"], ["ticks"]] });
    const ticks = collect("ticks");
    const mixed = readFileSync(join(__dirname, "..", "fixtures", "cloud-api", "mixed.json"));
    await post(mixed, metaSignature(mixed, APP_SECRET));
    await untilReal(() => ticks.length === 2, 2000);
    assert.deepEqual(
      ticks.map((t) => [(t.payload as { status: string }).status, (t.payload as { error?: string }).error]),
      [
        ["read", undefined],
        ["failed", "Re-engagement message (code 131047)"],
      ],
    );
  });

  it("client health probes a Cloud API number that has gone quiet: a removed webhook fails the probe, and it says to act by hand", async () => {
    const MINUTE = 60_000;
    const loadFlow = () =>
      helper.load(
        [capturingClient, healthNode, storeNode],
        inTab([
          {
            id: "cloud1",
            type: "wa-client",
            mode: "cloud",
            phoneNumberId: PHONE_ID,
            apiBase: graph.url,
            webhookPath: "/whatsapp/health-hook",
            deliveryStore: "seen1",
          },
          { id: "seen1", type: "wa-store", backend: "memory" },
          // What client health learns is kept here across the restart below.
          { id: "st1", type: "wa-store", backend: "sqlite", file: "health.db" },
          {
            id: "h1",
            type: "wa-client-health",
            client: "cloud1",
            interval: 3600,
            deafLearn: 1,
            deafFloor: 20,
            deafOdds: 1000,
            probeTimeout: 20,
            store: "st1",
            wires: [["health"]],
          },
          helperNode("health"),
        ]),
        { cloud1: { accessToken: TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN } },
      );
    await loadFlow();
    const cloud = () => (helper.getNode("cloud1") as unknown as { transport: CloudApiTransport }).transport;
    const deliver = async (n: number) => {
      const raw = webhookDelivery(`4477009${String(n).padStart(5, "0")}`, clock().now(), {
        id: `wamid.H${n}`,
        type: "text",
        text: { body: "hi" },
      });
      assert.equal((await cloud().handleDelivery(Buffer.from(raw), metaSignature(raw, APP_SECRET))).status, 200);
    };
    // Two hours of twenty new chats an hour: what this number usually hears.
    for (let minute = 0, n = 0; minute < 120; minute += 3, n += 1) {
      await deliver(n);
      await clock().advanceAsync(3 * MINUTE);
    }
    // The same hours a week later (Node-RED restarted meanwhile): nothing arrives, because the app's webhook was removed in Meta's dashboard.
    await helper.unload();
    await clock().advanceAsync(7 * 24 * 60 * MINUTE - 120 * MINUTE);
    await loadFlow();
    await untilReal(() => (clientHealthReading("h1")?.deaf?.learnedHours ?? 0) > 1.9, 3000);
    await deliver(1000);
    graph.webhookUrl = "";
    const warnings = () =>
      getNode("h1")
        .warn.getCalls()
        .map((call) => String(call.args[0]));
    for (let minute = 0; minute < 40 && !warnings().some((w) => /reconnect it by hand/.test(w)); minute += 1) {
      await clock().advanceAsync(MINUTE);
      await untilReal(() => clientHealthReading("h1")?.deaf?.phase !== "probing", 2000);
    }
    const reading = clientHealthReading("h1");
    assert.equal(reading?.deaf?.phase, "deaf");
    assert.equal(reading?.deaf?.lastProbe?.ok, false);
    assert.match(reading?.deaf?.lastProbe?.detail ?? "", /no webhook URL is set for the number or its app/);
    assert.equal(reading?.level, "degraded");
    assert.ok(
      warnings().some((w) => /reconnect it by hand \(Reconnect is off, or this kind of connection cannot\)/.test(w)),
      warnings().join("\n"),
    );
    assert.ok(graph.calls.some((call) => call.path.startsWith(`/v21.0/${PHONE_ID}?fields=status,webhook_configuration`)));
  });
});
