import { Clock, systemClock } from "../../core/clock";

/**
 * What the node adapters take from the outside world. The runtime uses real time; node tests
 * swap in a fake clock before deploying a flow, so nothing in them waits for real.
 */
export interface RuntimeWorld {
  clock: Clock;
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
