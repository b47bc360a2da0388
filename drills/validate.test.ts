import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import {
  after as afterEvent,
  at,
  defineDrill,
  drain,
  event,
  fault,
  kill,
  pause,
  restart,
  revert,
} from './define.ts';
import { accepted as typedDrill } from './define.typecheck.ts';
import { validateDrill } from './validate.ts';

const FILE = 'drills/test.drill.ts';

const base = () =>
  defineDrill({
    name: 'crash',
    description: 'a primary dies',
    stack: 'sample',
    load: { rate: 100 },
    steadyState: ['error_rate==0'],
    method: [at('1s', kill('app1'), { as: 'crash' }), at('3s', restart('app1'))],
    sla: ['errors==0 during crash', 'detection<1s for crash', 'served_by(app1)>0 after restart'],
  });

/** A fault step as a drill in JS or YAML (or with a cast) hands it over: no compiler in the way. */
const untypedFault = (fault: string, params: Record<string, unknown>) => ({
  trigger: { kind: 'at', offset: '1s' },
  action: { kind: 'fault', fault, targets: ['app1'], params },
  as: 'crash',
});

function problems(mutate: (d: Record<string, unknown>) => void): string {
  const drill: Record<string, unknown> = { ...structuredClone(base()) };
  mutate(drill);
  try {
    validateDrill(drill, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('FL_DRILL_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the drill to be rejected');
}

describe('validateDrill', () => {
  it('normalizes a good drill: names, aliases, durations, defaults', () => {
    const d = validateDrill(base(), FILE);
    expect(d.steps.map((s) => [s.name, s.aliases])).toEqual([
      ['crash', ['kill']],
      ['restart-app1', ['restart']],
    ]);
    expect(d.steps[0]?.trigger).toEqual({ kind: 'at', offsetMs: 1000 });
    expect(d.steps[0]?.targets).toEqual(['app1']);
    expect(d.methodMs).toBe(6000);
    expect(d.steadyState.durationMs).toBe(2000);
    expect(d.load).toEqual({
      rate: 100,
      requests: [{ method: 'GET', path: '/' }],
      timeoutMs: 5000,
      connections: 64,
      newConnections: 0.5,
      warmup: { durationMs: 2000, from: 0.1 },
    });
    expect(d.stack.backends.map((b) => b.name)).toEqual(['app1', 'app2', 'app3']);
    expect(d.sla.map((s) => s.source)).toEqual(base().sla);
  });

  it('warms up longer by default at higher rates (2 s to 10 s), and as long as the drill says', () => {
    const warmupAt = (rate: number, warmup?: unknown) =>
      validateDrill({ ...base(), load: { rate, ...(warmup === undefined ? {} : { warmup }) } }, FILE).load
        .warmup;
    expect(warmupAt(200).durationMs).toBe(2000);
    expect(warmupAt(400).durationMs).toBe(2000);
    expect(warmupAt(1000).durationMs).toBe(5000);
    expect(warmupAt(2000).durationMs).toBe(10_000);
    expect(warmupAt(5000).durationMs).toBe(10_000);
    expect(warmupAt(2000, '1s')).toEqual({ durationMs: 1000, from: 0.1 });
    expect(warmupAt(2000, { duration: '8s', from: 0.5 })).toEqual({ durationMs: 8000, from: 0.5 });
  });

  it('loads what the compiler accepts: every typed fault step of define.typecheck.ts', () => {
    const d = validateDrill(typedDrill, FILE);
    expect(d.steps.map((s) => s.action.kind === 'fault' && s.action.fault)).toEqual([
      'latency',
      'latency',
      'http_error',
      'http_error',
      'kill',
      'kill',
      'latency',
      'http_error',
      'kill',
      'bandwidth',
      'latency',
    ]);
  });

  it('accepts conditions, admin steps, held faults and reverts', () => {
    const d = validateDrill(
      {
        ...base(),
        method: [
          at('0.5s', drain('app1')),
          afterEvent(event('server-drained', 'app1'), restart('app1'), { timeout: '5s' }),
          at('2s', pause('app2'), { as: 'freeze', for: '1s' }),
          at('4s', fault('latency', 'app2', { latency: '50ms' }), { as: 'slow' }),
          at('5s', revert('slow')),
        ],
        stack: { proxies: true },
        sla: ['errors==0 during freeze'],
      },
      FILE,
    );
    expect(d.steps.map((s) => s.name)).toEqual([
      'drain-app1',
      'restart-app1',
      'freeze',
      'slow',
      'revert-slow',
    ]);
    expect(d.steps[1]?.trigger).toEqual({
      kind: 'after',
      condition: { kind: 'event', event: 'server-drained', server: 'app1' },
      timeoutMs: 5000,
    });
    expect(d.steps[2]?.forMs).toBe(1000);
    expect(d.methodMs).toBe(8000);
  });

  it.each<[string, (d: Record<string, unknown>) => void, string]>([
    ['unknown top-level field', (d) => (d.sla2 = []), '(root): unknown field(s) sla2'],
    ['missing description', (d) => delete d.description, 'description:'],
    ['bad name', (d) => (d.name = 'my drill'), 'name: may contain only letters'],
    [
      'bad stack',
      (d) => (d.stack = 'big'),
      'stack: must be "sample" or { backends, proxies, protocol, pool, balancer }',
    ],
    [
      'balancer settings the balancer refuses',
      (d) => (d.stack = { pool: { retries: 11 }, balancer: { timeouts: { connect: 'soon' } } }),
      'stack.balancer.timeouts.connect: must be a duration',
    ],
    [
      'pool settings the balancer refuses',
      (d) => (d.stack = { pool: { retries: 11 } }),
      'stack.pool.retries: must be an integer from 0 to 10 (got 11)',
    ],
    [
      'a backend named twice',
      (d) => (d.stack = { backends: [{ name: 'a' }, { name: 'a' }] }),
      'stack.backends[1].name: "a" is used twice',
    ],
    [
      'HTTP requests on a tcp stack',
      (d) => {
        d.stack = { protocol: 'tcp' };
        (d.load as { requests: unknown }).requests = [{ path: '/x' }];
      },
      'load.requests: a tcp stack (stack.protocol: tcp) carries line exchanges, not HTTP requests',
    ],
    [
      'an HTTP fault on a tcp stack',
      (d) => {
        d.stack = { protocol: 'tcp' };
        d.method = [untypedFault('http_error', { rate: 0.5 })];
      },
      "method[0].action.fault: http_error acts on the HTTP sample backend's answers",
    ],
    [
      'newConnections on an http stack',
      (d) => ((d.load as { newConnections: unknown }).newConnections = 0.3),
      'load.newConnections: applies only to a tcp stack',
    ],
    [
      'unknown stack protocol',
      (d) => (d.stack = { protocol: 'udp' }),
      'stack: must be "sample" or { backends, proxies, protocol, pool, balancer }',
    ],
    [
      'rate too high',
      (d) => ((d.load as { rate: number }).rate = 1e6),
      'load.rate: must be at most 5000 requests/s',
    ],
    [
      'bad warm-up',
      (d) => ((d.load as { warmup: unknown }).warmup = 'soon'),
      'load.warmup: must be a duration such as 250ms, 1.5s, 2m, 1h, or whole milliseconds as a number (got "soon")',
    ],
    [
      'warm-up share above the rate',
      (d) => ((d.load as { warmup: unknown }).warmup = { duration: '3s', from: 1.5 }),
      'load.warmup.from: must be a share of the rate, at most 1',
    ],
    [
      'bad duration',
      (d) =>
        ((
          (d.method as Array<{ trigger: { offset: unknown } }>)[0] as { trigger: { offset: unknown } }
        ).trigger.offset = '1 sec'),
      'method[0].trigger.offset: must be a duration such as 250ms, 1.5s, 2m, 1h, or whole milliseconds as a number (got "1 sec")',
    ],
    [
      'unknown fault',
      (d) => ((d.method as unknown[])[0] = untypedFault('explode', {})),
      'method[0].action.fault: unknown fault "explode" (faults: kill, stop',
    ],
    [
      'misspelt fault param',
      (d) => ((d.method as unknown[])[0] = untypedFault('latency', { latency: '1s', jiter: '5ms' })),
      'method[0].action.params: unknown field(s) jiter',
    ],
    [
      'missing fault param',
      (d) => ((d.method as unknown[])[0] = untypedFault('latency', { latencyy: '300ms' })),
      'method[0].action.params.latency: ',
    ],
    [
      'fault param of the wrong type',
      (d) => ((d.method as unknown[])[0] = untypedFault('http_error', { rate: 'half' })),
      'method[0].action.params.rate: must be a number from 0 to 1',
    ],
    [
      'params for a fault that takes none',
      (d) => ((d.method as unknown[])[0] = untypedFault('kill', { signal: 'SIGTERM' })),
      'method[0].action.params: unknown field(s) signal',
    ],
    [
      'unknown target',
      (d) => ((d.method as unknown[])[0] = at('1s', kill('app9'), { as: 'crash' })),
      'method[0].action.targets[0]: no target "app9" in the stack (targets: app1, app2, app3, balancer)',
    ],
    [
      'bad fault params',
      (d) =>
        ((d.method as unknown[])[0] = at('1s', fault('latency', 'app1', { latency: 'slow' }), {
          as: 'crash',
        })),
      'method[0].action.params.latency:',
    ],
    [
      'unknown event',
      (d) => ((d.method as unknown[])[1] = afterEvent(event('server-exploded', 'app1'), restart('app1'))),
      'unknown balancer event "server-exploded"',
    ],
    [
      'revert of a step that is not there',
      (d) => ((d.method as unknown[])[1] = at('3s', revert('nope'))),
      'method[1].action.step: "nope" is not an earlier fault step',
    ],
    [
      'for on an admin step',
      (d) => ((d.method as unknown[])[1] = at('3s', drain('app1'), { for: '1s' })),
      'method[1].for: only a fault can be held for a while',
    ],
    [
      'two steps with one name',
      (d) => ((d.method as unknown[])[1] = at('3s', restart('app1'), { as: 'crash' })),
      'method[1].as: "crash" names two steps',
    ],
    ['bad SLA', (d) => (d.sla = ['latncy<3s']), 'sla[0]: "latncy<3s": unknown metric "latncy"'],
    ['SLA on a missing step', (d) => (d.sla = ['errors==0 during boom']), 'boom'],
    [
      'threshold with a window',
      (d) => (d.steadyState = ['errors==0 during crash']),
      'a threshold here takes no window',
    ],
    [
      'duration shorter than the steps',
      (d) => (d.duration = '2s'),
      'duration: the method lasts 2000ms but a step runs at 3000ms',
    ],
  ])('%s', (_, mutate, message) => {
    const text = problems(mutate);
    expect(text).toContain(FILE);
    expect(text).toContain(message);
  });
});
