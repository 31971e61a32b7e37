import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { ADMIN, READER, RunningNodeRed, adminAuthSettings, deploy, freshUserDir, loginToken, startNodeRed } from "./real-runtime";

const ENDPOINTS: { method: "GET" | "POST"; path: string; writes: boolean }[] = [
  { method: "GET", path: "/wa-pipeline/clients/sec-sim/pairing", writes: false },
  { method: "POST", path: "/wa-pipeline/clients/sec-sim/inject", writes: true },
  { method: "POST", path: "/wa-pipeline/clients/sec-sim/restart", writes: true },
  { method: "POST", path: "/wa-pipeline/clients/sec-sim/logout", writes: true },
  { method: "GET", path: "/wa-pipeline/dead-letters/sec-dlq/entries", writes: false },
  { method: "GET", path: "/wa-pipeline/dead-letters/sec-dlq/entries/none", writes: false },
  { method: "POST", path: "/wa-pipeline/dead-letters/sec-dlq/replay", writes: true },
  { method: "POST", path: "/wa-pipeline/dead-letters/sec-dlq/purge", writes: true },
  { method: "GET", path: "/wa-pipeline/gallery/sec-gallery/chats", writes: false },
  { method: "GET", path: "/wa-pipeline/gallery/sec-gallery/chats/447700900123%40c.us/media", writes: false },
  { method: "POST", path: `/wa-pipeline/gallery/sec-gallery/chats/447700900123%40c.us/media/${"a".repeat(64)}/delete`, writes: true },
  { method: "GET", path: "/wa-pipeline/state", writes: false },
  { method: "GET", path: "/wa-pipeline/metrics", writes: false },
  { method: "POST", path: "/wa-pipeline/stages/intelligence", writes: true },
];

describe("security: the pack's admin endpoints with adminAuth on, in a real Node-RED", function () {
  this.timeout(120_000);
  let dir: string;
  let userDir: string;
  let runtime: RunningNodeRed;
  let adminToken: string;
  let readerToken: string;

  before(async () => {
    ({ dir, userDir } = freshUserDir("admin", adminAuthSettings()));
    runtime = await startNodeRed(userDir);
    adminToken = await loginToken(runtime.url, ADMIN);
    readerToken = await loginToken(runtime.url, READER);
    const z = "sec-admin";
    await deploy(
      runtime,
      [
        { id: z, type: "tab", label: "admin endpoints" },
        { id: "sec-sim", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
        {
          id: "sec-dlq",
          z,
          type: "wa-dead-letter",
          dlqName: "sec",
          autoRetry: false,
          maxAttempts: 3,
          backoffSeconds: 10,
          maxBackoffMinutes: 10,
          settleMinutes: 5,
          maxEntries: 100,
          checkSeconds: 5,
          wires: [[], []],
        },
        {
          id: "sec-gallery",
          z,
          type: "wa-gallery",
          folder: "wa-pipeline/gallery",
          action: "store",
          maxAgeDays: 30,
          maxTotalMegabytes: 100,
          maxFileMegabytes: 16,
          maxPerChat: 500,
          thumbnails: false,
          thumbnailSize: 256,
          wires: [[]],
        },
      ],
      { token: adminToken },
    );
  });
  after(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (endpoint: (typeof ENDPOINTS)[number], token?: string) =>
    fetch(`${runtime.url}${endpoint.path}`, {
      method: endpoint.method,
      headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      ...(endpoint.method === "POST"
        ? { body: JSON.stringify({ chatId: "447700900123@c.us", text: "hi", entry: "all", enabled: true }) }
        : {}),
    });

  it("refuses every endpoint without a token", async () => {
    for (const endpoint of ENDPOINTS) assert.equal((await call(endpoint)).status, 401, `${endpoint.method} ${endpoint.path}`);
  });

  it("lets a read-only user read, and refuses every change to them", async () => {
    for (const endpoint of ENDPOINTS) {
      const status = (await call(endpoint, readerToken)).status;
      // Node-RED answers a permission it does not grant with 401, as it does for its own endpoints.
      if (endpoint.writes) assert.ok(status === 401 || status === 403, `${endpoint.method} ${endpoint.path}: ${status}`);
      else assert.ok(status === 200 || status === 404, `${endpoint.method} ${endpoint.path}: ${status}`);
    }
  });

  it("lets an admin change, and a forged token gets nowhere", async () => {
    const inject = ENDPOINTS[1];
    const answer = await call(inject, adminToken);
    assert.equal(answer.status, 200, await answer.text());
    assert.equal((await call(inject, `${adminToken.slice(0, -4)}AAAA`)).status, 401);
  });

  it("lets a read-only user see the pipeline's state and metrics but not switch a stage, and an admin switch it", async () => {
    const state = await call(
      ENDPOINTS.find((endpoint) => endpoint.path === "/wa-pipeline/state")!,
      readerToken,
    );
    assert.equal(state.status, 200);
    assert.ok(((await state.json()) as { nodes: { id: string }[] }).nodes.some((node) => node.id === "sec-dlq"));
    const metrics = await call(
      ENDPOINTS.find((endpoint) => endpoint.path === "/wa-pipeline/metrics")!,
      readerToken,
    );
    assert.match(await metrics.text(), /^wa_pipeline_stage_enabled\{[^}]*stage="intelligence"\} 1$/m);
    const stage = ENDPOINTS.find((endpoint) => endpoint.path === "/wa-pipeline/stages/intelligence")!;
    assert.equal((await call(stage, readerToken)).status, 401);
    const switched = await call(stage, adminToken);
    assert.equal(switched.status, 200);
    assert.match(((await switched.json()) as { by: string }).by, /\(admin\)$/, "the switch names the user who set it");
  });
});
