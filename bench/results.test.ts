import { describe, expect, it } from 'vitest';
import { OPEN_MODEL } from './load-accuracy.ts';
import { type BenchResults, summarise, targetsOf } from './results.ts';

function withGenerator(ratio: number): BenchResults {
  const row = { target: 2000, achieved: 2000 * ratio, ratio, medianLagMs: 1, p99LagMs: 2 };
  return {
    loadAccuracy: [
      { generator: 'peer: naive timer loop', ...row, ratio: 0.4 },
      { generator: OPEN_MODEL, ...row },
    ],
  } as unknown as BenchResults;
}

describe('bench summary', () => {
  it("judges the load generator by faultline's own 2,000 rps row, within 1 %", () => {
    const goal = 'load generator holds 2,000 rps within 1 %';
    const held = summarise(withGenerator(0.995), 1);
    expect(held.load_generator_2000_rps_ratio).toBe(0.995);
    expect(targetsOf(held).find((t) => t.goal === goal)?.met).toBe(true);
    const fell = summarise(withGenerator(0.97), 1);
    expect(targetsOf(fell).find((t) => t.goal === goal)).toEqual({
      goal,
      reached: '0.97× of 2,000',
      met: false,
    });
    expect(targetsOf(summarise({} as BenchResults, 1)).find((t) => t.goal === goal)?.met).toBeUndefined();
  });
});
