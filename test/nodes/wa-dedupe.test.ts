import { resilienceOf } from "../support/envelope-parts";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dedupeNode from "../../src/nodes/wa-dedupe";
import storeNode from "../../src/nodes/wa-store";
import { FlowNode, catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness } from "./harness";

describe("wa-dedupe node", () => {
  const harness = useNodeHarness();

  function flow(extra: FlowNode[] = [], props: Record<string, unknown> = {}) {
    return inTab([
      {
        id: "d1",
        type: "wa-dedupe",
        dedupeName: "orders",
        key: "wa.message.id",
        keyType: "msg",
        ttlHours: 1,
        action: "claim",
        wires: [["first"], ["dup"]],
        ...props,
      },
      {
        id: "d2",
        type: "wa-dedupe",
        dedupeName: "orders",
        key: "wa.message.id",
        keyType: "msg",
        ttlHours: 1,
        action: "forget",
        wires: [["forgot"]],
        ...(props.store ? { store: props.store } : {}),
      },
      helperNode("first"),
      helperNode("dup"),
      helperNode("forgot"),
      catchNode(),
      helperNode("errors"),
      ...extra,
    ]);
  }

  it("lets the first message with an id through, diverts the rest, and lets it pass again after forget or the TTL", async () => {
    await helper.load(dedupeNode, flow());
    const first = collect("first");
    const dup = collect("dup");
    const forgot = collect("forgot");
    getNode("d1").receive(envelope("447700900001@c.us", "a", "wamid.1"));
    getNode("d1").receive(envelope("447700900001@c.us", "a again", "wamid.1"));
    getNode("d1").receive(envelope("447700900001@c.us", "b", "wamid.2"));
    await until(() => first.length + dup.length === 3);
    assert.deepEqual(
      first.map((m) => m.payload),
      ["a", "b"],
    );
    assert.deepEqual((resilienceOf(dup[0]).dedupe as { first: boolean }).first, false);
    assert.equal((resilienceOf(dup[0]).dedupe as { firstSeenAt: number }).firstSeenAt, harness.clock().now());
    getNode("d2").receive(envelope("447700900001@c.us", "", "wamid.1"));
    await until(() => forgot.length === 1);
    assert.deepEqual(resilienceOf(forgot[0]).dedupe, { key: "wamid.1", forgotten: true });
    getNode("d1").receive(envelope("447700900001@c.us", "a after forget", "wamid.1"));
    await until(() => first.length === 3);
    harness.clock().advance(3_600_000);
    getNode("d1").receive(envelope("447700900001@c.us", "b after an hour", "wamid.2"));
    await until(() => first.length === 4);
    assert.equal(dup.length, 1);
  });

  it("takes a JSONata key and sends messages without a key to Catch", async () => {
    await helper.load(dedupeNode, flow([], { key: 'wa.message.chatId & ":" & payload.order', keyType: "jsonata" }));
    const first = collect("first");
    const dup = collect("dup");
    const errors = collect("errors");
    const order = (chat: string, o: string) => ({ ...envelope(chat, "x"), payload: { order: o } });
    getNode("d1").receive(order("447700900001@c.us", "A-1"));
    getNode("d1").receive(order("447700900002@c.us", "A-1"));
    getNode("d1").receive(order("447700900001@c.us", "A-1"));
    getNode("d2").receive({ payload: "no envelope, so no wa.message.id" });
    await until(() => first.length + dup.length + errors.length === 4);
    assert.equal(first.length, 2);
    assert.equal(resilienceOf(dup[0]).dedupe!.key, "447700900001@c.us:A-1");
    assert.equal((errors[0].error as { code?: string }).code, "key.missing");
  });

  it("remembers keys across a restart with the embedded store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-dedupe-"));
    helper.settings({ userDir: dir });
    const store = [{ id: "st1", type: "wa-store", backend: "sqlite", file: "dedupe.db" }];
    await helper.load([storeNode, dedupeNode], flow(store, { store: "st1" }));
    let first = collect("first");
    getNode("d1").receive(envelope("447700900001@c.us", "a", "wamid.9"));
    await untilReal(() => first.length === 1, 5000);
    await helper.unload();
    await helper.load([storeNode, dedupeNode], flow(store, { store: "st1" }));
    first = collect("first");
    const dup = collect("dup");
    getNode("d1").receive(envelope("447700900001@c.us", "a redelivered", "wamid.9"));
    await untilReal(() => dup.length === 1, 5000);
    assert.equal(first.length, 0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses bad settings in the status", async () => {
    await helper.load(dedupeNode, flow([], { key: "(((", keyType: "jsonata" }));
    const texts = getNode("d1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((text) => /JSONata expression does not parse/.test(text)),
      texts.join(" | "),
    );
  });
});
