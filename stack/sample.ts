/** A sample backend in a stack: its name, weight in the pool, tier and extra environment. */
export interface BackendSpec {
  name: string;
  weight?: number;
  backup?: boolean;
  env?: Record<string, string>;
}

/** The sample stack: app1 (weight 3), app2, and app3 as the passive standby. */
export const SAMPLE_STACK: readonly BackendSpec[] = [
  { name: 'app1', weight: 3 },
  { name: 'app2' },
  { name: 'app3', backup: true },
];

/** The name of the balancer among a stack's targets (a process or a container). */
export const BALANCER_TARGET = 'balancer';

/** The one pool a stack's balancer serves its backends from. */
export const STACK_POOL = 'web';

/** Health checks quick enough that a demo or test sees failover within a second. */
export const DEMO_HEALTH = {
  type: 'http',
  path: '/health',
  interval: '200ms',
  fastInterval: '100ms',
  timeout: '150ms',
  rise: 2,
  fall: 2,
};

/**
 * The demo stack's quick health checks, with a timeout that survives a loaded CI machine (a
 * drill measures the balancer, not how busy the runner's cores are): a frozen server is out
 * within fall × interval + timeout = 2 × 250 + 250 = 750ms.
 */
export const DRILL_HEALTH = { ...DEMO_HEALTH, interval: '250ms', timeout: '250ms' };

/** What a stack's backends speak: the sample HTTP backend, or its line echo over TCP. */
export type StackProtocol = 'http' | 'tcp';

/** The same health checks for a tcp stack: a connect instead of GET /health, on the same clock. */
export function tcpHealth(health: typeof DEMO_HEALTH): Record<string, unknown> {
  const { path: _path, ...timing } = health;
  return { ...timing, type: 'tcp' };
}

/** A stack address (`http://host:port`, as processes and containers report it) in the stack's protocol. */
export function stackUrl(url: string, protocol: StackProtocol | undefined): string {
  return protocol === 'tcp' ? url.replace(/^http:/, 'tcp:') : url;
}

/** The tcp listener of a tcp stack's balancer (its one pool is STACK_POOL). */
export const STACK_TCP_LISTENER = 'tcp';
