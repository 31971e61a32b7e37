import assert from "node:assert/strict";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import clientNode from "../../src/nodes/wa-client";
import healthNode, { clientHealthReading } from "../../src/nodes/wa-client-health";
import { collect, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

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
    ] as const) {
      await load(setting);
      const status = lastStatus();
      assert.equal(status.fill, "red");
      assert.match(status.text, text);
      await helper.unload();
    }
  });
});
