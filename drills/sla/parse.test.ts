import { describe, expect, it } from 'vitest';
import { SlaSyntaxError } from './errors.ts';
import { parseSla } from './parse.ts';

describe('parseSla', () => {
  it.each([
    ['p(99)<250ms', { metric: { kind: 'percentile', p: 99 }, op: '<', limit: 250, unit: 'ms' }],
    [
      'p(99.9)<=1s during crash',
      {
        metric: { kind: 'percentile', p: 99.9 },
        op: '<=',
        limit: 1000,
        window: { kind: 'during', step: 'crash' },
      },
    ],
    ['errors==0', { metric: { kind: 'errors' }, op: '==', limit: 0, unit: 'count' }],
    ['error_rate<0.1%', { metric: { kind: 'error_rate' }, limit: 0.001, unit: 'ratio' }],
    ['error_rate<0.001', { metric: { kind: 'error_rate' }, limit: 0.001 }],
    ['avg<50ms', { metric: { kind: 'avg' }, limit: 50 }],
    ['max<2s overall', { metric: { kind: 'max' }, limit: 2000, window: { kind: 'overall' } }],
    ['requests>100', { metric: { kind: 'requests' }, op: '>', limit: 100 }],
    [
      'rps>=180 before',
      { metric: { kind: 'rps' }, op: '>=', limit: 180, unit: 'rps', window: { kind: 'before' } },
    ],
    [
      'detection<1.5s for crash',
      { metric: { kind: 'detection' }, limit: 1500, window: { kind: 'for', step: 'crash' } },
    ],
    ['failover<2s', { metric: { kind: 'failover' }, limit: 2000 }],
    ['recovery<3s for freeze', { metric: { kind: 'recovery' }, limit: 3000 }],
    ['recovery<1m', { metric: { kind: 'recovery' }, limit: 60_000 }],
    [
      'served_by(app3)>0 during outage',
      { metric: { kind: 'served_by', server: 'app3' }, limit: 0, share: false, unit: 'count' },
    ],
    [
      'served_by(app2)<15% during slow',
      { metric: { kind: 'served_by', server: 'app2' }, limit: 0.15, share: true, unit: 'ratio' },
    ],
    [
      'events(server-up, app2)<=3 during flapping',
      { metric: { kind: 'events', event: 'server-up', server: 'app2' }, limit: 3 },
    ],
    [
      'events(failback)>=1 after restore',
      { metric: { kind: 'events', event: 'failback' }, window: { kind: 'after', step: 'restore' } },
    ],
    [
      '  p(50) < 20ms   after  restart-app1 ',
      { metric: { kind: 'percentile', p: 50 }, limit: 20, window: { kind: 'after', step: 'restart-app1' } },
    ],
    ['errors!=0', { op: '!=' }],
    ['detection<500', { metric: { kind: 'detection' }, limit: 500, unit: 'ms' }],
  ])('%s', (text, expected) => {
    const sla = parseSla(text);
    expect(sla).toMatchObject(expected);
    expect(sla.source).toBe(text.trim());
    if (!/\s(overall|before|during|after|for)(\s|$)/.test(text)) expect(sla.window).toBeUndefined();
  });

  it.each([
    ['p(99)<5%', '"p(99)<5%": a latency limit needs a duration such as 250ms'],
    [
      'latncy<3s',
      '"latncy<3s": unknown metric "latncy" (known: p(N), avg, max, errors, error_rate, requests, rps, served_by(server), detection, failover, recovery, events(kind[, server]))',
    ],
    ['p(101)<1s', '"p(101)<1s": percentile must be between 0 and 100'],
    ['p()<1s', '"p()<1s": percentile must be between 0 and 100'],
    [
      'errors==0 durin crash',
      '"errors==0 durin crash": unknown window "durin crash" (use overall, before, during <step>, after <step>, for <step>)',
    ],
    ['errors<3s', '"errors<3s": errors is a count: no unit'],
    ['error_rate<5ms', '"error_rate<5ms": a rate limit is a fraction (0.001) or a percentage (0.1%)'],
    ['error_rate<150%', '"error_rate<150%": a rate cannot be above 100%'],
    ['served_by()>0', '"served_by()>0": served_by takes one server name: served_by(app3)'],
    [
      'events()>0',
      '"events()>0": events takes an event kind and optionally a server: events(server-down, app2)',
    ],
    ['p(99) 250ms', '"p(99) 250ms": expected `metric op limit [window]`, e.g. `p(99)<250ms during crash`'],
    ['rps>10/s', '"rps>10/s": expected `metric op limit [window]`, e.g. `p(99)<250ms during crash`'],
    ['foo(1)<1', '"foo(1)<1": unknown metric "foo(...)"'],
    ['errors==0 during', '"errors==0 during": unknown window "during"'],
  ])('rejects %s', (text, message) => {
    let error: unknown;
    try {
      parseSla(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SlaSyntaxError);
    expect((error as SlaSyntaxError).code).toBe('FL_SLA_INVALID');
    expect((error as Error).message).toContain(message);
  });
});
