import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import helper from "node-red-node-test-helper";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { replaceRuntimeWorld } from "../../src/nodes/kit/world";

helper.init(require.resolve("node-red"));

export { helper };

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export interface TestNode {
  id: string;
  on(event: string, listener: (msg: Record<string, unknown>) => void): void;
  receive(msg: Record<string, unknown>): void;
  warn: { callCount?: number; getCalls(): Array<{ args: unknown[] }> } & ((...args: unknown[]) => void);
  error: { callCount?: number; getCalls(): Array<{ args: unknown[] }> } & ((...args: unknown[]) => void);
  status: { lastCall?: { args: unknown[] }; getCalls(): Array<{ args: unknown[]; thisValue?: unknown }> } & ((...args: unknown[]) => void);
}

/** Gives every test a fake clock for the pack's nodes and a clean runtime afterwards. */
export function useNodeHarness(): { clock: () => FakeClock } {
  let clock: FakeClock;
  let restore: () => void;
  before((done) => {
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });
  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 1, 9));
    // Flows here stop with work left on purpose: no drain, unless a test asks for one.
    restore = replaceRuntimeWorld({ clock, drainMs: 0 });
  });
  afterEach(async () => {
    await helper.unload();
    restore();
  });
  return { clock: () => clock };
}

/**
 * A fresh temporary folder as Node-RED's user directory, made before each test (or once for the block with
 * `"all"`) and removed after; `prepare` fills it. Returns a getter for its path.
 */
export function useUserDir(prefix: string, scope: "each" | "all" = "each", prepare: (dir: string) => void = () => undefined): () => string {
  let dir = "";
  (scope === "each" ? beforeEach : before)(() => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    prepare(dir);
    helper.settings({ userDir: dir });
  });
  (scope === "each" ? afterEach : after)(() => {
    helper.settings({});
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

export const TAB = "f1";

export function inTab(nodes: FlowNode[]): FlowNode[] {
  return [{ id: TAB, type: "tab", label: "test" }, ...nodes.map((node) => (node.type === "wa-client" ? node : { z: TAB, ...node }))];
}

export function getNode(id: string): TestNode {
  return helper.getNode(id) as unknown as TestNode;
}

/** Collects every message a node receives. */
export function collect(id: string): Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  getNode(id).on("input", (msg) => seen.push(msg));
  return seen;
}

/** Waits (through real message passing, never through the fake clock) until `check` holds. */
export async function until(check: () => boolean, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i += 1) {
    if (check()) return;
    await flushMicrotasks(2);
  }
  throw new Error("condition not reached");
}

/**
 * Waits for an outcome that needs a real socket and the fake clock both (a cached read from the Sheets
 * emulator): lets real I/O run a few milliseconds, then moves the fake clock on by `stepMs`.
 */
export async function untilWithSockets(clock: FakeClock, check: () => boolean, stepMs: number, rounds = 400): Promise<void> {
  for (let i = 0; i < rounds && !check(); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    await clock.advanceAsync(stepMs);
  }
  if (!check()) throw new Error("condition not reached");
}

/** Waits in real time, up to a deadline, for an outcome that depends on a real socket. */
export async function untilReal(check: () => boolean, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function envelope(chatId: unknown, body = "hello", id = `m-${Math.random().toString(36).slice(2)}`): Record<string, unknown> {
  return {
    payload: body,
    wa: {
      message: {
        id,
        chatId,
        from: chatId,
        body,
        type: "chat",
        timestamp: 0,
        receivedAt: 0,
        isGroup: false,
        fromMe: false,
        transport: "test",
      },
      trace: [],
    },
  };
}

export function catchNode(id = "catcher", wires: string[] = ["errors"]): FlowNode {
  return { id, type: "catch", scope: null, uncaught: false, wires: [wires] };
}

export function helperNode(id: string): FlowNode {
  return { id, type: "helper" };
}

export { flushMicrotasks };
