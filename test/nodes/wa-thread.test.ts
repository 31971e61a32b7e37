import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import storeNode from "../../src/nodes/wa-store";
import threadNode, { threadSettingsFromConfig } from "../../src/nodes/wa-thread";
import { FlowNode, catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

type Thread = { id: string; isNew: boolean; reason: string; messages: number };
const threadOf = (m: Record<string, unknown>) => (m.wa as { nlu: { thread: Thread } }).nlu.thread;
const CHAT = "447700900001@c.us";

describe("wa-thread node", () => {
  const harness = useNodeHarness();
  const flow = (props: Record<string, unknown> = {}, extra: FlowNode[] = []) =>
    inTab([
      {
        id: "th1",
        type: "wa-thread",
        threadName: "shop",
        closeAfterHours: 1,
        resumeAfterMinutes: 30,
        participantMinutes: 30,
        joinSimilarity: 0.2,
        smallGroupWriters: 6,
        cues: "",
        wires: [["out"], ["events"]],
        ...props,
      },
      helperNode("out"),
      helperNode("events"),
      catchNode(),
      helperNode("errors"),
      ...extra,
    ]);
  const customer = (text: string, extra: Record<string, unknown> = {}, id?: string) => {
    const msg = envelope(CHAT, text, id) as { wa: { message: Record<string, unknown>; nlu?: unknown } };
    msg.wa.message.timestamp = harness.clock().now();
    Object.assign(msg.wa.message, extra);
    return msg as unknown as Record<string, unknown>;
  };

  it("threads a chat, tells opened and closed threads, and passes the business's messages through", async () => {
    await helper.load(threadNode, flow({ cues: "neue frage" }));
    const out = collect("out");
    const events = collect("events");
    getNode("th1").receive(customer("my order BR-20931 has not arrived", {}, "q1"));
    getNode("th1").receive(customer("it was due on friday"));
    getNode("th1").receive(customer("Neue Frage: do you sell gift cards?"));
    getNode("th1").receive(customer("ok", { quotedId: "q1" }));
    getNode("th1").receive({ payload: "sent", wa: { message: { chatId: CHAT }, sent: { id: "r1", chatId: CHAT, sentAt: 0 }, trace: [] } });
    await until(() => out.length === 5);
    const passed = out.filter((m) => (m.wa as { sent?: unknown }).sent);
    assert.deepEqual([passed.length, (passed[0].wa as { nlu?: unknown }).nlu], [1, undefined]);
    assert.deepEqual(
      out.filter((m) => !(m.wa as { sent?: unknown }).sent).map((m) => [threadOf(m).id, threadOf(m).reason]),
      [
        ["t1", "first"],
        ["t1", "continued"],
        ["t2", "new-topic"],
        ["t1", "quote"],
      ],
    );
    assert.deepEqual(
      events.map((e) => [e.topic, (e.payload as { threadId: string }).threadId]),
      [
        ["wa-thread:opened", "t1"],
        ["wa-thread:opened", "t2"],
      ],
    );
    await harness.clock().advanceAsync(3_600_000 + 60_000);
    await until(() => events.length === 4);
    const closed = events.slice(2).map((e) => e.payload as { threadId: string; messages: number; chatId: string });
    assert.deepEqual(closed.map((c) => [c.threadId, c.messages, c.chatId]).sort(), [
      ["t1", 3, CHAT],
      ["t2", 1, CHAT],
    ]);
    const texts = getNode("th1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /4 messages · 2 threads opened · 2 closed/.test(t)),
      texts.join(" | "),
    );
  });

  it("keeps threads across a restart in an embedded store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-thread-node-"));
    helper.settings({ userDir: dir });
    const withStore = () => flow({ store: "st1" }, [{ id: "st1", type: "wa-store", backend: "sqlite", file: "threads.db" }]);
    await helper.load([storeNode, threadNode], withStore());
    let out = collect("out");
    getNode("th1").receive(customer("where is my parcel?", {}, "p1"));
    getNode("th1").receive(customer("btw do you have the lamp in green?", {}, "p2"));
    await until(() => out.length === 2);
    await helper.unload();
    await helper.load([storeNode, threadNode], withStore());
    out = collect("out");
    getNode("th1").receive(customer("any news?", { quotedId: "p1" }));
    await until(() => out.length === 1);
    assert.deepEqual([threadOf(out[0]).id, threadOf(out[0]).messages], ["t1", 2]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads a flow saved before 'Shared topics up to': ticked meant every group, unticked takes the default", () => {
    const base = {
      id: "x",
      type: "wa-thread",
      z: "",
      name: "",
      store: "",
      threadName: "t",
      closeAfterHours: 72,
      resumeAfterMinutes: 30,
      participantMinutes: 30,
      joinSimilarity: 0.2,
      cues: "",
    };
    assert.equal(threadSettingsFromConfig({ ...base, topicsInGroups: true }).options.smallGroupWriters, 1000);
    assert.equal(threadSettingsFromConfig({ ...base, topicsInGroups: false }).options.smallGroupWriters, 6);
    assert.equal(threadSettingsFromConfig({ ...base, smallGroupWriters: "0", topicsInGroups: true }).options.smallGroupWriters, 0);
  });

  it("refuses settings it cannot use and sends non-envelopes to Catch; odd text is still threaded", async () => {
    for (const [bad, field] of [
      [{ closeAfterHours: 0 }, /Close a thread after/],
      [{ smallGroupWriters: 2.5 }, /Shared topics up to/],
    ] as const) {
      await helper.load(threadNode, flow(bad));
      const texts = getNode("th1")
        .status.getCalls()
        .map((call) => String((call.args[0] as { text?: string }).text));
      assert.ok(
        texts.some((t) => field.test(t)),
        texts.join(" | "),
      );
      await helper.unload();
    }
    await helper.load(threadNode, flow());
    const out = collect("out");
    const errors = collect("errors");
    getNode("th1").receive({ payload: "no envelope" });
    getNode("th1").receive(customer(""));
    getNode("th1").receive(customer(`${"x".repeat(1_000_000)}\ud800`));
    getNode("th1").receive(customer("😀😀😀", { timestamp: "yesterday" }));
    await until(() => errors.length === 1 && out.length === 3);
    assert.equal((errors[0].error as { code?: string }).code, "envelope.missing");
    assert.deepEqual(
      out.map((m) => threadOf(m).id),
      ["t1", "t1", "t1"],
    );
  });
});
