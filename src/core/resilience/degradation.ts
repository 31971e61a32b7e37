export type DegradationMode = "full" | "reduced" | "minimal";

export const MODE_RANK: Record<DegradationMode, number> = { full: 0, reduced: 1, minimal: 2 };

export interface DegradationInputs {
  /** 0..100 from the health score; undefined when not known yet. */
  healthScore?: number;
  /** Circuit breakers by name and their state. */
  breakers?: Record<string, "closed" | "half-open" | "open">;
  queueDepth?: number;
}

export interface DegradationThresholds {
  /** Score below which to reduce / go minimal. */
  reducedBelowScore: number;
  minimalBelowScore: number;
  /** Queue depth above which to reduce / go minimal. */
  reducedAboveDepth: number;
  minimalAboveDepth: number;
  /** An open breaker means at least this mode. */
  openBreakerMode: DegradationMode;
  /** How far past a threshold the inputs must come back before a better mode is chosen. */
  scoreMargin: number;
  depthMargin: number;
  /** A better mode is taken only after its conditions held this long (a worse one at once). */
  recoverAfterMs: number;
}

export const DEFAULT_DEGRADATION: DegradationThresholds = {
  reducedBelowScore: 70,
  minimalBelowScore: 40,
  reducedAboveDepth: 200,
  minimalAboveDepth: 1000,
  openBreakerMode: "reduced",
  scoreMargin: 10,
  depthMargin: 50,
  recoverAfterMs: 30_000,
};

export interface ModeDecision {
  mode: DegradationMode;
  changed: boolean;
  previous: DegradationMode;
  reasons: string[];
}

function worse(a: DegradationMode, b: DegradationMode): DegradationMode {
  return MODE_RANK[a] >= MODE_RANK[b] ? a : b;
}

/**
 * Chooses full / reduced / minimal from health, breakers and backlog. Getting worse is
 * immediate; getting better needs the inputs past the threshold by a margin, held for a
 * while, so a score hovering at a threshold does not flap between modes.
 */
export class DegradationPolicy {
  private current: DegradationMode = "full";
  private betterSince: number | undefined;

  constructor(private readonly thresholds: DegradationThresholds) {}

  get mode(): DegradationMode {
    return this.current;
  }

  /** The mode the inputs call for, judged with or without the recovery margins. */
  private target(inputs: DegradationInputs, withMargin: boolean): { mode: DegradationMode; reasons: string[] } {
    const t = this.thresholds;
    const scoreMargin = withMargin ? t.scoreMargin : 0;
    const depthMargin = withMargin ? t.depthMargin : 0;
    let mode: DegradationMode = "full";
    const reasons: string[] = [];
    const score = inputs.healthScore;
    if (score !== undefined) {
      if (score < t.minimalBelowScore + scoreMargin) {
        mode = worse(mode, "minimal");
        reasons.push(`health score ${score} < ${t.minimalBelowScore + scoreMargin}`);
      } else if (score < t.reducedBelowScore + scoreMargin) {
        mode = worse(mode, "reduced");
        reasons.push(`health score ${score} < ${t.reducedBelowScore + scoreMargin}`);
      }
    }
    const depth = inputs.queueDepth;
    if (depth !== undefined) {
      if (depth > t.minimalAboveDepth - depthMargin) {
        mode = worse(mode, "minimal");
        reasons.push(`queue depth ${depth} > ${t.minimalAboveDepth - depthMargin}`);
      } else if (depth > t.reducedAboveDepth - depthMargin) {
        mode = worse(mode, "reduced");
        reasons.push(`queue depth ${depth} > ${t.reducedAboveDepth - depthMargin}`);
      }
    }
    for (const [name, state] of Object.entries(inputs.breakers ?? {})) {
      if (state === "open" || (withMargin && state === "half-open")) {
        mode = worse(mode, t.openBreakerMode);
        reasons.push(`breaker ${name} ${state}`);
      }
    }
    return { mode, reasons };
  }

  decide(inputs: DegradationInputs, now: number): ModeDecision {
    const previous = this.current;
    const plain = this.target(inputs, false);
    if (MODE_RANK[plain.mode] > MODE_RANK[this.current]) {
      this.current = plain.mode;
      this.betterSince = undefined;
      return { mode: this.current, changed: true, previous, reasons: plain.reasons };
    }
    const strict = this.target(inputs, true);
    if (MODE_RANK[strict.mode] < MODE_RANK[this.current]) {
      this.betterSince ??= now;
      if (now - this.betterSince >= this.thresholds.recoverAfterMs) {
        this.current = strict.mode;
        this.betterSince = undefined;
        return { mode: this.current, changed: true, previous, reasons: strict.reasons.length > 0 ? strict.reasons : ["recovered"] };
      }
    } else {
      this.betterSince = undefined;
    }
    return { mode: this.current, changed: false, previous, reasons: strict.reasons.length > 0 ? strict.reasons : plain.reasons };
  }
}

/**
 * For costly nodes (OCR, transcription, heavy NLP): whether to pass a message through
 * untouched because the degradation node marked it with a mode at or past `skipFrom`.
 */
export function shouldBypass(msg: { wa?: { resilience?: { mode?: unknown } } }, skipFrom: DegradationMode): boolean {
  const mode = msg.wa?.resilience?.mode;
  return typeof mode === "string" && mode in MODE_RANK && MODE_RANK[mode as DegradationMode] >= MODE_RANK[skipFrom];
}
