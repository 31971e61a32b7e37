/** Time as the engines see it. Production uses {@link systemClock}; tests use {@link FakeClock}. */
export type TimerHandle = object;

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(callback: () => void, periodMs: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clearTimeout: (handle) => {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  },
  setInterval: (callback, periodMs) => setInterval(callback, Math.max(1, periodMs)),
  clearInterval: (handle) => {
    if (handle) clearInterval(handle as NodeJS.Timeout);
  },
};

interface FakeTimer {
  readonly seq: number;
  dueAt: number;
  readonly periodMs: number | undefined;
  readonly callback: () => void;
}

/** Lets pending promise callbacks run, so async engines settle between fake timer firings. */
export async function flushMicrotasks(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * A clock that only moves when told to. Timers fire in due order; a timer scheduled while
 * advancing fires in the same advance if it falls due inside it.
 */
export class FakeClock implements Clock {
  private current: number;
  private sequence = 0;
  private readonly timers = new Map<TimerHandle, FakeTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.schedule(callback, Math.max(0, delayMs), undefined);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle);
  }

  setInterval(callback: () => void, periodMs: number): TimerHandle {
    const period = Math.max(1, periodMs);
    return this.schedule(callback, period, period);
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward synchronously, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.fire(next);
    }
    this.current = target;
  }

  /** Like {@link advance}, but lets promises settle after every timer (for async engines). */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.fire(next);
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  private schedule(callback: () => void, delayMs: number, periodMs: number | undefined): TimerHandle {
    const handle: TimerHandle = { fakeTimer: (this.sequence += 1) };
    this.timers.set(handle, { seq: this.sequence, dueAt: this.current + delayMs, periodMs, callback });
    return handle;
  }

  private nextDue(limit: number): [TimerHandle, FakeTimer] | undefined {
    let best: [TimerHandle, FakeTimer] | undefined;
    for (const entry of this.timers) {
      const timer = entry[1];
      if (timer.dueAt > limit) continue;
      if (!best || timer.dueAt < best[1].dueAt || (timer.dueAt === best[1].dueAt && timer.seq < best[1].seq)) {
        best = entry;
      }
    }
    return best;
  }

  private fire([handle, timer]: [TimerHandle, FakeTimer]): void {
    this.current = Math.max(this.current, timer.dueAt);
    if (timer.periodMs === undefined) {
      this.timers.delete(handle);
    } else {
      timer.dueAt += timer.periodMs;
    }
    timer.callback();
  }
}
