import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import stateNode from "../../src/nodes/wa-session-state";
import storeNode from "../../src/nodes/wa-store";
import { FlowNode, catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

type WithState = {
  wa: {
    session: {
      state: { stage: string | null; slots: Record<string, unknown>; custom: Record<string, unknown>; exists: boolean; version: number };
    };
  };
};
const stateOf = (msg: Record<string, unknown>) => (msg as unknown as WithState).wa.session.state;

describe("wa-session-state node", () => {
  const harness = useNodeHarness();

  function flow(extra: FlowNode[] = [], op: Record<string, unknown> = {}) {
    return inTab([
      {
        id: "s1",
        type: "wa-session-state",
        operation: "topic",
        stateName: "default",
        key: "wa.message.chatId",
        value: "payload",
        path: "custom.visits",
        by: 1,
        ttl: 3600,
        maxKb: 4,
        wires: [["out"]],
        ...op,
      },
      helperNode("out"),
      catchNode(),
      helperNode("errors"),
      ...extra,
    ]);
  }
  const send = (topic: string, payload?: unknown, chat = "447700900123@c.us") =>
    getNode("s1").receive({ ...envelope(chat), topic, payload });

  it("runs get, merge, increment, set and delete chosen by msg.topic", async () => {
    await helper.load([storeNode, stateNode], flow());
    const out = collect("out");
    send("get");
    send("merge", { stage: "ordering", slots: { product: "hoodie" } });
    send("increment", 2);
    send("merge", { slots: { size: "M" } });
    send("get");
    send("delete");
    await until(() => out.length === 6);
    assert.equal(stateOf(out[0]).exists, false);
    assert.deepEqual(stateOf(out[4]).slots, { product: "hoodie", size: "M" });
    assert.equal(stateOf(out[4]).custom.visits, 2);
    assert.equal(stateOf(out[4]).stage, "ordering");
    assert.equal(stateOf(out[5]).exists, false);
  });

  it("forgets a chat after the TTL without writes", async () => {
    await helper.load(stateNode, flow());
    const out = collect("out");
    send("merge", { stage: "payment" });
    await until(() => out.length === 1);
    await harness.clock().advanceAsync(3_600_001);
    send("get");
    await until(() => out.length === 2);
    assert.equal(stateOf(out[1]).exists, false);
  });

  it("keeps state across a restart in an embedded store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-state-node-"));
    helper.settings({ userDir: dir });
    const withStore = () => flow([{ id: "st1", type: "wa-store", backend: "sqlite", file: "state.db" }], { store: "st1" });
    await helper.load([storeNode, stateNode], withStore());
    let out = collect("out");
    send("merge", { language: "pt", slots: { order: "BR-55120" } });
    await until(() => out.length === 1);
    await helper.unload();
    await helper.load([storeNode, stateNode], withStore());
    out = collect("out");
    send("get");
    await until(() => out.length === 1);
    assert.deepEqual(stateOf(out[0]).slots, { order: "BR-55120" });
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends bad operations and values to the Catch node", async () => {
    await helper.load(stateNode, flow());
    const errors = collect("errors");
    send("explode");
    send("merge", "not an object");
    send("merge", { custom: { blob: "x".repeat(5000) } });
    getNode("s1").receive({ topic: "get" });
    await until(() => errors.length === 4);
    const text = errors.map((m) => (m.error as { message: string }).message).join("\n");
    assert.match(text, /msg.topic must be one of get, set, merge, delete, increment/);
    assert.match(text, /must be an object/);
    assert.match(text, /over the 4096 allowed/);
    assert.match(text, /not a WhatsApp envelope/);
  });
});
