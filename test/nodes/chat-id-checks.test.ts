import assert from "node:assert/strict";
import dedupeNode from "../../src/nodes/wa-dedupe";
import flowNode from "../../src/nodes/wa-flow-analyzer";
import orderingNode from "../../src/nodes/wa-ordering";
import threadNode from "../../src/nodes/wa-thread";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

/** Chat ids that wa in would never emit: every node that keys state by chat refuses them the same way. */
const HOSTILE_CHAT_IDS: [string, unknown][] = [
  ["10 KB long", `${"9".repeat(10_240)}@c.us`],
  ["with a newline", "447700900123@c.us\nX-Injected: 1"],
  ["with a NUL", "447700900123\u0000@c.us"],
  ["not a string", { $gt: "" }],
];

describe("one chat id check for every node that reads a chat id", () => {
  const harness = useNodeHarness();

  const nodes = [
    {
      type: "wa-thread",
      node: {
        type: "wa-thread",
        threadName: "shop",
        closeAfterHours: 1,
        resumeAfterMinutes: 30,
        participantMinutes: 30,
        joinSimilarity: 0.2,
        smallGroupWriters: 6,
        cues: "",
        wires: [["out"], []],
      },
    },
    {
      type: "wa-flow-analyzer",
      node: {
        type: "wa-flow-analyzer",
        flowName: "shop",
        unansweredMinutes: 5,
        negativeStreak: 2,
        humanIntents: "human",
        ttlHours: 72,
        wires: [["out"], []],
      },
    },
    {
      type: "wa-dedupe",
      node: {
        type: "wa-dedupe",
        dedupeName: "orders",
        key: "wa.message.id",
        keyType: "msg",
        ttlHours: 1,
        action: "claim",
        wires: [["out"], []],
      },
    },
    {
      type: "wa-ordering",
      node: {
        type: "wa-ordering",
        orderBy: "timestamp",
        orderProperty: "wa.message.timestamp",
        chatProperty: "wa.message.chatId",
        idProperty: "wa.message.id",
        maxWaitMs: 2000,
        maxHeldPerChat: 100,
        startAt: "",
        wires: [["out"], []],
      },
    },
  ];

  for (const { type, node } of nodes) {
    it(`${type} sends a message with a hostile chat id to the Catch node with envelope.invalidChatId, and serves the next`, async () => {
      await helper.load(
        [threadNode, flowNode, dedupeNode, orderingNode],
        inTab([{ id: "n1", ...node }, helperNode("out"), catchNode(), helperNode("errors")]),
      );
      const errors = collect("errors");
      const out = collect("out");
      for (const [, chatId] of HOSTILE_CHAT_IDS) getNode("n1").receive(envelope(chatId, "hi"));
      await untilReal(() => errors.length === HOSTILE_CHAT_IDS.length, 3000);
      assert.deepEqual(
        errors.map((e) => (e.error as { code?: string }).code),
        HOSTILE_CHAT_IDS.map(() => "envelope.invalidChatId"),
      );
      assert.ok(
        errors.every((e) => String((e.error as { message: string }).message).length < 300),
        "the error does not repeat a 10 KB id",
      );
      const good = envelope("447700900123@c.us", "hello", "wamid.good");
      (good.wa as { message: { timestamp: number } }).message.timestamp = 1;
      getNode("n1").receive(good);
      // The ordering node holds a chat's first message for its wait; the others pass it at once.
      await harness.clock().advanceAsync(2500);
      await untilReal(() => out.length === 1, 3000);
    });
  }
});
