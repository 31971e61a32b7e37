import assert from "node:assert/strict";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import clientNode from "../../src/nodes/wa-client";
import healthNode, { clientHealthReading } from "../../src/nodes/wa-client-health";
import storeNode from "../../src/nodes/wa-store";
import { collect, getNode, helper, helperNode, inTab, untilReal, useNodeHarness, useUserDir } from "./harness";

type Snapshot = { level: "healthy" | "degraded" | "down"; reason: string; state: string };
const nodes = [clientNode, healthNode];

describe("wa-client-health node: every option of its form, and every level it reports", () => {
  const harness = useNodeHarness();

  async function load(health: Record<string, unknown> = {}, client: Record<string, unknown> = {}) {
    await helper.load(
      nodes,
      inTab([
        {
          id: "sim1",
          type: "wa-client",
          mode: "simulator",
          source: "demo",
          speed: 1,
          maxGap: 3600,
          stagger: 3600,
          startDelay: 3600,
          loop: false,
          ...client,
        },
        {
          id: "h1",
          type: "wa-client-health",
          client: "sim1",
          interval: 30,
          silenceWarn: 0,
          failureRate: 20,
          window: 5,
          wires: [["health"]],
          ...health,
        },
        helperNode("health"),
      ]),
    );
    return collect("health");
  }
  const simulator = () => (helper.getNode("sim1") as unknown as { transport: SimulatedWhatsApp }).transport;
  const last = (reports: Record<string, unknown>[]) =>
    (reports.at(-1)?.payload ?? { level: "none", reason: "", state: "" }) as Snapshot | { level: "none"; reason: string; state: string };
  const lastStatus = () => getNode("h1").status.lastCall?.args[0] as { fill: string; text: string };
  /** A send the connection takes, or one it refuses (an empty text). */
  const send = (ok: boolean) =>
    simulator()
      .sendText({ chatId: "447700900123@c.us", text: ok ? "x" : "" })
      .catch(() => undefined);

  it("Report every: reports on its interval and on any input, green while connected", async () => {
    const reports = await load({ interval: 10 });
    getNode("h1").receive({});
    await untilReal(() => reports.length === 1, 2000);
    await harness.clock().advanceAsync(30_000);
    await untilReal(() => reports.length === 4, 2000);
    assert.equal(last(reports).level, "healthy");
    assert.equal(lastStatus().fill, "green");
  });

  it("Failure rate and Window: yellow once the share of failed sends in the window reaches the rate, green again when they age out", async () => {
    const reports = await load({ failureRate: 50, window: 1, interval: 3600 });
    await send(true);
    await send(true);
    await send(false);
    getNode("h1").receive({});
    await untilReal(() => reports.length >= 1, 2000);
    assert.equal(last(reports).level, "healthy", "1 failure in 3 is under 50 %");
    await send(false);
    await untilReal(() => last(reports).level === "degraded", 2000);
    assert.equal(clientHealthReading("h1")?.sendFailuresInWindow, 2);
    assert.match(last(reports).reason, /50% of recent sends failed/);
    assert.equal(lastStatus().fill, "yellow");
    await harness.clock().advanceAsync(61_000);
    getNode("h1").receive({});
    await untilReal(() => last(reports).level === "healthy", 2000);
    assert.equal(lastStatus().fill, "green");
  });

  it("Quiet warning: yellow after the minutes without a message or send, green with the next activity", async () => {
    const reports = await load({ silenceWarn: 2, interval: 3600 });
    await harness.clock().advanceAsync(119_000);
    getNode("h1").receive({});
    await untilReal(() => reports.length === 1, 2000);
    assert.equal(last(reports).level, "healthy");
    await harness.clock().advanceAsync(2_000);
    getNode("h1").receive({});
    await untilReal(() => last(reports).level === "degraded", 2000);
    assert.match(last(reports).reason, /no activity for 121 s/);
    await send(true);
    getNode("h1").receive({});
    await untilReal(() => last(reports).level === "healthy", 2000);
  });

  it("red when the connection stops, with the state in the reason; red with the reason when there is no connection", async () => {
    const reports = await load({ interval: 3600 });
    await simulator().close();
    await untilReal(() => last(reports).level === "down", 2000);
    assert.equal(last(reports).reason, "connection stopped");
    assert.equal(lastStatus().fill, "red");
    await helper.unload();
    const none = await load({ interval: 3600, client: "" });
    getNode("h1").receive({});
    await untilReal(() => none.length >= 1, 2000);
    assert.equal(last(none).level, "down");
    assert.match(last(none).reason, /no connection configured/);
  });

  it("refuses settings it cannot use, each with its reason in the status", async () => {
    for (const [setting, text] of [
      [{ interval: 0 }, /Report every/],
      [{ silenceWarn: 20_000 }, /Quiet warning/],
      [{ failureRate: 0 }, /Failure rate/],
      [{ window: 2000 }, /Window/],
      [{ deafFloor: 0 }, /Never before/],
      [{ deafOdds: 2 }, /Unlikely at/],
      [{ probeTimeout: 500 }, /Probe within/],
    ] as const) {
      await load(setting);
      const status = lastStatus();
      assert.equal(status.fill, "red");
      assert.match(status.text, text);
      await helper.unload();
    }
  });
});

describe("wa-client-health node: a connection that is connected but deaf", () => {
  const harness = useNodeHarness();
  useUserDir("wa-health-deaf");
  const MINUTE = 60_000;

  async function load(health: Record<string, unknown> = {}) {
    await helper.load(
      [clientNode, healthNode, storeNode],
      inTab([
        // The script waits a day: the test writes as the customers.
        { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 86_400, loop: false },
        { id: "st1", type: "wa-store", backend: "sqlite", file: "health.db" },
        {
          id: "h1",
          type: "wa-client-health",
          client: "sim1",
          interval: 3600,
          deafLearn: 1,
          deafFloor: 20,
          deafOdds: 1000,
          probeTimeout: 20,
          store: "st1",
          wires: [["health"]],
          ...health,
        },
        helperNode("health"),
      ]),
    );
    return collect("health");
  }
  const simulator = () => (helper.getNode("sim1") as unknown as { transport: SimulatedWhatsApp }).transport;
  const reading = () => clientHealthReading("h1");
  /** A new chat every 3 minutes for `minutes`. */
  async function busy(minutes: number, prefix: string) {
    for (let minute = 0; minute < minutes; minute += 3) {
      simulator().inject({ chatId: `4477009${prefix}${String(minute).padStart(4, "0")}@c.us`, body: "hello" });
      await harness.clock().advanceAsync(3 * MINUTE);
    }
  }
  const warnings = () =>
    getNode("h1")
      .warn.getCalls()
      .map((call) => String(call.args[0]));

  it("learns the traffic, keeps it across a restart, lets a genuine silence pass its probe, and reconnects a deaf session", async () => {
    // Thursday 09:00-11:00: twenty new chats an hour.
    await load();
    await busy(120, "01");
    assert.equal(reading()?.deaf?.phase, "listening");
    await helper.unload();

    // A week later, a restart: what was learned comes back from the embedded store.
    await harness.clock().advanceAsync(7 * 24 * 60 * MINUTE - 120 * MINUTE);
    const reports = await load();
    await untilReal(() => (reading()?.deaf?.learnedHours ?? 0) > 1.9, 3000);
    assert.ok(Math.abs((reading()?.deaf?.expectedPerHour ?? 0) - 20) < 1e-6, JSON.stringify(reading()?.deaf));

    // 09:00: a message, then a real lull: the probe is answered, nothing is reconnected.
    simulator().inject({ chatId: "447700900001@c.us", body: "hi" });
    for (let minute = 0; minute < 30 && reading()?.deaf?.lastProbe === undefined; minute += 1) await harness.clock().advanceAsync(MINUTE);
    await untilReal(() => reading()?.deaf?.lastProbe !== undefined, 2000);
    assert.equal(reading()?.deaf?.lastProbe?.ok, true);
    assert.equal(reading()?.level, "healthy");
    assert.equal(reading()?.reconnects, 0);
    assert.ok(reports.some((r) => (r.payload as { deaf?: { phase: string } }).deaf?.phase === "probing"));

    // The session goes deaf: customers write, nothing arrives, and the probe goes unanswered.
    simulator().inject({ chatId: "447700900002@c.us", body: "hi again" });
    simulator().deafen();
    simulator().inject({ chatId: "447700900003@c.us", body: "is anyone there?" });
    assert.equal(simulator().stats().received, 2, "the deaf session lost the third message");
    for (let minute = 0; minute < 40 && (reading()?.deaf?.deafEpisodes ?? 0) === 0; minute += 1) await harness.clock().advanceAsync(MINUTE);
    await untilReal(() => reading()?.reconnects === 1, 2000);
    const deafReport = reports.find((r) => (r.payload as { deaf?: { phase: string } }).deaf?.phase === "deaf")?.payload as
      { level: string; reason: string; deaf: { lastProbe: { ok: boolean; detail: string } } } | undefined;
    assert.ok(deafReport, "a report says deaf");
    assert.equal(deafReport.level, "degraded");
    assert.match(deafReport.reason, /did not answer a probe \(No answer within 20000 ms\)/);
    assert.ok(
      warnings().some((w) =>
        /nothing received for \d+ min where about [\d.]+ chats would usually have written, and the connection did not answer/.test(w),
      ),
      warnings().join("\n"),
    );
    assert.ok(warnings().some((w) => /reconnecting after a deaf session/.test(w)));

    // Reconnected: messages arrive again and the connection is healthy.
    simulator().inject({ chatId: "447700900004@c.us", body: "hello?" });
    assert.equal(simulator().stats().received, 3);
    getNode("h1").receive({});
    await untilReal(() => reading()?.level === "healthy" && reading()?.deaf?.phase === "listening", 2000);
    assert.equal(reading()?.deaf?.deafEpisodes, 1);
  });

  it("with Reconnect off, stays degraded and says to reconnect by hand; with Deaf detection off, reports no deaf reading", async () => {
    await load({ deafReconnect: false });
    await busy(120, "02");
    await helper.unload();
    await harness.clock().advanceAsync(7 * 24 * 60 * MINUTE - 120 * MINUTE);
    await load({ deafReconnect: false });
    await untilReal(() => (reading()?.deaf?.learnedHours ?? 0) > 1.9, 3000);
    simulator().deafen();
    for (let minute = 0; minute < 40 && (reading()?.deaf?.deafEpisodes ?? 0) === 0; minute += 1) await harness.clock().advanceAsync(MINUTE);
    await untilReal(() => warnings().some((w) => /reconnect it by hand/.test(w)), 2000);
    await harness.clock().advanceAsync(30 * MINUTE);
    assert.equal(reading()?.reconnects, 0);
    assert.equal(reading()?.level, "degraded");
    assert.equal(reading()?.deaf?.phase, "deaf");
    await helper.unload();

    await load({ deafCheck: false });
    assert.equal(reading()?.deaf, undefined);
  });
});
