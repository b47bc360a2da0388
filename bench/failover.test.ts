import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../drills/recording.ts';
import { scoreRun } from './failover.ts';
import { failoverTable } from './tables.ts';

const PLAN = { faultAtMs: 1000, restoreAtMs: 2000, durationMs: 3000 };

/** One request every 10 ms for 3 s; `shape` sets each one's latency, status and server. */
function run(shape: (atMs: number) => Partial<RequestRecord>): RequestRecord[] {
  return Array.from({ length: 300 }, (_, i) => ({
    intended: 10_000 + i * 10,
    sent: 10_000 + i * 10,
    method: 'GET',
    path: '/',
    latencyMs: 2,
    status: 200,
    servedBy: 'app2',
    ...shape(i * 10),
  }));
}

describe('scoreRun', () => {
  it('measures a freeze: stuck requests until the front stopped routing, p99 and max during it, recovery', () => {
    const records = run((at) => {
      if (at >= 1000 && at < 1400 && at % 30 === 0) return { latencyMs: 1000, servedBy: 'app1' };
      if (at >= 2050) return { servedBy: at % 20 === 0 ? 'app1' : 'app2' };
      return {};
    });
    const score = scoreRun(records, 10_000, PLAN, ['app1']);
    expect(score.failed).toBe(0);
    expect(score.stuckUntilMs).toBe(1380 - 1000);
    expect(score.maxMs).toBe(1000);
    // The drills' own percentile (an HDR histogram, 3 significant digits): 1000 ms within 0.1 %.
    expect(Math.abs(score.p99Ms - 1000)).toBeLessThanOrEqual(1);
    expect(score.recoveryMs).toBe(60);
    expect(score.achievedRps).toBe(100);
  });

  it('counts transport errors and 5xx as failed; a crash that costs no time leaves nothing stuck', () => {
    const records = run((at) =>
      at === 1200 ? { status: 0, error: 'ECONNRESET' } : at === 1300 ? { status: 502 } : {},
    );
    const score = scoreRun(records, 10_000, PLAN, ['app1']);
    expect(score.failed).toBe(2);
    expect(score.stuckUntilMs).toBeUndefined();
    expect(score.recoveryMs).toBeUndefined();
  });
});

describe('failoverTable', () => {
  it('renders every figure of a row in its column', () => {
    const table = failoverTable([
      {
        front: 'nginx',
        scenario: 'primary-crash',
        requests: 6000,
        failed: 3,
        p99Ms: 12.4,
        maxMs: 40,
        stuckUntilMs: undefined,
        outOfRotationMs: 7,
        recoveryMs: 1004,
        achievedRps: 499.6,
      },
    ]);
    expect(table.split('\n')[2]).toBe('| primary-crash | nginx | 3 | 12 | 40 | — | 7 | 1004 | 500 |');
  });
});
