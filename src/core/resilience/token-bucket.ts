import { Clock } from "../clock";

/**
 * A request budget per minute (Google: 60 per user, 300 per project), refilled continuously.
 * Callers take a turn and wait the time it says, so a burst is spread instead of refused.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private waiting = 0;

  constructor(
    private readonly clock: Clock,
    readonly perMinute: number,
  ) {
    this.tokens = perMinute;
    this.updatedAt = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.updatedAt) * this.perMinute) / 60_000);
    this.updatedAt = now;
  }

  /** Reserves one request and returns how long to wait before making it (0: now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens * 60_000) / this.perMinute);
  }

  /** Resolves when this caller may make its request. */
  async turn(): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs === 0) return;
    this.waiting += 1;
    try {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, waitMs));
    } finally {
      this.waiting -= 1;
    }
  }

  /** Requests that have a turn reserved but are still waiting for it. */
  get queued(): number {
    return this.waiting;
  }

  available(): number {
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
  }
}
