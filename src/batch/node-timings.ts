/** Time each node spends on a message: from its input handler being called to its done (or the handler's return). */
export interface NodeTiming {
  id: string;
  type: string;
  name?: string;
  messages: number;
  /** The mean without each node's first message, which pays one-time set-up (code loading, caches). */
  msPerMessage: number;
  firstMs: number;
  maxMs: number;
}

interface Running {
  type: string;
  name?: string;
  first: number;
  total: number;
  count: number;
  max: number;
}

export class NodeTimings {
  private readonly started = new WeakMap<object, Map<string, number>>();
  private readonly byNode = new Map<string, Running>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  received(msg: unknown, nodeId: string): void {
    if (typeof msg !== "object" || msg === null) return;
    let perNode = this.started.get(msg);
    if (!perNode) {
      perNode = new Map();
      this.started.set(msg, perNode);
    }
    perNode.set(nodeId, this.now());
  }

  finished(msg: unknown, node: { id: string; type: string; name?: string }): void {
    if (typeof msg !== "object" || msg === null) return;
    const perNode = this.started.get(msg);
    const start = perNode?.get(node.id);
    if (start === undefined) return;
    perNode!.delete(node.id);
    const ms = this.now() - start;
    const running = this.byNode.get(node.id);
    if (!running) {
      this.byNode.set(node.id, { type: node.type, name: node.name || undefined, first: ms, total: 0, count: 1, max: 0 });
      return;
    }
    running.total += ms;
    running.count += 1;
    running.max = Math.max(running.max, ms);
  }

  table(): NodeTiming[] {
    return [...this.byNode.entries()].map(([id, r]) => ({
      id,
      type: r.type,
      name: r.name,
      messages: r.count,
      msPerMessage: r.count > 1 ? round(r.total / (r.count - 1)) : round(r.first),
      firstMs: round(r.first),
      maxMs: round(r.max),
    }));
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function formatTimings(rows: NodeTiming[]): string {
  const lines = rows.map(
    (r) =>
      `${`${r.type}${r.name ? ` (${r.name})` : ""}`.padEnd(36)} ${String(r.messages).padStart(7)} ${r.msPerMessage.toFixed(3).padStart(10)} ${r.firstMs.toFixed(1).padStart(9)} ${r.maxMs.toFixed(1).padStart(9)}`,
  );
  return [
    `${"node".padEnd(36)} ${"msgs".padStart(7)} ${"ms/msg".padStart(10)} ${"first ms".padStart(9)} ${"max ms".padStart(9)}`,
    ...lines,
  ].join("\n");
}
