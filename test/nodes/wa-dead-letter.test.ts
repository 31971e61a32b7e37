import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import deadLetterNode, { deadLetterSettingsFromConfig } from "../../src/nodes/wa-dead-letter";
import storeNode from "../../src/nodes/wa-store";
import { FlowNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness } from "./harness";

type Letter = { id: string; attempts: number; replay: string; lastError: { message: string } };

describe("wa-dead-letter node", () => {
  const harness = useNodeHarness();

  function flow(props: Record<string, unknown> = {}, extra: FlowNode[] = []) {
    return inTab([
      {
        id: "dl1",
        type: "wa-dead-letter",
        dlqName: "orders",
        autoRetry: true,
        maxAttempts: 3,
        backoffSeconds: 10,
        maxBackoffMinutes: 10,
        settleMinutes: 5,
        maxEntries: 100,
        checkSeconds: 1,
        wires: [["replayed"], ["reports"]],
        ...props,
      },
      helperNode("replayed"),
      helperNode("reports"),
      ...extra,
    ]);
  }
  const failed = (payload: string, id = `wamid.${payload}`) => ({
    ...envelope("447700900001@c.us", payload, id),
    error: {
      message: "Google Sheets refused the row: 403",
      code: "sheets.rejected",
      source: { id: "w1", type: "wa-sheets-write", name: "orders sheet" },
    },
  });
  async function advance(ms: number) {
    for (let left = ms; left > 0; left -= 500) {
      await harness.clock().advanceAsync(Math.min(500, left));
    }
  }

  it("keeps failures, retries them with backoff, counts attempts, and stops at the limit with an exhausted report", async () => {
    await helper.load(deadLetterNode, flow());
    const replayed = collect("replayed");
    const reports = collect("reports");
    getNode("dl1").receive(failed("order 1"));
    await until(() => true);
    await advance(7500);
    assert.equal(replayed.length, 0, "not before the first backoff (10 s, jitter 0.8..1.2)");
    await advance(5000);
    await until(() => replayed.length === 1);
    const first = replayed[0] as { payload: string; error?: unknown; deadLetter: Letter };
    assert.equal(first.payload, "order 1");
    assert.equal(first.error, undefined);
    assert.deepEqual([first.deadLetter.attempts, first.deadLetter.replay], [1, "automatic"]);
    assert.match(first.deadLetter.lastError.message, /403/);
    getNode("dl1").receive({ ...first, error: { message: "still 403" } });
    await advance(30_000);
    await until(() => replayed.length === 2);
    const second = replayed[1] as { deadLetter: Letter };
    assert.equal(second.deadLetter.id, first.deadLetter.id, "the same entry, updated");
    assert.equal(second.deadLetter.attempts, 2);
    getNode("dl1").receive({ ...second, error: { message: "403 for good" } });
    await until(() => reports.some((m) => m.topic === "dead-letter:exhausted"));
    await advance(3_600_000 / 6);
    assert.equal(replayed.length, 2, "no automatic retry after the limit");
    getNode("dl1").receive({ topic: "dead-letter:replay", payload: first.deadLetter.id });
    await until(() => replayed.length === 3);
    assert.equal((replayed[2] as { deadLetter: Letter }).deadLetter.replay, "manual");
    getNode("dl1").receive({ ...replayed[2], payload: "got through" });
    getNode("dl1").receive({ topic: "dead-letter:metrics" });
    await until(() => reports.some((m) => m.topic === "dead-letter:metrics"));
    assert.equal(
      (reports.find((m) => m.topic === "dead-letter:metrics")!.payload as { depth: number }).depth,
      0,
      "the replay that got through is removed",
    );
  });

  it("lists, inspects and purges by message; the admin API lists, inspects, replays and purges", async () => {
    await helper.load(deadLetterNode, flow({ autoRetry: false }));
    const replayed = collect("replayed");
    const reports = collect("reports");
    for (const p of ["a", "b", "c"]) getNode("dl1").receive(failed(p));
    getNode("dl1").receive({ topic: "dead-letter:list" });
    await until(() => reports.some((m) => m.topic === "dead-letter:list"));
    const listed = reports.find((m) => m.topic === "dead-letter:list")!.payload as {
      total: number;
      entries: { id: string; source: { name: string }; chatId: string }[];
    };
    assert.equal(listed.total, 3);
    assert.equal(listed.entries[0].source.name, "orders sheet");
    assert.equal(listed.entries[0].chatId, "447700900001@c.us");
    const [a, b] = listed.entries.map((e) => e.id);

    const api = await helper.request().get("/wa-pipeline/dead-letters/dl1/entries").expect(200);
    assert.equal(api.body.total, 3);
    assert.equal(api.body.metrics.waiting, 3);
    const inspected = await helper.request().get(`/wa-pipeline/dead-letters/dl1/entries/${a}`).expect(200);
    assert.equal(inspected.body.message.payload, "a");
    await helper.request().get("/wa-pipeline/dead-letters/dl1/entries/nope").expect(404);
    await helper.request().get("/wa-pipeline/dead-letters/unknown-node/entries").expect(404);
    const replay = await helper.request().post("/wa-pipeline/dead-letters/dl1/replay").send({ entry: b }).expect(200);
    assert.equal(replay.body.replayed, 1);
    await until(() => replayed.length === 1);
    assert.equal(replayed[0].payload, "b");
    const purge = await helper.request().post("/wa-pipeline/dead-letters/dl1/purge").send({ entry: a }).expect(200);
    assert.equal(purge.body.purged, 1);
    getNode("dl1").receive({ topic: "dead-letter:purge" });
    await until(() => reports.some((m) => m.topic === "dead-letter:purged"));
    assert.equal((reports.find((m) => m.topic === "dead-letter:purged")!.payload as { purged: number }).purged, 2);
    getNode("dl1").receive({ topic: "dead-letter:inspect", payload: a });
    getNode("dl1").receive({ topic: "dead-letter:explode" });
    await until(() => reports.some((m) => m.topic === "dead-letter:refused"));
    assert.match(
      (reports.find((m) => m.topic === "dead-letter:refused")!.payload as { reason: string }).reason,
      /No dead letter with the id/,
    );
  });

  it("keeps entries across a restart with the embedded store and replays one interrupted by it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wa-dlq-"));
    helper.settings({ userDir: dir });
    const store = [{ id: "st1", type: "wa-store", backend: "sqlite", file: "dlq.db" }];
    await helper.load([storeNode, deadLetterNode], flow({ store: "st1", autoRetry: false }, store));
    let replayed = collect("replayed");
    getNode("dl1").receive(failed("kept"));
    getNode("dl1").receive(failed("in flight"));
    let reports = collect("reports");
    getNode("dl1").receive({ topic: "dead-letter:list" });
    await untilReal(() => reports.length === 1, 5000);
    const inFlight = (reports[0].payload as { entries: { id: string }[] }).entries[1].id;
    getNode("dl1").receive({ topic: "dead-letter:replay", payload: inFlight });
    await untilReal(() => replayed.length === 1, 5000);
    await helper.unload();
    await helper.load([storeNode, deadLetterNode], flow({ store: "st1", autoRetry: true, backoffSeconds: 1 }, store));
    replayed = collect("replayed");
    reports = collect("reports");
    await untilReal(() => {
      void harness.clock().advanceAsync(1000);
      return replayed.length === 2;
    }, 5000);
    assert.deepEqual(replayed.map((m) => m.payload).sort(), ["in flight", "kept"]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("says in its status when its dead letters live only in memory, and not on a durable store", async () => {
    const statusTexts = () =>
      getNode("dl1")
        .status.getCalls()
        .map((call) => call.args[0] as { fill?: string; text?: string });
    await helper.load(deadLetterNode, flow());
    await untilReal(() => statusTexts().some((s) => /memory store: lost on restart/.test(s.text ?? "")), 3000);
    assert.equal(
      statusTexts()
        .filter((s) => /memory store/.test(s.text ?? ""))
        .at(-1)?.fill,
      "yellow",
    );
    await helper.unload();
    const dir = mkdtempSync(join(tmpdir(), "wa-dlq-note-"));
    try {
      helper.settings({ userDir: dir });
      await helper.load(
        [deadLetterNode, storeNode],
        flow({ store: "st1" }, [{ id: "st1", type: "wa-store", backend: "sqlite", file: "dlq.db" }]),
      );
      await untilReal(() => statusTexts().some((s) => /waiting/.test(s.text ?? "")), 3000);
      assert.ok(!statusTexts().some((s) => /memory store/.test(s.text ?? "")), "no note on the embedded store");
      await helper.unload();
    } finally {
      helper.settings({});
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const depth = async (reports: Record<string, unknown>[]) => {
    const before = reports.length;
    getNode("dl1").receive({ topic: "dead-letter:metrics" });
    await until(() => reports.length > before && reports.at(-1)!.topic === "dead-letter:metrics");
    return (reports.at(-1)!.payload as { depth: number }).depth;
  };

  it("Longest wait: the doubling backoff stops there", async () => {
    await helper.load(deadLetterNode, flow({ maxAttempts: 5, backoffSeconds: 60, maxBackoffMinutes: 1 }));
    const replayed = collect("replayed");
    getNode("dl1").receive(failed("capped"));
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      // Without the cap the waits would be 60, 120 and 240 s; with it each is at most 60 s plus 20 % jitter.
      await advance(73_000);
      await until(() => replayed.length === attempt);
      getNode("dl1").receive({ ...replayed[attempt - 1], error: { message: "still failing" } });
    }
    assert.equal((replayed[2] as { deadLetter: Letter }).deadLetter.attempts, 3);
  });

  it("Delivered after: a replay that does not come back failed is removed then; dead-letter:resolved removes it at once", async () => {
    await helper.load(deadLetterNode, flow({ autoRetry: false, settleMinutes: 2 }));
    const replayed = collect("replayed");
    const reports = collect("reports");
    getNode("dl1").receive(failed("quiet"));
    getNode("dl1").receive(failed("resolved"));
    getNode("dl1").receive({ topic: "dead-letter:replay" });
    await until(() => replayed.length === 2);
    const resolved = replayed.find((m) => m.payload === "resolved") as { deadLetter: Letter };
    getNode("dl1").receive({ topic: "dead-letter:resolved", deadLetter: { id: resolved.deadLetter.id } });
    assert.equal(await depth(reports), 1, "the resolved one is gone, the quiet one waits to settle");
    await advance(60_000);
    assert.equal(await depth(reports), 1, "not before the settle time");
    await advance(62_000);
    assert.equal(await depth(reports), 0);
  });

  it("Keep at most: a failure past the bound is refused with the message, not lost silently", async () => {
    await helper.load(deadLetterNode, flow({ autoRetry: false, maxEntries: 2 }));
    const reports = collect("reports");
    for (const p of ["one", "two", "three"]) getNode("dl1").receive(failed(p));
    await until(() => reports.some((m) => m.topic === "dead-letter:refused"));
    const refused = reports.find((m) => m.topic === "dead-letter:refused")!.payload as { code: string; message: { payload: string } };
    assert.equal(refused.message.payload, "three");
    assert.equal(refused.code, "deadLetter.full");
    assert.equal(await depth(reports), 2);
  });

  it("Look for due retries every: a due retry waits for the next look", async () => {
    await helper.load(deadLetterNode, flow({ backoffSeconds: 1, maxBackoffMinutes: 1, checkSeconds: 60 }));
    const replayed = collect("replayed");
    getNode("dl1").receive(failed("slow look"));
    await advance(30_000);
    assert.equal(replayed.length, 0, "due after about a second, but not looked for yet");
    await advance(31_000);
    await until(() => replayed.length === 1);
  });

  it("Name: two dead-letter nodes on one store keep apart", async () => {
    await helper.load(deadLetterNode, [
      ...flow({ autoRetry: false }),
      {
        id: "dl2",
        type: "wa-dead-letter",
        z: "f1",
        dlqName: "payments",
        autoRetry: false,
        maxAttempts: 3,
        backoffSeconds: 10,
        maxBackoffMinutes: 10,
        settleMinutes: 5,
        maxEntries: 100,
        checkSeconds: 1,
        wires: [[], ["reports2"]],
      },
      helperNode("reports2"),
    ]);
    const reports = collect("reports");
    const reports2 = collect("reports2");
    getNode("dl1").receive(failed("order"));
    getNode("dl2").receive(failed("payment"));
    getNode("dl2").receive({ topic: "dead-letter:list" });
    await until(() => reports2.some((m) => m.topic === "dead-letter:list"));
    const listed = reports2.find((m) => m.topic === "dead-letter:list")!.payload as { total: number; entries: { id: string }[] };
    assert.equal(listed.total, 1);
    assert.equal(await depth(reports), 1);
  });

  it("refuses settings it cannot use, naming the field", () => {
    const base = {
      dlqName: "orders",
      autoRetry: true,
      maxAttempts: 3,
      backoffSeconds: 10,
      maxBackoffMinutes: 10,
      settleMinutes: 5,
      maxEntries: 100,
      checkSeconds: 1,
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ dlqName: "orders/1" }, "dlqName"],
      [{ maxAttempts: 0 }, "maxAttempts"],
      [{ maxAttempts: 2.5 }, "maxAttempts"],
      [{ backoffSeconds: 0 }, "backoffSeconds"],
      [{ backoffSeconds: 600, maxBackoffMinutes: 5 }, "maxBackoffMinutes"],
      [{ maxBackoffMinutes: 10_081 }, "maxBackoffMinutes"],
      [{ settleMinutes: 0 }, "settleMinutes"],
      [{ maxEntries: 100_001 }, "maxEntries"],
      [{ checkSeconds: 3601 }, "checkSeconds"],
    ];
    for (const [change, field] of cases) {
      assert.throws(
        () => deadLetterSettingsFromConfig({ ...base, ...change } as never),
        (error: { code: string; params: { field?: string } }) => error.code === "config.invalid" && error.params.field === field,
        JSON.stringify(change),
      );
    }
  });
});
