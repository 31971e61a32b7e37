import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import clientNode, { maxDeliveryAgeFromConfig, webhookPathFromConfig } from "../../src/nodes/wa-client";
import inNode from "../../src/nodes/wa-in";
import { collect, helper, helperNode, inTab, untilReal, useNodeHarness, useUserDir } from "./harness";
import type { WaClientNode } from "../../src/nodes/kit/contracts";

const nodes = [clientNode, inNode];

describe("wa-client node: every option of its form", function () {
  this.timeout(20_000);
  const harness = useNodeHarness();
  const userDir = useUserDir("wa-client");
  const client = () => helper.getNode("sim1") as unknown as WaClientNode;

  async function load(config: Record<string, unknown>) {
    await helper.load(
      nodes,
      inTab([
        {
          id: "sim1",
          type: "wa-client",
          mode: "simulator",
          source: "demo",
          speed: 1,
          maxGap: 4,
          stagger: 1.5,
          startDelay: 1,
          loop: false,
          ...config,
        },
        { id: "in1", type: "wa-in", client: "sim1", wires: [["received"]] },
        helperNode("received"),
      ]),
    );
  }

  it("Start after, Speed and Longest gap: the first message after the delay, the chats at the chosen speed", async () => {
    writeFileSync(
      join(userDir(), "two.jsonl"),
      [
        { conversation: "a", chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1_800_000_000, text: "one" },
        {
          conversation: "a",
          chat: "447700900123@c.us",
          from: "447700900123@c.us",
          timestamp: 1_800_000_010,
          text: "two, ten seconds later",
        },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    await load({ source: "file", scriptPath: "two.jsonl", startDelay: 5, speed: 2, maxGap: 60 });
    const received = collect("received");
    await harness.clock().advanceAsync(4_900);
    assert.equal(received.length, 0, "nothing before Start after");
    await harness.clock().advanceAsync(200);
    await untilReal(() => received.length === 1, 2000);
    await harness.clock().advanceAsync(4_800);
    assert.equal(received.length, 1, "ten seconds of chat at speed 2 take five");
    await harness.clock().advanceAsync(300);
    await untilReal(() => received.length === 2, 2000);
  });

  it("Longest gap caps a long silence in the script; Loop plays the chats again", async () => {
    writeFileSync(
      join(userDir(), "gap.jsonl"),
      [
        { conversation: "a", chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1_800_000_000, text: "before" },
        { conversation: "a", chat: "447700900123@c.us", from: "447700900123@c.us", timestamp: 1_800_003_600, text: "an hour later" },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    await load({ source: "file", scriptPath: "gap.jsonl", startDelay: 0, speed: 1, maxGap: 2, loop: true });
    const received = collect("received");
    for (let i = 0; i < 30 && received.length < 3; i += 1) await harness.clock().advanceAsync(500);
    await untilReal(() => received.length >= 3, 2000);
    assert.deepEqual(
      received.slice(0, 3).map((m) => m.payload),
      ["before", "an hour later", "before"],
      "the hour became 2 s, and the script started again",
    );
  });

  it("refuses settings it cannot use: no transport, the reason kept for the nodes that use the connection", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ speed: 0 }, /Speed: above 0 and at most 100000/],
      [{ maxGap: -1 }, /Longest pause: 0 to 3600 seconds/],
      [{ stagger: -1 }, /Between conversations: 0 to 3600 seconds/],
      [{ startDelay: -1 }, /Start after: 0 to 86400 seconds/],
      [{ source: "file", scriptPath: "" }, /Choose a chat script file/],
      [{ source: "file", scriptPath: "missing.jsonl" }, /Chat script missing.jsonl: not found/],
      [{ source: "file", scriptPath: "/dev/zero" }, /Chat script \/dev\/zero: not a regular file/],
      [{ source: "file", scriptPath: "." }, /Chat script \.: not a regular file/],
      [{ mode: "telegram" }, /Connection: one of simulator, whatsapp-web, baileys, cloud \(got telegram\)/],
      [{ mode: "whatsapp-web", pairingPhone: "call me" }, /Pairing phone number/],
      [{ mode: "cloud", phoneNumberId: "106540352242922" }, /needs an access token/],
      [{ mode: "cloud", phoneNumberId: "none" }, /Phone number id: the digits Meta shows for the number/],
    ];
    for (const [config, reason] of cases) {
      await load(config);
      assert.equal(client().transport, undefined, JSON.stringify(config));
      assert.match(client().failure ?? "", reason);
      const state = client().describeState();
      assert.equal(state.state, "error");
      await helper.unload();
    }
  });

  it("Webhook path and Refuse older than: what each accepts", () => {
    assert.equal(webhookPathFromConfig(""), "/whatsapp/webhook");
    assert.equal(webhookPathFromConfig("/hooks/shop-1"), "/hooks/shop-1");
    for (const bad of ["hooks", "/a//b", "/a b", "/../admin", `/${"a".repeat(201)}`])
      assert.throws(() => webhookPathFromConfig(bad), /Webhook path/, bad);
    assert.equal(maxDeliveryAgeFromConfig(""), 24 * 3600_000);
    assert.equal(maxDeliveryAgeFromConfig("0"), 0);
    assert.equal(maxDeliveryAgeFromConfig("720"), 720 * 3600_000);
    for (const bad of ["-1", "721", "soon"]) assert.throws(() => maxDeliveryAgeFromConfig(bad), /Refuse messages older than/, bad);
  });

  it("stops its transport when the flow stops", async () => {
    await load({});
    const transport = client().transport as SimulatedWhatsApp;
    assert.equal(transport.state(), "ready");
    await helper.unload();
    assert.equal(transport.state(), "stopped");
  });
});
