import { Clock } from "../clock";
import { WaError } from "../errors";

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Failures are counted over this sliding window. */
  windowMs: number;
  /** No decision on fewer calls than this in the window. */
  minimumCalls: number;
  /** Opens when at least this share of the window's calls failed (0..1)... */
  failureRate: number;
  /** ...or when at least this many failed, whichever comes first (0: off). */
  failureCount: number;
  /** How long it stays open before letting probes through. */
  resetTimeoutMs: number;
  /** Probes allowed while half-open; all must succeed to close. */
  halfOpenProbes: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  windowMs: 60_000,
  minimumCalls: 10,
  failureRate: 0.5,
  failureCount: 0,
  resetTimeoutMs: 30_000,
  halfOpenProbes: 1,
};

/**
 * A circuit breaker: closed lets calls through and counts failures over a window; open refuses
 * at once (the caller waits or dead-letters) until the reset timeout; half-open lets a few
 * probes through and closes when they succeed, or opens again on the first failure.
 */
export class CircuitBreaker {
  private current: BreakerState = "closed";
  private openedAt = 0;
  private calls: { at: number; failed: boolean }[] = [];
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private readonly listeners = new Set<(state: BreakerState, reason: string) => void>();
  private opens = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: BreakerOptions,
  ) {
    if (!(options.failureRate > 0 && options.failureRate <= 1))
      throw new WaError("config.invalid", "Breaker failure rate: more than 0 and at most 1", { field: "failureRate" });
    if (!(options.resetTimeoutMs > 0 && options.windowMs > 0 && options.halfOpenProbes >= 1 && options.minimumCalls >= 1)) {
      throw new WaError("config.invalid", "Breaker window, reset time, probes and minimum calls must be positive", {
        field: "resetTimeout",
      });
    }
  }

  state(): BreakerState {
    if (this.current === "open" && this.clock.now() - this.openedAt >= this.options.resetTimeoutMs)
      this.transition("half-open", "reset timeout passed");
    return this.current;
  }

  stats(): { state: BreakerState; callsInWindow: number; failuresInWindow: number; opens: number; retryAt?: number } {
    this.trim();
    const state = this.state();
    return {
      state,
      callsInWindow: this.calls.length,
      failuresInWindow: this.calls.filter((c) => c.failed).length,
      opens: this.opens,
      ...(state === "open" ? { retryAt: this.openedAt + this.options.resetTimeoutMs } : {}),
    };
  }

  onChange(listener: (state: BreakerState, reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks to make a call: true when it may go now (a probe counts as taken). */
  tryAcquire(): boolean {
    const state = this.state();
    if (state === "closed") return true;
    if (state === "open") return false;
    if (this.probesInFlight + this.probeSuccesses >= this.options.halfOpenProbes) return false;
    this.probesInFlight += 1;
    return true;
  }

  /** When an open breaker will let a probe through. */
  retryAt(): number | undefined {
    return this.state() === "open" ? this.openedAt + this.options.resetTimeoutMs : undefined;
  }

  recordSuccess(): void {
    if (this.current === "half-open") {
      this.probesInFlight = Math.max(0, this.probesInFlight - 1);
      this.probeSuccesses += 1;
      if (this.probeSuccesses >= this.options.halfOpenProbes) this.transition("closed", "probes succeeded");
      return;
    }
    this.calls.push({ at: this.clock.now(), failed: false });
    this.trim();
  }

  recordFailure(reason: string): void {
    if (this.current === "half-open") {
      this.transition("open", `probe failed: ${reason}`);
      return;
    }
    if (this.current === "open") return;
    this.calls.push({ at: this.clock.now(), failed: true });
    this.trim();
    const failures = this.calls.filter((c) => c.failed).length;
    const byCount = this.options.failureCount > 0 && failures >= this.options.failureCount;
    const byRate = this.calls.length >= this.options.minimumCalls && failures / this.calls.length >= this.options.failureRate;
    if (byCount || byRate)
      this.transition("open", `${failures} of ${this.calls.length} calls failed in ${this.options.windowMs / 1000} s (last: ${reason})`);
  }

  private trim(): void {
    const since = this.clock.now() - this.options.windowMs;
    while (this.calls.length > 0 && this.calls[0].at < since) this.calls.shift();
  }

  private transition(state: BreakerState, reason: string): void {
    if (state === this.current) return;
    this.current = state;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    if (state === "open") {
      this.openedAt = this.clock.now();
      this.opens += 1;
    }
    if (state === "closed") this.calls = [];
    for (const listener of [...this.listeners]) listener(state, reason);
  }
}
