/**
 * Type-level tests of the drill API, as a drill file sees it (it imports 'faultline'). Nothing
 * here runs: `npx tsc --noEmit -p .` is the test. Each line under `@ts-expect-error` must fail
 * to compile; should a change let one compile (a typo accepted), tsc fails on the unused
 * directive. Each rejected line has an accepted twin above it, so it fails for the typo only.
 * The same mistakes in an untyped drill fail when it loads (drills/validate.test.ts).
 */
import { at, defineDrill, type FaultParams, fault, httpError, kill, latency } from 'faultline';

/** A drill's own helper, typed by the fault's params as 'faultline' exports them. */
export const slow = (target: string, params: FaultParams['latency']) => fault('latency', target, params);

export const accepted = defineDrill({
  name: 'typed',
  description: 'every fault step with typed params',
  stack: { proxies: true },
  load: { rate: 10 },
  method: [
    at('1s', fault('latency', 'app1', { latency: '300ms' })),
    at('1s', fault('latency', 'app1', { latency: 300, jitter: '20ms', stream: 'upstream', toxicity: 0.5 })),
    at('2s', fault('http_error', 'app2', { rate: 0.5, status: 503 })),
    at('2s', fault('http_error', 'app2')),
    at('3s', fault('kill', ['app1', 'app2'])),
    at('3s', fault('kill', 'app1', {})),
    at('4s', latency('app2', { latency: '100ms' })),
    at('4s', httpError('app2', { status: 502 })),
    at('5s', kill('app3')),
    at('5s', { kind: 'fault', fault: 'bandwidth', targets: ['app1'], params: { rate: 64 } }),
    at('6s', slow('app1', { latency: '1s' })),
  ],
  sla: ['errors==0 overall'],
});

export function rejected(): void {
  // @ts-expect-error a misspelt fault name
  fault('lattency', 'app1', { latency: '300ms' });
  // @ts-expect-error a misspelt required param
  fault('latency', 'app1', { latencyy: '300ms' });
  // @ts-expect-error a misspelt optional param
  fault('latency', 'app1', { latency: '300ms', jiter: '20ms' });
  // @ts-expect-error a param of the wrong type
  fault('http_error', 'app2', { rate: '50%' });
  // @ts-expect-error a value outside an enum param
  fault('latency', 'app1', { latency: '300ms', stream: 'sideways' });
  // @ts-expect-error a required param left out
  fault('latency', 'app1');
  // @ts-expect-error params for a fault that takes none
  fault('kill', 'app1', { signal: 'SIGTERM' });
  // @ts-expect-error a misspelt param through a shorthand
  latency('app2', { latncy: '100ms' });
  // @ts-expect-error a param of the wrong type through a shorthand
  httpError('app2', { status: '502' });
  // @ts-expect-error a hand-written fault action with a misspelt param
  at('5s', { kind: 'fault', fault: 'bandwidth', targets: ['app1'], params: { rte: 64 } });
  // @ts-expect-error a misspelt param through the author's own helper
  slow('app1', { latncy: '1s' });
}
