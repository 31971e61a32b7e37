import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lockNode from "../../src/nodes/wa-session-lock";
import queueNode from "../../src/nodes/wa-message-queue";
import storeNode from "../../src/nodes/wa-store";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";
import { requirePrerequisite } from "../support/prerequisite";

const nodes = [storeNode, queueNode, lockNode];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A private Redis server that keeps its data on disk (append-only file), so it can be killed and restarted like a real one. */
class PrivateRedis {
  private child?: ChildProcess;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  async start(): Promise<void> {
    this.child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
      ],
      { stdio: "ignore" },
    );
    const deadline = Date.now() + 5000;
    while (spawnSync("redis-cli", ["-p", String(this.port), "ping"], { encoding: "utf8" }).stdout.trim() !== "PONG") {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

const redisServerInstalled = spawnSync("redis-server", ["--version"]).status === 0;

describe("a Redis store that goes away in the middle of a flow", () => {
  useNodeHarness();
  let dir: string;
  let redis: PrivateRedis;

  before(function () {
    requirePrerequisite(this, redisServerInstalled, "redis-server is not installed; the outage test starts a private one");
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "wa-redis-outage-"));
    redis = new PrivateRedis(await freePort(), dir);
    await redis.start();
  });
  afterEach(async () => {
    await redis.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  function flow() {
    return inTab([
      { id: "st1", type: "wa-store", backend: "redis", url: `redis://127.0.0.1:${redis.port}`, keyPrefix: "outage:" },
      {
        id: "q1",
        type: "wa-message-queue",
        store: "st1",
        mode: "enqueue",
        queueName: "orders",
        key: "wa.message.chatId",
        maxPerChat: 100,
        maxTotal: 1000,
        overflow: "reject",
        ackTimeout: 60,
        maxDeliveries: 3,
        wires: [["lock1"], ["refused"]],
      },
      {
        id: "lock1",
        type: "wa-session-lock",
        store: "st1",
        mode: "acquire",
        lockName: "default",
        key: "wa.message.chatId",
        ttl: 30,
        wait: 10,
        onTimeout: "output",
        wires: [["locked"], ["busy"]],
      },
      { id: "unlock1", type: "wa-session-lock", store: "st1", mode: "release", lockName: "default", wires: [["ack1"]] },
      { id: "ack1", type: "wa-message-queue", store: "st1", mode: "ack", queueName: "orders", wires: [["acked"]] },
      helperNode("locked"),
      helperNode("busy"),
      helperNode("refused"),
      helperNode("acked"),
      catchNode(),
      helperNode("errors"),
    ]);
  }

  it("hands what arrives during the outage to the Catch node, keeps what was accepted, and works again once Redis is back", async function () {
    this.timeout(30_000);
    await helper.load(nodes, flow());
    const locked = collect("locked");
    const acked = collect("acked");
    const errors = collect("errors");

    getNode("q1").receive(envelope("A@c.us", "before"));
    getNode("q1").receive(envelope("A@c.us", "accepted, waiting"));
    await untilReal(() => locked.length === 1, 5000);
    assert.equal(locked[0].payload, "before");

    await redis.kill();
    getNode("q1").receive(envelope("B@c.us", "during the outage"));
    await untilReal(() => errors.length >= 1, 10_000);
    const lost = errors.find((m) => m.payload === "during the outage");
    assert.ok(lost, "the message that could not be stored reaches the Catch node, with its payload");
    assert.equal((lost.error as { code?: string }).code, "store.disconnected");
    assert.match((lost.error as { message: string }).message, /Redis is not reachable/);
    assert.equal(locked.length, 1, "nothing is processed while the store is away");
    const shown = getNode("q1").status.lastCall?.args[0] as { fill: string; text: string };
    assert.equal(shown.fill, "red");
    assert.match(shown.text, /Redis is not reachable/);

    await redis.start();
    getNode("unlock1").receive(locked[0]);
    await untilReal(() => acked.length === 1 && locked.length === 2, 15_000);
    assert.equal(locked[1].payload, "accepted, waiting", "a message accepted before the outage is still delivered after it");
    getNode("q1").receive(envelope("B@c.us", "after the outage"));
    await untilReal(() => locked.length === 3, 10_000);
    assert.equal(locked[2].payload, "after the outage");
    const tokens = locked.map((m) => (m.wa as { session: { lock: { token: number } } }).session.lock.token);
    assert.ok(tokens[1] > tokens[0], `chat A's fencing token keeps rising across the outage: ${tokens.join(", ")}`);
  });
});
