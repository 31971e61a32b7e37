import { Clock } from "../clock";
import { TransportState } from "../transport/transport";
import { DeafDetector, DeafReading } from "./deaf-detector";

export type HealthLevel = "healthy" | "degraded" | "down";

export interface ClientHealthOptions {
  /** Degraded when nothing happened (no message in or out) for this long; 0 turns it off. */
  silenceWarnMs: number;
  /** Window over which send failures are counted. */
  windowMs: number;
  /** Degraded when at least this share of the window's sends failed (and at least 3 were tried). */
  failureRateWarn: number;
}

export interface ClientHealthSnapshot {
  level: HealthLevel;
  /** Why the level is what it is, for a person. */
  reason: string;
  state: TransportState;
  stateSince: number;
  lastEventAt: number | null;
  silenceMs: number | null;
  reconnects: number;
  authFailures: number;
  sendsInWindow: number;
  sendFailuresInWindow: number;
  sendFailureRate: number;
  /** Deaf-session detection, when it is on. */
  deaf?: DeafReading;
  at: number;
}

/** Watches a WhatsApp connection through its events and grades it healthy, degraded or down. */
export class ClientHealthMonitor {
  private state: TransportState = "starting";
  private stateSince: number;
  private lastEventAt: number | null = null;
  private reconnects = 0;
  private authFailures = 0;
  private wasReady = false;
  private sends: { at: number; ok: boolean }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly options: ClientHealthOptions,
    private readonly deaf?: DeafDetector,
  ) {
    this.stateSince = clock.now();
  }

  observeState(state: TransportState, detail?: string): void {
    const now = this.clock.now();
    if (state === this.state) return;
    if (state === "ready" && this.wasReady) this.reconnects += 1;
    if (state === "ready") this.wasReady = true;
    if (state === "disconnected" && detail !== undefined && /auth/i.test(detail)) this.authFailures += 1;
    this.state = state;
    this.stateSince = now;
    this.lastEventAt = now;
    if (state === "ready") this.deaf?.connected();
    else this.deaf?.disconnected();
  }

  /** A message came in (from `chatId`, for deaf-session detection). */
  observeIncoming(chatId?: string): void {
    this.lastEventAt = this.clock.now();
    this.deaf?.message(chatId);
  }

  observeSend(ok: boolean): void {
    const now = this.clock.now();
    this.lastEventAt = now;
    this.sends.push({ at: now, ok });
    this.trim(now);
  }

  snapshot(): ClientHealthSnapshot {
    const now = this.clock.now();
    this.trim(now);
    const failures = this.sends.filter((send) => !send.ok).length;
    const rate = this.sends.length === 0 ? 0 : failures / this.sends.length;
    const silenceMs = this.lastEventAt === null ? null : now - this.lastEventAt;
    const deaf = this.deaf?.reading();
    const { level, reason } = this.grade(rate, silenceMs, now, deaf);
    return {
      level,
      reason,
      state: this.state,
      stateSince: this.stateSince,
      lastEventAt: this.lastEventAt,
      silenceMs,
      reconnects: this.reconnects,
      authFailures: this.authFailures,
      sendsInWindow: this.sends.length,
      sendFailuresInWindow: failures,
      sendFailureRate: rate,
      ...(deaf ? { deaf } : {}),
      at: now,
    };
  }

  private grade(
    rate: number,
    silenceMs: number | null,
    now: number,
    deaf: DeafReading | undefined,
  ): { level: HealthLevel; reason: string } {
    if (this.state === "disconnected" || this.state === "stopped") return { level: "down", reason: `connection ${this.state}` };
    if (this.state === "starting" || this.state === "pairing") return { level: "degraded", reason: `connection ${this.state}` };
    if (deaf && (deaf.phase === "suspect" || deaf.phase === "probing" || deaf.phase === "deaf")) {
      return { level: "degraded", reason: deafReason(deaf) };
    }
    if (this.sends.length >= 3 && rate >= this.options.failureRateWarn) {
      return { level: "degraded", reason: `${Math.round(rate * 100)}% of recent sends failed` };
    }
    const quietFor = silenceMs ?? now - this.stateSince;
    if (this.options.silenceWarnMs > 0 && quietFor >= this.options.silenceWarnMs) {
      return { level: "degraded", reason: `no activity for ${Math.round(quietFor / 1000)} s` };
    }
    return { level: "healthy", reason: "connected" };
  }

  private trim(now: number): void {
    const from = now - this.options.windowMs;
    while (this.sends.length > 0 && this.sends[0].at < from) this.sends.shift();
  }
}

/** For a person: what the silence is and what was done about it. */
export function deafReason(deaf: DeafReading): string {
  const minutes = Math.round((deaf.silenceMs ?? 0) / 60_000);
  const expected = deaf.expectedArrivals < 10 ? deaf.expectedArrivals.toFixed(1) : String(Math.round(deaf.expectedArrivals));
  if (deaf.phase === "deaf")
    return `deaf: nothing received and the connection did not answer a probe${deaf.lastProbe?.detail ? ` (${deaf.lastProbe.detail})` : ""}`;
  if (deaf.phase === "probing") return `no message for ${minutes} min where about ${expected} chats would usually have written: probing`;
  return `no message for ${minutes} min where about ${expected} chats would usually have written: possibly deaf`;
}
