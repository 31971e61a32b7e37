import { HealthLevel } from "./client-health";

/**
 * One number for "how well is the pipeline doing", 0 (down) to 100 (all good), from named,
 * documented parts. A part with no reading is left out and the others weigh more.
 */
export interface HealthInputs {
  /** Share of failed messages, 0..1 (perf monitor). */
  errorRate?: number;
  /** End-to-end p99 latency in ms (perf monitor). */
  p99LatencyMs?: number;
  /** Messages waiting in the queue. */
  queueDepth?: number;
  /** The WhatsApp connection's grade (client health). */
  clientLevel?: HealthLevel;
  /** The Sheets circuit breaker, when there is one. */
  breakerState?: "closed" | "half-open" | "open";
}

export interface HealthWeights {
  errorRate: number;
  latency: number;
  queueDepth: number;
  client: number;
  breaker: number;
}

export interface HealthThresholds {
  /** Error rate at which that part scores 0. */
  errorRateZero: number;
  /** p99 latency that still scores full marks, and the one that scores 0. */
  latencyGoodMs: number;
  latencyZeroMs: number;
  /** Queue depth that still scores full marks, and the one that scores 0. */
  queueGood: number;
  queueZero: number;
}

export const DEFAULT_WEIGHTS: HealthWeights = { errorRate: 35, latency: 20, queueDepth: 15, client: 20, breaker: 10 };
export const DEFAULT_THRESHOLDS: HealthThresholds = {
  errorRateZero: 0.2,
  latencyGoodMs: 2_000,
  latencyZeroMs: 30_000,
  queueGood: 10,
  queueZero: 1_000,
};

export interface HealthScore {
  score: number;
  band: "good" | "fair" | "poor";
  /** Each part's own score (0..1) and weight, for a person to see why. */
  parts: Partial<Record<keyof HealthWeights, { score: number; weight: number }>>;
}

function between(value: number, good: number, zero: number): number {
  if (value <= good) return 1;
  if (value >= zero) return 0;
  return 1 - (value - good) / (zero - good);
}

export function scoreHealth(
  inputs: HealthInputs,
  weights: HealthWeights = DEFAULT_WEIGHTS,
  thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
): HealthScore {
  const parts: HealthScore["parts"] = {};
  if (inputs.errorRate !== undefined && Number.isFinite(inputs.errorRate))
    parts.errorRate = { score: between(inputs.errorRate, 0, thresholds.errorRateZero), weight: weights.errorRate };
  if (inputs.p99LatencyMs !== undefined && Number.isFinite(inputs.p99LatencyMs)) {
    parts.latency = { score: between(inputs.p99LatencyMs, thresholds.latencyGoodMs, thresholds.latencyZeroMs), weight: weights.latency };
  }
  if (inputs.queueDepth !== undefined && Number.isFinite(inputs.queueDepth))
    parts.queueDepth = { score: between(inputs.queueDepth, thresholds.queueGood, thresholds.queueZero), weight: weights.queueDepth };
  if (inputs.clientLevel !== undefined)
    parts.client = { score: { healthy: 1, degraded: 0.5, down: 0 }[inputs.clientLevel], weight: weights.client };
  if (inputs.breakerState !== undefined)
    parts.breaker = { score: { closed: 1, "half-open": 0.5, open: 0 }[inputs.breakerState], weight: weights.breaker };
  const entries = Object.values(parts).filter((part) => part.weight > 0);
  const totalWeight = entries.reduce((sum, part) => sum + part.weight, 0);
  // With no reading at all there is nothing wrong to report yet.
  const score =
    totalWeight === 0 ? 100 : Math.round((100 * entries.reduce((sum, part) => sum + part.score * part.weight, 0)) / totalWeight);
  return { score, band: score >= 80 ? "good" : score >= 50 ? "fair" : "poor", parts };
}
