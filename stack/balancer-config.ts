import { normalizeConfig, type RawBalancerConfig } from '../balancer/index.ts';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import { type BackendSpec, STACK_POOL, STACK_TCP_LISTENER, type StackProtocol } from './sample.ts';

export interface StackBalancerConfig {
  backends: readonly BackendSpec[];
  /** Where the balancer reaches `backend` (its process, its container, or the toxic proxy in front). */
  serverUrl(backend: BackendSpec): string;
  /** The stack kind's top-level settings (listen, admin, timeouts, ...): a drill may override them. */
  defaults: Record<string, unknown>;
  /** The stack kind's pool settings (health, retries): a drill may override them. */
  poolDefaults: Record<string, unknown>;
  /** A drill's own top-level settings and pool settings. */
  settings?: Record<string, unknown> | undefined;
  pool?: Record<string, unknown> | undefined;
  /** Settings the stack kind fixes over a drill's (the compose containers' listen and admin). */
  fixed?: Record<string, unknown>;
  /** `tcp`: a tcp listener (on the `listen` address) in front of a tcp pool. */
  protocol?: StackProtocol | undefined;
}

/**
 * The balancer config of a stack, the same way for every kind of stack: one weighted pool
 * (`web`) of the backends, primaries and the standby tier, under the drill's own settings.
 * A tcp stack's pool has `mode: tcp` behind a tcp listener on the stack's listen address.
 */
export function stackBalancerConfig(spec: StackBalancerConfig): RawBalancerConfig {
  const top: Record<string, unknown> = {
    shutdownTimeout: '2s',
    ...spec.defaults,
    ...spec.settings,
    ...spec.fixed,
  };
  if (spec.protocol === 'tcp') {
    // The stack's one listener address, as a tcp listener in front of the pool.
    const { listen, ...rest } = top;
    return {
      ...rest,
      listeners: [
        { name: STACK_TCP_LISTENER, mode: 'tcp', listen: listen ?? '127.0.0.1:0', pool: STACK_POOL },
      ],
      pools: { [STACK_POOL]: { mode: 'tcp', ...stackPool(spec, 'weighted-least-connections') } },
    } as unknown as RawBalancerConfig;
  }
  return {
    ...top,
    pools: { [STACK_POOL]: stackPool(spec, 'weighted-round-robin') },
  } as unknown as RawBalancerConfig;
}

function stackPool(spec: StackBalancerConfig, algorithm: string): Record<string, unknown> {
  return {
    algorithm,
    servers: spec.backends.map((b) => ({
      name: b.name,
      url: spec.serverUrl(b),
      ...(b.weight ? { weight: b.weight } : {}),
      ...(b.backup ? { backup: true } : {}),
    })),
    retries: 2,
    ...spec.poolDefaults,
    ...spec.pool,
  };
}

/** Where a stack's balancer settings were written, to name their fields the way their author did. */
export interface SettingsPaths {
  /** e.g. `stack.balancer` in a drill, `balancer` in a stack file */
  settings: string;
  /** e.g. `stack.pool` in a drill, `balancer.pool` in a stack file */
  pool: string;
}

/**
 * What the balancer would refuse in a stack's own settings, checked before anything starts (a
 * drill when it loads, a stack file before its processes start), each issue at the field its
 * author wrote rather than in the generated config.
 */
export function balancerSettingsIssues(
  spec: Pick<StackBalancerConfig, 'backends' | 'settings' | 'pool' | 'protocol'>,
  paths: SettingsPaths,
): ConfigIssue[] {
  try {
    normalizeConfig(
      stackBalancerConfig({
        ...spec,
        serverUrl: () => (spec.protocol === 'tcp' ? 'tcp://127.0.0.1:1' : 'http://127.0.0.1:1'),
        defaults: { listen: '127.0.0.1:0', admin: { listen: '127.0.0.1:0' } },
        poolDefaults: {},
      }),
    );
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const poolPrefix = `pools.${STACK_POOL}`;
    return err.issues.map((issue) => ({
      message: issue.message,
      path: issue.path.startsWith(poolPrefix)
        ? `${paths.pool}${issue.path.slice(poolPrefix.length)}`
        : `${paths.settings}.${issue.path}`,
    }));
  }
}
