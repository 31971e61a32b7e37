/** Where engines report counters and timings. Nodes hand in a sink; tests read a recorder. */
export interface MetricsSink {
  increment(name: string, by?: number, labels?: Record<string, string>): void;
  observe(name: string, value: number, labels?: Record<string, string>): void;
  gauge(name: string, value: number, labels?: Record<string, string>): void;
}

export const nullMetrics: MetricsSink = {
  increment: () => undefined,
  observe: () => undefined,
  gauge: () => undefined,
};

function seriesKey(name: string, labels?: Record<string, string>): string {
  if (!labels) return name;
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`);
  return `${name}{${parts.join(",")}}`;
}

/** Keeps every reported value in memory; for tests and for the perf monitor's own counters. */
export class RecordingMetrics implements MetricsSink {
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly observations = new Map<string, number[]>();

  increment(name: string, by = 1, labels?: Record<string, string>): void {
    const key = seriesKey(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  observe(name: string, value: number, labels?: Record<string, string>): void {
    const key = seriesKey(name, labels);
    const list = this.observations.get(key) ?? [];
    list.push(value);
    this.observations.set(key, list);
  }

  gauge(name: string, value: number, labels?: Record<string, string>): void {
    this.gauges.set(seriesKey(name, labels), value);
  }

  counter(name: string, labels?: Record<string, string>): number {
    return this.counters.get(seriesKey(name, labels)) ?? 0;
  }
}
