import assert from "node:assert/strict";
import degradeNode, { degradeSettingsFromConfig } from "../../src/nodes/wa-degrade";
import scoreNode from "../../src/nodes/wa-health-score";
import { lastHealthScore } from "../../src/nodes/kit/signals";
import queueNode from "../../src/nodes/wa-message-queue";
import sheetsNode from "../../src/nodes/wa-sheets";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, useNodeHarness } from "./harness";
import { shouldBypass } from "../../src/core/resilience/degradation";
import type { WaSheetsNode } from "../../src/nodes/kit/contracts";

describe("wa-degrade node", () => {
  const harness = useNodeHarness();

  async function load(props: Record<string, unknown> = {}) {
    const route = props.routing !== "mark";
    await helper.load(
      degradeNode,
      inTab([
        {
          id: "g1",
          type: "wa-degrade",
          routing: "route",
          reducedBelowScore: 70,
          minimalBelowScore: 40,
          reducedAboveDepth: 200,
          minimalAboveDepth: 1000,
          openBreakerMode: "reduced",
          recoverSeconds: 30,
          wires: route ? [["full"], ["reduced"], ["minimal"], ["changes"]] : [["marked"], ["changes"]],
          ...props,
        },
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
    assert.deepEqual(
      [outs.full, outs.reduced, outs.minimal].map((o) => o.map((m) => m.payload)),
      [["one"], ["two"], ["three", "four"]],
    );
    assert.deepEqual(
      outs.changes.map((m) => (m.payload as { mode: string }).mode),
      ["reduced", "minimal"],
    );
    harness.clock().advance(30_000);
    score(95);
    getNode("g1").receive(envelope("447700900001@c.us", "five"));
    await until(() => outs.full.length === 2);
    assert.deepEqual((outs.changes[2].payload as { mode: string; previous: string }).previous, "minimal");
    assert.equal((outs.full[1] as { wa: { resilience: { mode: string } } }).wa.resilience.mode, "full");
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

  const modeOf = (msg: Record<string, unknown>) => (msg as { wa: { resilience: { mode: string } } }).wa.resilience.mode;
  const changes = (seen: Record<string, unknown>[]) => seen.map((m) => (m.payload as { mode: string }).mode);

  it("Health score: reads the chosen wa-health-score node without a wire", async () => {
    await helper.load(
      [degradeNode, scoreNode],
      inTab([
        {
          id: "hs",
          type: "wa-health-score",
          threshold: 5,
          queueName: "",
          wErrorRate: 100,
          wLatency: 0,
          wQueueDepth: 0,
          wClient: 0,
          wBreaker: 0,
          wires: [[]],
        },
        {
          id: "g1",
          type: "wa-degrade",
          routing: "mark",
          healthNode: "hs",
          reducedBelowScore: 70,
          minimalBelowScore: 40,
          reducedAboveDepth: 200,
          minimalAboveDepth: 1000,
          openBreakerMode: "reduced",
          recoverSeconds: 30,
          wires: [["marked"], ["changes"]],
        },
        helperNode("marked"),
        helperNode("changes"),
      ]),
    );
    const marked = collect("marked");
    // An error rate of 0.1 scores 50 on the error-rate part alone: below 70, above 40.
    getNode("hs").receive({ topic: "wa-perf", payload: { errorRate: 0.1, endToEnd: { p99: 100, count: 10 } } });
    await until(() => (lastHealthScore("hs")?.score ?? 100) < 70);
    getNode("g1").receive(envelope("447700900001@c.us", "x"));
    await until(() => marked.length === 1);
    assert.equal(modeOf(marked[0]), "reduced");
  });

  it("Queue name and depths: a named wa-message-queue in this runtime, or depths reported by message", async () => {
    await helper.load(
      [degradeNode, queueNode],
      inTab([
        {
          id: "q1",
          type: "wa-message-queue",
          mode: "enqueue",
          queueName: "orders",
          key: "wa.message.chatId",
          maxPerChat: 100,
          maxTotal: 1000,
          overflow: "reject",
          ackTimeout: 60,
          wires: [["held"], []],
        },
        {
          id: "g1",
          type: "wa-degrade",
          routing: "route",
          queueName: "orders",
          reducedBelowScore: 70,
          minimalBelowScore: 40,
          reducedAboveDepth: 3,
          minimalAboveDepth: 6,
          openBreakerMode: "reduced",
          recoverSeconds: 0,
          wires: [["full"], ["reduced"], ["minimal"], ["changes"]],
        },
        ...["held", "full", "reduced", "minimal", "changes"].map((id) => helperNode(id)),
      ]),
    );
    const outs = Object.fromEntries(["held", "full", "reduced", "minimal", "changes"].map((id) => [id, collect(id)]));
    // One chat, never acknowledged: one in flight, the rest waiting.
    for (let i = 0; i < 4; i += 1) getNode("q1").receive(envelope("447700900001@c.us", `q${i}`));
    await until(() => outs.held.length === 1);
    getNode("g1").receive(envelope("447700900002@c.us", "at depth 4"));
    await until(() => outs.reduced.length === 1);
    for (let i = 4; i < 7; i += 1) getNode("q1").receive(envelope("447700900001@c.us", `q${i}`));
    getNode("g1").receive(envelope("447700900002@c.us", "at depth 7"));
    await until(() => outs.minimal.length === 1);
    assert.deepEqual(changes(outs.changes), ["reduced", "minimal"]);
    assert.deepEqual((outs.changes[1].payload as { inputs: { queueDepth: number } }).inputs.queueDepth, 7);
  });

  it("a depth reported as wa-queue-depth counts when no queue is named; recovery needs a margin below the threshold", async () => {
    await load({ reducedAboveDepth: 100, minimalAboveDepth: 500, recoverSeconds: 0 });
    const outs = Object.fromEntries(["full", "reduced", "changes"].map((id) => [id, collect(id)]));
    getNode("g1").receive({ topic: "wa-queue-depth", payload: 150 });
    // 90 is under the threshold but inside the margin (a quarter of 100): still reduced.
    getNode("g1").receive({ topic: "wa-queue-depth", payload: 90 });
    getNode("g1").receive(envelope("447700900001@c.us", "one"));
    getNode("g1").receive({ topic: "wa-queue-depth", payload: 70 });
    getNode("g1").receive(envelope("447700900001@c.us", "two"));
    await until(() => outs.reduced.length + outs.full.length === 2);
    assert.deepEqual([outs.reduced.map((m) => m.payload), outs.full.map((m) => m.payload)], [["one"], ["two"]]);
    assert.deepEqual(changes(outs.changes), ["reduced", "full"]);
  });

  it("When a breaker is open: each of full, reduced and minimal, from the chosen Sheets connection", async () => {
    for (const openBreakerMode of ["full", "reduced", "minimal"]) {
      const key = JSON.stringify({
        type: "service_account",
        client_email: "w@example-project.iam.gserviceaccount.com",
        private_key: readFileSync(join(__dirname, "..", "fixtures", "known-answers", "test-only-service-account.pem"), "utf8"),
      });
      await helper.load(
        [degradeNode, sheetsNode],
        inTab([
          {
            id: "sh1",
            type: "wa-sheets",
            spreadsheetId: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
            apiRoot: "http://127.0.0.1:9/",
            requestsPerMinute: 60,
            cacheSeconds: 60,
            staleSeconds: 300,
            cacheStore: "",
            minimumCalls: 2,
            failureRate: 0.5,
          },
          {
            id: "g1",
            type: "wa-degrade",
            routing: "route",
            sheets: "sh1",
            reducedBelowScore: 70,
            minimalBelowScore: 40,
            reducedAboveDepth: 200,
            minimalAboveDepth: 1000,
            openBreakerMode,
            recoverSeconds: 30,
            wires: [["full"], ["reduced"], ["minimal"], ["changes"]],
          },
          ...["full", "reduced", "minimal", "changes"].map((id) => helperNode(id)),
        ]),
        { sh1: { key } },
      );
      const outs = Object.fromEntries(["full", "reduced", "minimal"].map((id) => [id, collect(id)]));
      const breaker = (helper.getNode("sh1") as unknown as WaSheetsNode).breaker!;
      while (breaker.state() !== "open") breaker.recordFailure("503: unavailable");
      getNode("g1").receive(envelope("447700900001@c.us", openBreakerMode));
      await until(() => outs.full.length + outs.reduced.length + outs.minimal.length === 1);
      assert.deepEqual(
        outs[openBreakerMode].map((m) => m.payload),
        [openBreakerMode],
        openBreakerMode,
      );
      await helper.unload();
    }
  });

  it("looks again every 5 seconds without a message, and reports the change", async () => {
    await load({ recoverSeconds: 10 });
    const changed = collect("changes");
    getNode("g1").receive({ topic: "wa-queue-depth", payload: 5000 });
    await until(() => changed.length === 1);
    getNode("g1").receive({ topic: "wa-queue-depth", payload: 0 });
    // Clear of the thresholds from now: the 5-second look 10 seconds later brings it back without any message.
    await harness.clock().advanceAsync(5_000);
    await until(() => true);
    assert.equal(changed.length, 1, "not yet clear for the recovery time");
    await harness.clock().advanceAsync(5_000);
    await until(() => changed.length === 2);
    assert.deepEqual(changes(changed), ["minimal", "full"]);
    assert.deepEqual((changed[1].payload as { reasons: string[] }).reasons, ["recovered"]);
  });

  it("refuses settings it cannot use, naming the field, and stays out of action", async () => {
    const base = {
      routing: "route",
      reducedBelowScore: 70,
      minimalBelowScore: 40,
      reducedAboveDepth: 200,
      minimalAboveDepth: 1000,
      openBreakerMode: "reduced",
      recoverSeconds: 30,
    };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ routing: "split" }, "routing", /^Messages: one of route, mark \(got split\)$/],
      [{ minimalBelowScore: 80 }, "minimalBelowScore", /^Score for minimal: at most Score for reduced \(70\)$/],
      [{ reducedBelowScore: 101 }, "reducedBelowScore", /^Score for reduced: 0 to 100$/],
      [{ minimalAboveDepth: 100 }, "minimalAboveDepth", /^Queue depth for minimal: at least Queue depth for reduced \(200\)$/],
      [{ reducedAboveDepth: 2.5 }, "reducedAboveDepth", /^Queue depth for reduced: a whole number, 1 to 1000000$/],
      [{ openBreakerMode: "off" }, "openBreakerMode", /^Open breaker: one of full, reduced, minimal \(got off\)$/],
      [{ recoverSeconds: 3601 }, "recoverSeconds", /^Recover after: 0 to 3600 seconds$/],
      [{ queueName: "two words" }, "queueName", /^Queue: up to 64 letters/],
    ];

    for (const [change, field, reason] of cases) {
      assert.throws(
        () => degradeSettingsFromConfig({ ...base, ...change } as never),
        (error: { code: string; field?: string; message: string; params?: { field?: string } }) =>
          error.code === "config.invalid" && error.params?.field === field && reason.test(error.message),
        JSON.stringify(change),
      );
    }
    await helper.load(
      degradeNode,
      inTab([
        { id: "g1", type: "wa-degrade", ...base, recoverSeconds: -1, wires: [["full"], [], [], []] },
        helperNode("full"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const full = collect("full");
    const errors = collect("errors");
    const status = getNode("g1").status.lastCall!.args[0] as { fill: string; text: string };
    assert.equal(status.fill, "red");
    assert.match(status.text, /Recover after/);
    getNode("g1").receive(envelope("447700900001@c.us", "x"));
    await until(() => errors.length === 1);
    assert.equal((errors[0].error as { code: string }).code, "config.invalid");
    assert.equal(full.length, 0);
  });
});
