import assert from "node:assert/strict";
import { WaError } from "../../src/core/errors";
import { StatusReporter, onInput } from "../../src/nodes/kit/node-kit";
import type { Node, NodeAPI, NodeDef } from "../../src/nodes/kit/red";
import { runtimeWorld } from "../../src/nodes/kit/world";
import { catchNode, collect, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

/** A node type made for this test: its handler fails in the ways an adapter's could. */
function failingNodes(RED: NodeAPI): void {
  function Failing(this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const status = new StatusReporter(this, runtimeWorld().clock);
    onInput(RED, this, status, (msg, send, done) => {
      if (msg.topic === "throw") throw new TypeError("Cannot read properties of undefined (reading 'x')");
      if (msg.topic === "wa-error")
        throw new WaError("key.missing", "The message has no chat in msg.wa.message.chatId", { property: "wa.message.chatId" });
      if (msg.topic === "reject") return Promise.reject(new Error("the store went away"));
      send(msg);
      done();
      return undefined;
    });
  }
  RED.nodes.registerType("test-failing", Failing);
}

describe("the input funnel every adapter registers its handler through (kit onInput)", () => {
  useNodeHarness();

  it("fails only the message a handler throws on or rejects, with a code, a red status and the Catch node", async () => {
    await helper.load(
      failingNodes,
      inTab([{ id: "fail1", type: "test-failing", wires: [["out"]] }, helperNode("out"), catchNode(), helperNode("errors")]),
    );
    const out = collect("out");
    const errors = collect("errors");
    for (const topic of ["throw", "wa-error", "reject", "fine"]) getNode("fail1").receive({ topic, payload: topic });
    await until(() => errors.length === 3 && out.length === 1);
    assert.deepEqual(
      errors.map((m) => [m.topic, (m.error as { code: string }).code]),
      [
        ["throw", "internal.unexpected"],
        ["wa-error", "key.missing"],
        ["reject", "internal.unexpected"],
      ],
    );
    assert.equal(out[0].topic, "fine", "the next message goes through");
    const fills = getNode("fail1")
      .status.getCalls()
      .map((call) => (call.args[0] as { fill?: string }).fill);
    assert.ok(fills.includes("red"), "the status shows the failure");
  });
});
