import { WaError } from "../../core/errors";
import { NodeMessage } from "./red";

/**
 * Messages kept in a durable store are stored as JSON. Buffers survive the round trip;
 * what cannot be stored (a circular object such as an HTTP request, a BigInt) is refused
 * up front rather than lost later.
 */
export function serialiseMessage(msg: NodeMessage): string {
  try {
    return JSON.stringify(msg, (_key, value: unknown) => {
      if (typeof value === "bigint") throw new TypeError("a BigInt value");
      return value;
    });
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    throw new WaError(
      "queue.notSerialisable",
      `The message cannot be stored (${why}); remove such properties (msg.req, msg.res, sockets, BigInt) before a durable queue`,
      { reason: why },
    );
  }
}

export function reviveMessage(body: string): NodeMessage {
  return JSON.parse(body, (_key, value: unknown) => {
    const candidate = value as { type?: unknown; data?: unknown } | null;
    if (candidate && typeof candidate === "object" && candidate.type === "Buffer" && Array.isArray(candidate.data)) {
      return Buffer.from(candidate.data as number[]);
    }
    return value;
  }) as NodeMessage;
}
