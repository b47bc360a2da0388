import { build } from 'hdr-histogram-js';

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

/** Latencies are recorded in microseconds, up to two minutes, to 3 significant digits. */
function histogramOf(latenciesMs: Iterable<number>) {
  const h = build({
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let max = 0;
  for (const ms of latenciesMs) {
    const us = Math.max(1, Math.min(120_000_000, Math.round(ms * 1000)));
    h.recordValue(us);
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
  if (h.totalCount === 0) return 0;
  return p >= 100 ? max : h.getValueAtPercentile(p) / 1000;
}
