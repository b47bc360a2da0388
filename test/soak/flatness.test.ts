import { describe, expect, it } from 'vitest';
import { judgeFdsAtRest, judgeFlatness } from './flatness.ts';
import type { ProcessSample } from './process-sampler.ts';

const MiB = 2 ** 20;
const LIMITS = {
  warmupMs: 10_000,
  rssGrowthBytes: 16 * MiB,
  rssGrowthRatio: 0.2,
  liveHeapGrowthBytes: 4 * MiB,
  liveHeapGrowthRatio: 0.1,
};

/** One sample every 5 s for 10 minutes, shaped by `rss` and `fds` of the sample's index. */
function series(rss: (i: number) => number, fds: (i: number) => number): ProcessSample[] {
  return Array.from({ length: 120 }, (_, i) => ({ atMs: i * 5000, rssBytes: rss(i), openFds: fds(i) }));
}

describe('judgeFlatness', () => {
  it('passes a noisy but flat series, warm-up growth and single GC spikes included', () => {
    const samples = series(
      (i) => (i < 2 ? 60 * MiB : 100 * MiB) + ((i * 7919) % 11) * MiB + (i % 37 === 0 ? 40 * MiB : 0),
      (i) => 40 + ((i * 31) % 9),
    );
    const verdict = judgeFlatness(samples, LIMITS);
    expect(verdict.lines.join('\n')).not.toContain('GROWING');
    expect(verdict.ok).toBe(true);
  });

  it('fails a leak of 100 KiB per second, and names RSS', () => {
    const samples = series(
      (i) => 100 * MiB + i * 5 * 100 * 1024,
      () => 40,
    );
    const verdict = judgeFlatness(samples, LIMITS);
    expect(verdict.ok).toBe(false);
    expect(verdict.lines[0]).toMatch(/^RSS .* GROWING$/);
  });

  it('does not judge open fds under load, which follow the fault of the moment', () => {
    const verdict = judgeFlatness(
      series(
        () => 100 * MiB,
        (i) => (i > 90 ? 140 : 40),
      ),
      LIMITS,
    );
    expect(verdict.ok).toBe(true);
  });

  it('judges open fds at rest: back to the idle count passes, descriptors left open fail', () => {
    expect(judgeFdsAtRest(40, 43, 10, 180).ok).toBe(true);
    const leak = judgeFdsAtRest(40, 95, 10, 180);
    expect(leak.ok).toBe(false);
    expect(leak.lines[0]).toBe(
      'open fds at rest 40 → 95 (growth 55, limit 10; peak under load 180): GROWING',
    );
  });

  it('fails a live heap that grows while RSS stays inside its looser limit', () => {
    const samples = series(
      (i) => 150 * MiB + (i % 5) * MiB,
      () => 40,
    ).map((x, i) => ({ ...x, liveHeapBytes: 20 * MiB + i * 100 * 1024 }));
    const verdict = judgeFlatness(samples, LIMITS);
    expect(verdict.ok).toBe(false);
    expect(verdict.lines[0]).toMatch(/flat$/);
    expect(verdict.lines[1]).toMatch(/^live memory after GC .* GROWING$/);
  });

  it('refuses to judge too few samples', () => {
    const verdict = judgeFlatness(
      series(
        () => MiB,
        () => 1,
      ).slice(0, 5),
      LIMITS,
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.lines[0]).toContain('at least 8 are needed');
  });
});
