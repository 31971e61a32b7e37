import { Clock, systemClock } from "../../core/clock";
import type { WwebjsClientLike } from "../../core/transport/wwebjs-transport";
import type { BaileysSocketLike } from "../../core/transport/baileys-transport";

/**
 * What the node adapters take from the outside world. The runtime uses real time; node tests
 * swap in a fake clock before deploying a flow, so nothing in them waits for real.
 */
export interface RuntimeWorld {
  clock: Clock;
  /**
   * Makes the whatsapp-web.js Client for a WhatsApp Web connection; undefined uses the library.
   * Tests put a stand-in here (WhatsApp Web cannot be reached from them).
   */
  createWwebjsClient?: (sessionId: string) => WwebjsClientLike;
  /** Makes the Baileys socket of a browser-free WhatsApp Web connection; undefined uses the library. */
  createBaileysSocket?: (sessionId: string) => BaileysSocketLike;
  /**
   * How long a stopping pipeline waits for its messages in flight (ms); undefined reads the runtime's
   * settings (`waPipeline.drainSeconds`). Node tests set 0: their flows stop with work left on purpose.
   */
  drainMs?: number;
}

const world: RuntimeWorld = { clock: systemClock };

export function runtimeWorld(): RuntimeWorld {
  return world;
}

/** Replaces parts of the world; returns a function that puts the previous ones back. */
export function replaceRuntimeWorld(changes: Partial<RuntimeWorld>): () => void {
  const previous = { ...world };
  Object.assign(world, changes);
  return () => Object.assign(world, previous);
}
