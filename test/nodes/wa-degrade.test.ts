import assert from "node:assert/strict";
import degradeNode from "../../src/nodes/wa-degrade";
import { collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";
import { shouldBypass } from "../../src/core/resilience/degradation";

describe("wa-degrade node", () => {
  const harness = useNodeHarness();

  async function load(props: Record<string, unknown> = {}) {
    const route = props.routing !== "mark";
    await helper.load(
      degradeNode,
      inTab([
        { id: "g1", type: "wa-degrade", routing: "route", reducedBelowScore: 70, minimalBelowScore: 40, reducedAboveDepth: 200, minimalAboveDepth: 1000, openBreakerMode: "reduced", recoverSeconds: 30, wires: route ? [["full"], ["reduced"], ["minimal"], ["changes"]] : [["marked"], ["changes"]], ...props },
        ...["full", "reduced", "minimal", "changes", "marked"].map((id) => helperNode(id)),
      ]),
    );
  }
  const score = (n: number) => getNode("g1").receive({ topic: "wa-health-score", payload: { score: n } });

  it("routes by mode: worse at once, better after the recovery time, with a change event each time", async () => {
    await load();
    const outs = Object.fromEntries(["full", "reduced", "minimal", "changes"].map((id) => [id, collect(id)]));
    getNode("g1").receive(envelope("447700900001@c.us", "one"));
    score(60);
    getNode("g1").receive(envelope("447700900001@c.us", "two"));
    score(30);
    getNode("g1").receive(envelope("447700900001@c.us", "three"));
    score(95);
    getNode("g1").receive(envelope("447700900001@c.us", "four"));
    await until(() => outs.full.length + outs.reduced.length + outs.minimal.length === 4);
    assert.deepEqual([outs.full, outs.reduced, outs.minimal].map((o) => o.map((m) => m.payload)), [["one"], ["two"], ["three", "four"]]);
    assert.deepEqual(outs.changes.map((m) => (m.payload as { mode: string }).mode), ["reduced", "minimal"]);
    harness.clock().advance(30_000);
    score(95);
    getNode("g1").receive(envelope("447700900001@c.us", "five"));
    await until(() => outs.full.length === 2);
    assert.deepEqual((outs.changes[2].payload as { mode: string; previous: string }).previous, "minimal");
    assert.equal((outs.full[1] as { degrade: { mode: string } }).degrade.mode, "full");
  });

  it("marks the envelope in mark mode so costly nodes can bypass themselves; an open breaker reduces", async () => {
    await load({ routing: "mark" });
    const marked = collect("marked");
    getNode("g1").receive({ topic: "wa-breaker", payload: { name: "sheets", state: "open" } });
    getNode("g1").receive(envelope("447700900001@c.us", "x"));
    await until(() => marked.length === 1);
    const msg = marked[0] as { wa: { resilience: { mode: string } } };
    assert.equal(msg.wa.resilience.mode, "reduced");
    assert.equal(shouldBypass(msg, "reduced"), true);
    assert.equal(shouldBypass(msg, "minimal"), false);
  });
});
