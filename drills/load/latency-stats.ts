import { build, type Histogram } from 'hdr-histogram-js';

export type { Histogram };

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

const HIGHEST_US = 120_000_000;

/** Latencies are recorded in microseconds, up to two minutes, to 3 significant digits. */
export function newLatencyHistogram(): Histogram {
  return build({
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
}

/** A latency in ms as the histogram records it. */
export function toMicros(ms: number): number {
  return Math.max(1, Math.min(HIGHEST_US, Math.round(ms * 1000)));
}

/** One percentile (0 < p ≤ 100) in ms from a histogram and the exact max; 0 for no values. */
export function percentileFrom(h: Histogram, maxMs: number, p: number): number {
  if (h.totalCount === 0) return 0;
  return p >= 100 ? maxMs : h.getValueAtPercentile(p) / 1000;
}

function histogramOf(latenciesMs: Iterable<number>) {
  const h = newLatencyHistogram();
  let max = 0;
  for (const ms of latenciesMs) {
    h.recordValue(toMicros(ms));
    if (ms > max) max = ms;
  }
  return { h, max };
}

/** Percentiles through HdrHistogram (k6 and wrk2 report the same way); ms in, ms out. */
export function latencySummary(latenciesMs: Iterable<number>): LatencySummary {
  const { h, max } = histogramOf(latenciesMs);
  const count = h.totalCount;
  const at = (p: number) => (count === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
  return { p50: at(50), p90: at(90), p99: at(99), max, count };
}

/** One percentile (0 < p ≤ 100) in ms; 0 for no values. */
export function percentileOf(latenciesMs: Iterable<number>, p: number): number {
  const { h, max } = histogramOf(latenciesMs);
  return percentileFrom(h, max, p);
}
