import { describe, expect, it } from 'vitest';
import { latencySummary, percentileOf } from './latency-stats.ts';

describe('latency percentiles (HdrHistogram, 3 significant digits)', () => {
  it('matches nearest-rank percentiles within the histogram precision', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = latencySummary(values);
    expect(s.count).toBe(100);
    expect(s.p50).toBeCloseTo(50, 0);
    expect(s.p90).toBeCloseTo(90, 0);
    expect(s.p99).toBeCloseTo(99, 0);
    expect(s.max).toBe(100);
    expect(percentileOf(values, 100)).toBe(100);
  });

  it('keeps sub-millisecond and long latencies, and is 0 for no values', () => {
    expect(percentileOf([0.25, 0.25, 0.25], 50)).toBeCloseTo(0.25, 2);
    expect(percentileOf([60_000], 99)).toBeCloseTo(60_000, -2);
    expect(latencySummary([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, count: 0 });
  });

  it('a slow tail moves p99, not p50', () => {
    const values = [...Array.from({ length: 980 }, () => 2), ...Array.from({ length: 20 }, () => 500)];
    const s = latencySummary(values);
    expect(s.p50).toBeCloseTo(2, 1);
    expect(s.p99).toBeCloseTo(500, -1);
  });
});
