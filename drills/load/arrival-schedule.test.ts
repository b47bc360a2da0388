import { describe, expect, it } from 'vitest';
import { arrivalSchedule } from './arrival-schedule.ts';

describe('arrival schedule', () => {
  it('without a ramp: request i is due at i / rate', () => {
    const s = arrivalSchedule(200);
    expect(s.offsetOf(0)).toBe(0);
    expect(s.offsetOf(200)).toBeCloseTo(1000);
    expect(s.countWithin(1000)).toBe(200);
  });

  it('a ramp starts at the given share of the rate and ends at the full rate', () => {
    const s = arrivalSchedule(1000, { durationMs: 2000, fromFraction: 0.1 });
    // Requests due in the first 100 ms: about 10 % of the full rate's 100.
    expect(s.countWithin(100)).toBeGreaterThanOrEqual(10);
    expect(s.countWithin(100)).toBeLessThan(16);
    // The ramp holds the average of its two ends: 0.55 × 1000/s × 2 s.
    expect(s.countWithin(2000)).toBe(1100);
    // After it, the full rate: 1000 more per second.
    expect(s.countWithin(3000)).toBe(2100);
    expect(s.offsetOf(1100)).toBeCloseTo(2000);
    expect(s.offsetOf(2100)).toBeCloseTo(3000);
  });

  it('offsetOf and countWithin agree, and the offsets only grow', () => {
    const s = arrivalSchedule(350, { durationMs: 1500, fromFraction: 0.25 });
    let previous = -1;
    for (let i = 0; i < 1500; i++) {
      const t = s.offsetOf(i);
      expect(t).toBeGreaterThan(previous);
      previous = t;
      // Request i is due at t: i+1 requests (0..i) are due by then.
      expect(s.countWithin(t + 1e-6)).toBe(i + 1);
    }
  });
});
