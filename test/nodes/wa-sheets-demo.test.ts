import assert from "node:assert/strict";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { DEMO_SPREADSHEET_ID } from "../../src/emulator/demo";
import sheetsNode from "../../src/nodes/wa-sheets";
import readNode from "../../src/nodes/wa-sheets-read";
import writeNode from "../../src/nodes/wa-sheets-write";
import type { WaSheetsNode } from "../../src/nodes/kit/contracts";
import { sheetsOf } from "../support/envelope-parts";
import { collect, envelope, getNode, helper, helperNode, inTab, untilWithSockets, useNodeHarness } from "./harness";

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("wa-sheets with the built-in demo server: Google Sheets with no account and nothing else to start", () => {
  const harness = useNodeHarness();

  function flow(port: number, secondConnection = false) {
    const connection = (id: string) => ({ id, type: "wa-sheets", server: "demo", demoPort: port, spreadsheetId: DEMO_SPREADSHEET_ID });
    return inTab([
      connection("sh1"),
      ...(secondConnection ? [connection("sh2")] : []),
      {
        id: "w1",
        type: "wa-sheets-write",
        sheets: "sh1",
        range: "Log!A1",
        columns: "wa.message.id, payload",
        windowMs: 200,
        maxRows: 50,
        giveUpMinutes: 15,
        wires: [["written"], ["dead"]],
      },
      {
        id: "r1",
        type: "wa-sheets-read",
        sheets: secondConnection ? "sh2" : "sh1",
        mode: "range",
        range: "Log!A:B",
        property: "payload",
        headerRow: false,
        wires: [["found"], ["notFound"]],
      },
      helperNode("written"),
      helperNode("dead"),
      helperNode("found"),
      helperNode("notFound"),
    ]);
  }

  it("starts the emulator inside Node-RED on its port and writes and reads rows over HTTP, without a key", async () => {
    const port = await freePort();
    await helper.load([sheetsNode, writeNode, readNode], flow(port));
    const connection = helper.getNode("sh1") as unknown as WaSheetsNode;
    assert.equal(connection.failure, undefined, "no key asked for");
    const written = collect("written");
    const dead = collect("dead");
    getNode("w1").receive(envelope("447700900001@c.us", "two pizzas", "wamid.demo1"));
    getNode("w1").receive(envelope("447700900002@c.us", "a salad", "wamid.demo2"));
    await untilWithSockets(harness.clock(), () => written.length + dead.length === 2, 250);
    assert.deepEqual(dead, []);
    assert.deepEqual(sheetsOf(written[0]).write, { range: "Log!A1", key: "wamid.demo1", written: true });
    const found = collect("found");
    getNode("r1").receive({ payload: "" });
    await untilWithSockets(harness.clock(), () => found.length === 1, 250);
    assert.deepEqual(found[0].payload, [
      ["wamid.demo1", "two pizzas"],
      ["wamid.demo2", "a salad"],
    ]);
    const answer = await fetch(`http://127.0.0.1:${port}/emulator/key`);
    assert.equal(answer.status, 200, "the demo server answers on 127.0.0.1 at the chosen port");
  });

  it("two connections on one demo port share one server: what one writes the other reads", async () => {
    const port = await freePort();
    await helper.load([sheetsNode, writeNode, readNode], flow(port, true));
    const written = collect("written");
    getNode("w1").receive(envelope("447700900001@c.us", "shared row", "wamid.shared"));
    await untilWithSockets(harness.clock(), () => written.length === 1, 250);
    const found = collect("found");
    getNode("r1").receive({ payload: "" });
    await untilWithSockets(harness.clock(), () => found.length === 1, 250);
    assert.deepEqual(found[0].payload, [["wamid.shared", "shared row"]]);
  });

  it("stops its server when the flow is stopped, and says so when its port holds something else", async () => {
    const port = await freePort();
    await helper.load([sheetsNode, writeNode, readNode], flow(port));
    await helper.unload();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/emulator/key`), "the server is gone with the flow");

    const squatter = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
    try {
      await helper.load([sheetsNode, writeNode, readNode], flow(port));
      const connection = helper.getNode("sh1") as unknown as { error: { args: unknown[][] } } & WaSheetsNode;
      await untilWithSockets(harness.clock(), () => (connection.error as unknown as { callCount: number }).callCount > 0, 50);
      assert.match(
        String((connection.error as unknown as { lastCall: { args: unknown[] } }).lastCall.args[0]),
        /Port \d+ is taken by something that is not the Sheets demo server/,
      );
      assert.match(connection.failure ?? "", /Port \d+ is taken by something that is not the Sheets demo server/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
