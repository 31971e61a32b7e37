import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SheetsEmulator } from "../../src/emulator/sheets-emulator";
import { waitFor } from "../e2e/runtime";
import { ADMIN, READER, RunningNodeRed, adminAuthSettings, deploy, freshUserDir, loginToken, startNodeRed } from "./real-runtime";

// Health endpoints for load balancers and orchestrators, in a real Node-RED with adminAuth on: open to probes by
// default (they cannot log in) and naming no node; behind wa-pipeline.read with waPipeline.health "admin".

const SPREADSHEET = "health-spreadsheet-0001";

interface Readiness {
  status: string;
  reasons: string[];
  stores: { total: number; reachable: number };
  connections: { total: number; up: number };
}

function pipelineFlow(dir: string, apiRoot: string, options: { stream: boolean; brokenRedis?: boolean }): unknown[] {
  const z = "health-tab";
  return [
    { id: z, type: "tab", label: "health" },
    { id: "health-store", type: "wa-store", name: "orders store", backend: "sqlite", file: "health.db" },
    ...(options.brokenRedis
      ? [{ id: "health-redis", type: "wa-store", name: "", backend: "redis", url: "redis://127.0.0.1:1", keyPrefix: "h:" }]
      : []),
    {
      id: "health-sim",
      type: "wa-client",
      name: "shop number",
      mode: "simulator",
      source: "file",
      scriptPath: join(dir, "stream.jsonl"),
      speed: 1,
      startDelay: options.stream ? 0.2 : 3600,
      loop: false,
    },
    {
      id: "health-sheets",
      type: "wa-sheets",
      name: "",
      spreadsheetId: SPREADSHEET,
      apiRoot,
      failureRate: 0.5,
      minimumCalls: 5,
      windowSeconds: 60,
      resetSeconds: 30,
    },
    { id: "health-in", z, type: "wa-in", client: "health-sim", includeGroups: true, types: "all", wires: [["health-write"]] },
    {
      id: "health-write",
      z,
      type: "wa-sheets-write",
      sheets: "health-sheets",
      range: "Log!A1",
      columns: "wa.message.id, payload",
      windowMs: 50,
      maxRows: 20,
      giveUpMinutes: 15,
      wires: [[], []],
    },
  ];
}

describe("security: health endpoints for load balancers, in a real Node-RED with adminAuth on", function () {
  this.timeout(120_000);
  let dir: string;
  let runtime: RunningNodeRed | undefined;
  let emulator: SheetsEmulator;

  before(async () => {
    emulator = new SheetsEmulator();
    emulator.model.create(SPREADSHEET, "Health", [{ title: "Log", rowCount: 100, columnCount: 3 }]);
    await emulator.start();
  });
  after(async () => {
    await runtime?.stop();
    await emulator.stop();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const get = (path: string, token?: string) =>
    fetch(`${runtime!.url}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  const ready = async (): Promise<{ status: number; body: Readiness }> => {
    const answer = await get("/wa-pipeline/health/ready");
    return { status: answer.status, body: (await answer.json()) as Readiness };
  };

  it("answers probes without a token, naming no node; 503 with the reason when a store does not answer, and while flows drain", async () => {
    ({ dir } = freshUserDir("health", adminAuthSettings()));
    const userDir = join(dir, "userdir");
    runtime = await startNodeRed(userDir);
    const token = await loginToken(runtime.url, ADMIN);
    writeFileSync(
      join(dir, "stream.jsonl"),
      `${JSON.stringify({ id: "m1", conversation: "c1", chat: "447700900555@c.us", from: "447700900555@c.us", timestamp: 1_800_000_000, text: "hello" })}\n`,
    );
    const key = JSON.stringify(emulator.createServiceAccount("health"));
    const withKey = (flows: unknown[]) =>
      flows.map((node) => ((node as { id: string }).id === "health-sheets" ? { ...(node as object), credentials: { key } } : node));

    await deploy(runtime, withKey(pipelineFlow(dir, emulator.url, { stream: false })), { token });
    const live = await get("/wa-pipeline/health/live");
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "live" });
    await waitFor(async () => (await ready()).status === 200, 10_000, "ready once the connection is up");
    const healthy = await ready();
    assert.deepEqual(healthy.body, {
      status: "ready",
      ready: true,
      reasons: [],
      stores: { total: 1, reachable: 1 },
      connections: { total: 1, up: 1 },
    });
    assert.equal((await get("/wa-pipeline/state")).status, 401, "the pipeline's state still needs a login");

    await deploy(runtime, withKey(pipelineFlow(dir, emulator.url, { stream: false, brokenRedis: true })), { token });
    const unreachable = await ready();
    assert.equal(unreachable.status, 503);
    assert.deepEqual(unreachable.body.reasons, ["store redis: unreachable"]);
    const text = JSON.stringify(unreachable.body);
    for (const secret of ["health-redis", "orders store", "shop number", "127.0.0.1:1"])
      assert.ok(!text.includes(secret), `no ${secret} in ${text}`);

    // A row whose write takes 3 s is in flight when Node-RED gets SIGTERM: readiness turns 503 "draining" first.
    emulator.setFaults({ latencyMs: 3000 });
    await deploy(runtime, withKey(pipelineFlow(dir, emulator.url, { stream: true })), { token });
    await waitFor(
      async () => {
        const state = (await (await get("/wa-pipeline/state", token)).json()) as { nodes: { id: string; inFlight: number }[] };
        return state.nodes.some((node) => node.id === "health-write" && node.inFlight > 0);
      },
      10_000,
      "the row's write in flight",
    );
    const stopping = runtime.stop();
    let sawDraining = false;
    await waitFor(
      async () => {
        const answer = await ready().catch(() => undefined);
        sawDraining ||= answer?.status === 503 && answer.body.reasons.includes("draining");
        return sawDraining;
      },
      5_000,
      "readiness to say draining",
    );
    await stopping;
    runtime = undefined;
    assert.equal((emulator.model.get(SPREADSHEET, "Log!A:A").values ?? []).length, 1, "the drain let the row's write finish");
    emulator.setFaults({});
  });

  it("needs the wa-pipeline.read permission with waPipeline.health set to admin", async () => {
    ({ dir } = freshUserDir("health-admin", `${adminAuthSettings()}\n  waPipeline: { health: "admin" },`));
    runtime = await startNodeRed(join(dir, "userdir"));
    const reader = await loginToken(runtime.url, READER);
    assert.equal((await get("/wa-pipeline/health/live")).status, 401);
    assert.equal((await get("/wa-pipeline/health/ready")).status, 401);
    assert.equal((await get("/wa-pipeline/health/live", reader)).status, 200);
    assert.equal(
      (await get("/wa-pipeline/health/ready", reader)).status,
      200,
      "no store and no connection: nothing keeps it from being ready",
    );
    await runtime.stop();
    runtime = undefined;
  });
});
