import type { BalancerEvent } from '../../balancer/index.ts';
import type { Journal, TimelineBucket } from '../journal/types.ts';
import type { SlaResult } from '../sla/types.ts';

const ORIGIN = Date.UTC(2025, 0, 15, 9, 30, 0);
const BUCKET_MS = 250;
const BUCKETS = 50;
const KILL_AT = 4000;
const RESTART_AT = 8000;
/** app1 is back in rotation once the balancer's active health check sees it up. */
const APP1_UP_AT = 8700;
const ERROR_BUCKETS: Record<number, number> = { 16: 21, 17: 24, 18: 12 };
const P99_SPIKE: Record<number, number> = { 16: 212, 17: 248, 18: 131, 19: 38 };

/** Deterministic jitter so the fixture is the same on every run. */
function jitter(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

function splitByWeight(ok: number, weights: Record<string, number>): Record<string, number> {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const servedBy: Record<string, number> = {};
  let left = ok;
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  entries.forEach(([name, w], i) => {
    const n = i === entries.length - 1 ? left : Math.round((ok * w) / total);
    servedBy[name] = n;
    left -= n;
  });
  return servedBy;
}

function sampleTimeline(): TimelineBucket[] {
  return Array.from({ length: BUCKETS }, (_, i) => {
    const offset = i * BUCKET_MS;
    const requests = 50 + Math.round(jitter(i) * 4);
    const errors = ERROR_BUCKETS[i] ?? 0;
    const app1Serving = offset < KILL_AT || offset >= APP1_UP_AT;
    const weights: Record<string, number> = app1Serving
      ? { app1: 2, app2: 1, app3: 1 }
      : { app2: 1, app3: 1 };
    return {
      t: ORIGIN + offset,
      requests,
      errors,
      p99: P99_SPIKE[i] ?? Math.round((11 + jitter(i + 100) * 3) * 10) / 10,
      servedBy: splitByWeight(requests - errors, weights),
    };
  });
}

function sla(
  fields: Pick<SlaResult, 'source' | 'verdict' | 'value' | 'limit' | 'unit' | 'op' | 'detail'> & {
    window: [string, number, number];
    excess?: number;
  },
): SlaResult {
  const [name, start, end] = fields.window;
  return {
    ...fields,
    window: { name, start: ORIGIN + start, end: ORIGIN + end },
    excess: fields.excess ?? 0,
  };
}

function sampleEvents(): BalancerEvent[] {
  const at = (ms: number) => ORIGIN + ms;
  return [
    {
      seq: 41,
      at: at(4310),
      kind: 'ejected',
      pool: 'web',
      server: 'app1',
      reason: '5 consecutive ECONNREFUSED',
      durationMs: 10_000,
    },
    {
      seq: 42,
      at: at(4620),
      kind: 'server-down',
      pool: 'web',
      server: 'app1',
      reason: 'GET /health: ECONNREFUSED (2 of 2)',
      source: 'active',
    },
    { seq: 43, at: at(8420), kind: 'ejection-ended', pool: 'web', server: 'app1' },
    {
      seq: 44,
      at: at(APP1_UP_AT),
      kind: 'server-up',
      pool: 'web',
      server: 'app1',
      reason: 'GET /health: 200 (2 of 2)',
      source: 'active',
    },
  ];
}

/** A realistic primary-crash run: app1 killed at 4s, restarted at 8s, an error burst in between. */
export function sampleJournal(): Journal {
  const timeline = sampleTimeline();
  const servedBy: Record<string, number> = {};
  for (const b of timeline) {
    for (const [name, n] of Object.entries(b.servedBy)) servedBy[name] = (servedBy[name] ?? 0) + n;
  }
  const app1AfterRestart = timeline
    .filter((b) => b.t >= ORIGIN + RESTART_AT)
    .reduce((n, b) => n + (b.servedBy.app1 ?? 0), 0);
  const sent = timeline.reduce((n, b) => n + b.requests, 0);
  const errors = timeline.reduce((n, b) => n + b.errors, 0);
  const end = BUCKETS * BUCKET_MS;
  return {
    version: 1,
    runId: 'primary-crash-20250115T093000Z',
    drill: {
      name: 'primary-crash',
      description: 'The weight-2 primary dies under load; clients must not notice.',
      file: 'drills/catalog/primary-crash.drill.ts',
    },
    stack: 'local',
    status: 'completed',
    deviated: true,
    startedAt: new Date(ORIGIN - 1200).toISOString(),
    endedAt: new Date(ORIGIN + end + 400).toISOString(),
    durationMs: end + 1600,
    clockOrigin: ORIGIN,
    phases: {
      before: { start: ORIGIN, end: ORIGIN + 2000 },
      method: { start: ORIGIN + 2000, end: ORIGIN + 10_500 },
      after: { start: ORIGIN + 10_500, end: ORIGIN + end },
    },
    steadyState: {
      before: [
        sla({
          source: 'error_rate<0.1%',
          verdict: 'passed',
          value: 0,
          limit: 0.001,
          unit: 'ratio',
          op: '<',
          window: ['before', 0, 2000],
          detail: 'error_rate 0.00% < 0.10%',
        }),
        sla({
          source: 'p(99)<100ms',
          verdict: 'passed',
          value: 12.6,
          limit: 100,
          unit: 'ms',
          op: '<',
          window: ['before', 0, 2000],
          detail: 'p(99) 12.6ms < 100ms',
        }),
      ],
      after: [
        sla({
          source: 'error_rate<0.1%',
          verdict: 'passed',
          value: 0,
          limit: 0.001,
          unit: 'ratio',
          op: '<',
          window: ['after', 10_500, end],
          detail: 'error_rate 0.00% < 0.10%',
        }),
        sla({
          source: 'p(99)<100ms',
          verdict: 'passed',
          value: 12.9,
          limit: 100,
          unit: 'ms',
          op: '<',
          window: ['after', 10_500, end],
          detail: 'p(99) 12.9ms < 100ms',
        }),
      ],
    },
    actions: [
      {
        name: 'crash',
        kind: 'fault',
        description: 'SIGKILL app1 (pid 4242)',
        targets: ['app1'],
        trigger: '2s',
        startedAt: ORIGIN + KILL_AT,
        endedAt: ORIGIN + KILL_AT + 3,
        status: 'ok',
      },
      {
        name: 'restart-app1',
        kind: 'fault',
        description: 'start app1 (pid 4311), healthy after 612ms',
        targets: ['app1'],
        trigger: '6s',
        startedAt: ORIGIN + RESTART_AT,
        endedAt: ORIGIN + RESTART_AT + 612,
        status: 'ok',
      },
    ],
    sla: [
      sla({
        source: 'detection<1.5s for crash',
        verdict: 'passed',
        value: 310,
        limit: 1500,
        unit: 'ms',
        op: '<',
        window: ['crash', KILL_AT, RESTART_AT],
        detail: 'detection 310ms < 1500ms for crash (ejected app1)',
      }),
      sla({
        source: 'errors==0 during crash',
        verdict: 'failed',
        value: errors,
        limit: 0,
        unit: 'count',
        op: '==',
        window: ['crash', KILL_AT, RESTART_AT],
        excess: errors,
        detail: `errors ${errors} == 0 failed by ${errors} during crash (ECONNREFUSED before app1 was ejected)`,
      }),
      sla({
        source: 'failover<2s for crash',
        verdict: 'inconclusive',
        value: null,
        limit: 2000,
        unit: 'ms',
        op: '<',
        window: ['crash', KILL_AT, RESTART_AT],
        detail: 'failover never observed: no standby server answered during crash',
      }),
      sla({
        source: 'served_by(app1)>0 after restart-app1',
        verdict: 'passed',
        value: app1AfterRestart,
        limit: 0,
        unit: 'count',
        op: '>',
        window: ['after restart-app1', RESTART_AT, end],
        detail: 'served_by(app1) > 0 after restart-app1',
      }),
    ],
    reverts: [{ description: 'app1 running', outcome: 'nothing-to-do', at: ORIGIN + end + 200 }],
    load: {
      rate: 200,
      sent,
      achievedRps: Math.round((sent / (end / 1000)) * 10) / 10,
      errors,
      latency: { p50: 6.8, p90: 10.4, p99: 41.7, max: 263.2 },
      servedBy,
      late: 0,
    },
    bucketMs: BUCKET_MS,
    timeline,
    events: sampleEvents(),
  };
}
