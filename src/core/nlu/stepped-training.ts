/**
 * Runs a training loop written as steps (a generator yielding the share done) while letting the rest of
 * Node-RED run: it yields to the event loop every `sliceMs` of work, so a deploy that trains on thousands of
 * examples does not freeze the flows.
 */
export async function runInSlices<T>(steps: Generator<number, T>, sliceMs = 20, onProgress?: (share: number) => void): Promise<T> {
  let sliceStart = Date.now();
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    if (Date.now() - sliceStart >= sliceMs) {
      onProgress?.(step.value);
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = Date.now();
    }
  }
}

/** Runs a training loop written as steps to its end, in one go. */
export function runToEnd<T>(steps: Generator<number, T>): T {
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}
