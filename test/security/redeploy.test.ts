import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listenToComms, repoRoot, waitFor } from "../e2e/runtime";
import { DeployType, RunningNodeRed, childProcesses, crashLines, deploy, freshUserDir, startNodeRed } from "./real-runtime";

const ROUNDS = 5;
/** Examples whose media nodes must be caught at work when they are redeployed (the tesseract crash hid there). */
const BUSY_BEFORE_REDEPLOY: Record<string, string> = { "wa-ocr": "wa-ocr" };
const TYPES: DeployType[] = ["full", "flows", "nodes", "reload"];

function threadCount(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The example on a tab of its own; `round` changes every node a little so that each deploy type restarts it. */
function exampleFlows(name: string, round: number): Record<string, unknown>[] {
  const nodes = JSON.parse(readFileSync(join(repoRoot, "examples", `${name}.json`), "utf8")) as Record<string, unknown>[];
  const tab = { id: `redeploy-${name}`, type: "tab", label: name, info: `round ${round}` };
  return [
    tab,
    ...nodes.map((node) => ({
      ...node,
      ...(String(node.type).startsWith("wa-client") || node.type === "wa-store" ? {} : { z: tab.id }),
      name: `${String(node.name ?? "")}`.replace(/ ·\d+$/, "") + ` ·${round}`,
    })),
  ];
}

describe("security: every bundled example deployed and redeployed in a real Node-RED", function () {
  this.timeout(600_000);
  let dir: string;
  let userDir: string;
  let runtime: RunningNodeRed;
  let baselineThreads = 0;

  before(async () => {
    ({ dir, userDir } = freshUserDir("redeploy"));
    runtime = await startNodeRed(userDir);
    baselineThreads = threadCount(runtime.pid);
  });
  after(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const names = readdirSync(join(repoRoot, "examples"))
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.replace(/\.json$/, ""));

  for (const name of names) {
    it(`${name}: full, flows and nodes deploys and restarts, ${ROUNDS} times each, and the runtime lives`, async () => {
      let round = 0;
      const busyType = BUSY_BEFORE_REDEPLOY[name];
      const busyNode = busyType ? exampleFlows(name, 0).find((node) => node.type === busyType)?.id : undefined;
      const comms = listenToComms(runtime.url);
      await comms.opened;
      await deploy(runtime, exampleFlows(name, round));
      for (let i = 0; i < ROUNDS; i += 1) {
        for (const type of TYPES) {
          round += 1;
          if (busyNode) {
            // Redeploy the moment a photo is taken in: the engine is starting or reading it.
            const from = comms.messages.length;
            await waitFor(
              () =>
                !alive(runtime.pid) ||
                comms.messages
                  .slice(from)
                  .some((m) => m.topic === `status/${busyNode}` && (m.data.fill === "green" || m.data.fill === "yellow")),
              60_000,
              `${busyType} at work`,
            ).catch((error: Error) =>
              assert.fail(`${error.message}\n${runtime.logs.slice(-15).join("\n")}\n${JSON.stringify(comms.messages.slice(-8))}`),
            );
          }
          assert.ok(alive(runtime.pid), `Node-RED died while ${name} ran:\n${runtime.logs.slice(-30).join("\n")}`);
          await deploy(runtime, exampleFlows(name, round), { type });
          assert.ok(alive(runtime.pid), `Node-RED died after a ${type} deploy of ${name}:\n${runtime.logs.slice(-30).join("\n")}`);
        }
      }
      comms.close();
      assert.deepEqual(crashLines(runtime.logs), [], "no uncaught exception");
    });
  }

  it("leaves no worker or browser process behind once the flows are gone", async () => {
    await deploy(runtime, []);
    assert.ok(alive(runtime.pid));
    assert.deepEqual(childProcesses(runtime.pid), [], "no child process left");
    // Engine threads (tesseract, speech, documents) end with their nodes; the runtime's own threads remain.
    const deadline = Date.now() + 20_000;
    while (threadCount(runtime.pid) > baselineThreads + 4 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(
      threadCount(runtime.pid) <= baselineThreads + 4,
      `threads: ${threadCount(runtime.pid)} against ${baselineThreads} at the start`,
    );
    assert.deepEqual(crashLines(runtime.logs), []);
  });
});
