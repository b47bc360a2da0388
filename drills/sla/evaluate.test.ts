import { describe, expect, it } from 'vitest';
import type { BalancerEvent } from '../../balancer/index.ts';
import type { RequestRecord } from '../recording.ts';
import { evaluateOn, evaluateSla } from './evaluate.ts';
import { parseSla } from './parse.ts';
import type { SlaContext, StepTiming } from './types.ts';

/**
 * A synthetic 10 s run at 100 req/s (one request every 10 ms, 5 ms each, app1/app2
 * alternating). before = [0, 2000), method = [2000, 8000), after = [8000, 10000).
 * Step `crash` kills app1 at 3000; requests to it fail until the balancer notices, then
 * app2 and the standby app3 serve; `restore` at 6000 brings app1 back.
 */
function run(options: { failUntil?: number; servedBy?: (t: number, i: number) => string | undefined } = {}) {
  const requests: RequestRecord[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = i * 10;
    const down = t >= 3000 && t < 6000;
    let servedBy = options.servedBy?.(t, i) ?? (i % 2 === 0 ? 'app1' : 'app2');
    let status = 200;
    let latencyMs = 5;
    if (down && servedBy === 'app1') {
      if (t < (options.failUntil ?? 3200)) {
        status = 502;
        latencyMs = 40;
      } else servedBy = 'app3';
    }
    requests.push({
      intended: t,
      sent: t,
      latencyMs,
      method: 'GET',
      path: '/',
      status,
      ...(status === 200 ? { servedBy } : { error: 'upstream_connect_failed' }),
    });
  }
  return requests;
}

const ev = (kind: string, at: number, server?: string): BalancerEvent =>
  ({
    kind,
    pool: 'web',
    at,
    seq: at,
    ...(server ? { server, reason: 'x', source: 'active' } : {}),
  }) as BalancerEvent;

const steps: StepTiming[] = [
  {
    name: 'crash',
    aliases: ['kill'],
    targets: ['app1'],
    isFault: true,
    startedAt: 3000,
    endedAt: 3002,
    windowEnd: 6000,
  },
  {
    name: 'restore',
    aliases: ['restart'],
    targets: ['app1'],
    isFault: true,
    startedAt: 6000,
    endedAt: 6500,
    windowEnd: 8000,
  },
];

function context(requests = run(), events: BalancerEvent[] = [ev('server-down', 3250, 'app1')]): SlaContext {
  return {
    recording: { requests, events },
    phases: {
      before: { start: 0, end: 2000 },
      method: { start: 2000, end: 8000 },
      after: { start: 8000, end: 10000 },
    },
    steps,
    backups: ['app3'],
    steadyState: [parseSla('error_rate==0'), parseSla('p(99)<20ms')],
  };
}

const check = (text: string, ctx = context()) => evaluateSla(parseSla(text), ctx);

describe('evaluateSla: request metrics and windows', () => {
  it('errors and error_rate in overall and during a step', () => {
    // failures: app1's requests in [3000, 3200) = 10 of them
    expect(check('errors==0 overall')).toMatchObject({
      verdict: 'failed',
      value: 10,
      excess: 10,
      window: { name: 'overall', start: 0, end: 10000 },
    });
    expect(check('errors<=10')).toMatchObject({ verdict: 'passed', value: 10, excess: 0 });
    const rate = check('error_rate<0.1% during crash');
    expect(rate.value).toBeCloseTo(10 / 300, 6);
    expect(rate.verdict).toBe('failed');
    expect(rate.excess).toBeCloseTo(10 / 300 - 0.001, 6);
    expect(rate.detail).toBe('error_rate 3.33%, limit <0.10%: over by 3.23 pp (during crash)');
    expect(rate.window).toEqual({ name: 'during crash', start: 3000, end: 6000 });
  });

  it('latency percentiles, avg and max include failed requests', () => {
    const p99 = check('p(99)<30ms during crash');
    expect(p99.verdict).toBe('failed');
    expect(p99.value).toBeCloseTo(40, 0);
    expect(check('p(50)<10ms during crash')).toMatchObject({ verdict: 'passed' });
    expect(check('max<=40ms')).toMatchObject({ verdict: 'passed', value: 40 });
    expect(check('avg<6ms before').value).toBeCloseTo(5, 6);
  });

  it('requests and rps count by intended send time', () => {
    expect(check('requests==200 before')).toMatchObject({ verdict: 'passed', value: 200 });
    expect(check('rps>=99 before')).toMatchObject({ verdict: 'passed', value: 100 });
    expect(check('requests==350 after restore')).toMatchObject({
      value: 350,
      window: { start: 6500, end: 10000 },
    });
  });

  it('served_by counts successes, or their share with %', () => {
    expect(check('served_by(app3)>0 during crash')).toMatchObject({ verdict: 'passed', value: 140 });
    const share = check('served_by(app1)<10% during crash');
    expect(share.verdict).toBe('passed');
    expect(share.value).toBe(0);
    expect(check('served_by(app2)>40% before')).toMatchObject({ verdict: 'passed', value: 0.5 });
    expect(check('served_by(app1)>0 after restore')).toMatchObject({ verdict: 'passed', value: 175 });
  });

  it('events count balancer events of a kind, optionally for one server', () => {
    const events = [
      ev('server-down', 3250, 'app1'),
      ev('server-up', 6400, 'app1'),
      ev('server-up', 6500, 'app2'),
      ev('failback', 6400),
    ];
    const ctx = context(run(), events);
    expect(check('events(server-up)==2', ctx)).toMatchObject({ verdict: 'passed', value: 2 });
    expect(check('events(server-up, app1)==1 during restore', ctx)).toMatchObject({
      verdict: 'passed',
      value: 1,
    });
    expect(check('events(failback)>=1 during crash', ctx)).toMatchObject({
      verdict: 'failed',
      value: 0,
      excess: 1,
    });
  });
});

describe('evaluateSla: fault metrics', () => {
  it('detection: fault → the server-down event of its target', () => {
    expect(check('detection<1s for crash')).toMatchObject({
      verdict: 'passed',
      value: 250,
      window: { name: 'for crash' },
    });
    expect(check('detection<200ms for crash')).toMatchObject({ verdict: 'failed', value: 250, excess: 50 });
    const notSeen = check('detection<1s for crash', context(run(), []));
    expect(notSeen).toMatchObject({ verdict: 'failed', value: null });
    expect(notSeen.detail).toContain('not observed: no server-down event for app1');
  });

  it('detection of a fault with two targets waits for both; ejected counts too', () => {
    const two: StepTiming[] = [{ ...(steps[0] as StepTiming), targets: ['app1', 'app2'] }];
    const ctx = {
      ...context(run(), [ev('ejected', 3100, 'app1'), ev('server-down', 3400, 'app2')]),
      steps: two,
    };
    expect(check('detection<1s', ctx)).toMatchObject({ verdict: 'passed', value: 400 });
    const one = { ...ctx, recording: { ...ctx.recording, events: [ev('ejected', 3100, 'app1')] } };
    expect(check('detection<1s', one).value).toBeNull();
  });

  it('failover: fault → the first successful answer from a standby', () => {
    // the first app3 answer is intended at 3200 and takes 5 ms
    expect(check('failover<1s for crash')).toMatchObject({ verdict: 'passed', value: 205 });
    const noStandby = context(run({ failUntil: 6000 }));
    expect(check('failover<1s for crash', noStandby)).toMatchObject({ verdict: 'failed', value: null });
  });

  it('recovery: fault → the first 500ms bucket from which the steady state holds to the end', () => {
    // failures until 3200: the bucket [3000, 3500) is unhealthy, [3500, ...) all healthy
    expect(check('recovery<1s for crash')).toMatchObject({ verdict: 'passed', value: 500 });
    expect(check('recovery<400ms for crash')).toMatchObject({ verdict: 'failed', value: 500, excess: 100 });
    const neverRequests = run({
      failUntil: 10_000,
      servedBy: (t, i) => (t >= 9000 ? 'app1' : i % 2 ? 'app2' : 'app1'),
    });
    const never = context(neverRequests);
    const late = evaluateSla(parseSla('recovery<1s for crash'), {
      ...never,
      recording: {
        ...never.recording,
        requests: neverRequests.map((r) => (r.intended >= 9500 ? { ...r, status: 503 } : r)),
      },
    });
    expect(late).toMatchObject({ verdict: 'failed', value: null });
  });
});

describe('inconclusive: a fault that touched no traffic proves nothing', () => {
  it('a fault on a server that served nothing, with no failure in the window, is inconclusive', () => {
    const idle: StepTiming[] = [
      { ...(steps[0] as StepTiming), name: 'kill-app3', aliases: [], targets: ['app3'] },
    ];
    const ctx = {
      ...context(run({ failUntil: 0, servedBy: (_t, i) => (i % 2 ? 'app2' : 'app1') })),
      steps: idle,
    };
    const r = check('errors==0 during kill-app3', ctx);
    expect(r.verdict).toBe('inconclusive');
    expect(r.detail).toContain('kill-app3 touched no traffic');
    // `after` asks whether traffic is back: measured anyway
    expect(check('errors==0 after kill-app3', ctx).verdict).toBe('passed');
  });

  it('a window without requests is inconclusive', () => {
    const ctx = context(run().filter((r) => r.intended < 3000 || r.intended >= 6000));
    expect(check('errors==0 during crash', ctx)).toMatchObject({ verdict: 'inconclusive', value: null });
  });
});

describe('evaluateOn: thresholds on a fixed window', () => {
  it('measures a steady-state threshold on the window it is given', () => {
    const ctx = context();
    const before = evaluateOn(parseSla('p(99)<20ms'), { name: 'before', start: 0, end: 2000 }, ctx);
    expect(before).toMatchObject({ verdict: 'passed', window: { name: 'before', start: 0, end: 2000 } });
    const crash = evaluateOn(
      parseSla('error_rate>=50%'),
      { name: 'last second', start: 3000, end: 3200 },
      ctx,
    );
    expect(crash).toMatchObject({ verdict: 'passed', value: 0.5 });
    expect(
      evaluateOn(parseSla('errors==0'), { name: 'empty', start: 20_000, end: 21_000 }, ctx).verdict,
    ).toBe('inconclusive');
  });
});
