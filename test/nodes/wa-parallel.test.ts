import assert from "node:assert/strict";
import parallelNode from "../../src/nodes/wa-parallel";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";

type Slot = {
  payload: string;
  wa: { session: { parallel: { enqueuedAt: number; deliveredAt: number } }; trace: { nodeType: string; start: number; end: number }[] };
};

describe("wa-parallel node", () => {
  const harness = useNodeHarness();

  function flow(limit: Record<string, unknown> = {}) {
    return inTab([
      {
        id: "p1",
        type: "wa-parallel",
        mode: "limit",
        poolName: "default",
        key: "wa.message.chatId",
        maxInFlight: 2,
        perChat: 1,
        maxWaiting: 100,
        ackTimeout: 60,
        wires: [["go"], ["refused"]],
        ...limit,
      },
      { id: "r1", type: "wa-parallel", mode: "release", poolName: "default", wires: [["released"]] },
      helperNode("go"),
      helperNode("refused"),
      helperNode("released"),
      catchNode(),
      helperNode("errors"),
    ]);
  }

  it("lets at most N through overall and one per chat, others in arrival order; the wait is traced", async () => {
    await helper.load(parallelNode, flow());
    const go = collect("go");
    const limit = getNode("p1");
    limit.receive(envelope("A@c.us", "a1"));
    limit.receive(envelope("A@c.us", "a2"));
    limit.receive(envelope("B@c.us", "b1"));
    limit.receive(envelope("C@c.us", "c1"));
    await until(() => go.length === 2);
    assert.deepEqual(
      go.map((m) => m.payload),
      ["a1", "b1"],
    );
    await harness.clock().advanceAsync(250);
    getNode("r1").receive(go[0]);
    await until(() => go.length === 3);
    // a2 arrived before c1, and chat A has room again.
    assert.equal(go[2].payload, "a2");
    const waited = go[2] as unknown as Slot;
    assert.equal(waited.wa.session.parallel.deliveredAt - waited.wa.session.parallel.enqueuedAt, 250);
    const span = waited.wa.trace.find((s) => s.nodeType === "wa-parallel")!;
    assert.equal(span.end - span.start, 250);
    getNode("r1").receive(go[1]);
    await until(() => go.length === 4);
    assert.equal(go[3].payload, "c1");
  });

  it("lets K messages of one chat run together", async () => {
    await helper.load(parallelNode, flow({ maxInFlight: 5, perChat: 3 }));
    const go = collect("go");
    for (let i = 1; i <= 5; i += 1) getNode("p1").receive(envelope("A@c.us", `a${i}`));
    await until(() => go.length === 3);
    assert.deepEqual(
      go.map((m) => m.payload),
      ["a1", "a2", "a3"],
    );
  });

  it("refuses past the waiting bound, and frees a slot held too long with an error", async () => {
    await helper.load(parallelNode, flow({ maxInFlight: 1, maxWaiting: 1, ackTimeout: 2 }));
    const refused = collect("refused");
    const errors = collect("errors");
    const go = collect("go");
    ["x1", "x2", "x3"].forEach((body, i) => getNode("p1").receive(envelope(`${i}@c.us`, body)));
    await until(() => refused.length === 1);
    assert.equal(refused[0].payload, "x3");
    await harness.clock().advanceAsync(2000);
    await until(() => errors.length === 1 && go.length === 2);
    assert.equal(errors[0].payload, "x1");
    assert.equal(go[1].payload, "x2");
  });

  it("refuses per chat above in flight, with the reason", async () => {
    await helper.load(parallelNode, flow({ maxInFlight: 2, perChat: 3 }));
    const errors = collect("errors");
    getNode("p1").receive(envelope("A@c.us"));
    await until(() => errors.length === 1);
    assert.match((errors[0].error as { message: string }).message, /Per chat: at most In flight \(2\)/);
  });
});
