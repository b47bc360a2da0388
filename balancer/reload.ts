import { formatDuration } from '../core/duration.ts';
import { formatListenAddress } from './config/index.ts';
import type { BalancerConfig, ListenAddress } from './config/types.ts';
import { sameSettings } from './pool/backend-server.ts';
import type { PoolRole } from './pool/pool.ts';

const RESTART = 'restart the balancer to change it';

function sameAddress(a: ListenAddress, b: ListenAddress): boolean {
  return a.host === b.host && a.port === b.port;
}

/**
 * What a reload cannot change in a running balancer: its listening addresses (moving a listener
 * would drop the connections on it) and the settings fixed when a listener or the cluster
 * starts. Each entry is one message naming the field.
 */
export function reloadRefusals(
  current: BalancerConfig,
  next: BalancerConfig,
  role: PoolRole,
  bound: Readonly<Record<string, ListenAddress>> = {},
): string[] {
  const refusals: string[] = [];
  refusals.push(...listenerRefusals(current, withBoundPorts(current, next, bound)));
  // A worker runs no admin API, and its worker count is the primary's business.
  if (role !== 'traffic') {
    if (!sameAddress(current.admin.listen, next.admin.listen)) {
      refusals.push(
        `admin.listen cannot change on reload (${formatListenAddress(current.admin.listen)} -> ${formatListenAddress(next.admin.listen)}); ${RESTART}`,
      );
    }
    if (current.workers !== next.workers) {
      refusals.push(`workers cannot change on reload (${current.workers} -> ${next.workers}); ${RESTART}`);
    }
  }
  if (current.limits.maxHeaderSize !== next.limits.maxHeaderSize) {
    refusals.push(
      `limits.maxHeaderSize cannot change on reload (${current.limits.maxHeaderSize} -> ${next.limits.maxHeaderSize} bytes): the listener's parser is set when it starts; ${RESTART}`,
    );
  }
  return refusals;
}

/** The top-level settings a reload changed, one line each (pools report their own). */
export function topLevelChanges(current: BalancerConfig, next: BalancerConfig): string[] {
  const changes: string[] = [];
  for (const key of ['timeouts', 'limits'] as const) {
    if (!sameSettings(current[key], next[key])) changes.push(`${key} changed`);
  }
  if (current.shutdownTimeout !== next.shutdownTimeout) {
    changes.push(
      `shutdownTimeout ${formatDuration(current.shutdownTimeout)} -> ${formatDuration(next.shutdownTimeout)}`,
    );
  }
  if (current.admin.token !== next.admin.token) changes.push('admin.token changed');
  if (!sameSettings(current.routes, next.routes)) changes.push('routes changed');
  for (const listener of next.listeners) {
    const before = current.listeners.find((l) => l.name === listener.name);
    if (listener.mode === 'http' && before?.mode === 'http' && !sameSettings(before.tls, listener.tls)) {
      const names = listener.tls?.certificates.flatMap((c) => c.names).join(', ') ?? '';
      changes.push(`listener ${listener.name}: TLS certificates or settings changed (${names})`);
    }
    if (listener.mode === 'tcp' && before?.mode === 'tcp' && !sameSettings(before, listener)) {
      changes.push(
        `listener ${listener.name}: pool ${listener.pool}, maxConnections ${listener.maxConnections}`,
      );
    }
  }
  const before = Object.keys(current.pools);
  const after = Object.keys(next.pools);
  for (const name of after) if (!before.includes(name)) changes.push(`pool ${name} added`);
  for (const name of before)
    if (!after.includes(name)) changes.push(`pool ${name} removed (its servers drain)`);
  return changes;
}

/**
 * A listener configured on port 0 got a port from the OS: a new config that names that port
 * (a config file rewritten with the ports in use, to come back on them) names the same
 * listener, so it is compared as port 0.
 */
function withBoundPorts(
  current: BalancerConfig,
  next: BalancerConfig,
  bound: Readonly<Record<string, ListenAddress>>,
): BalancerConfig {
  const same = (name: string, address: ListenAddress | undefined, key: string) => {
    const before = current.listeners.find((l) => l.name === name);
    const configured =
      key === name ? before?.listen : before?.mode === 'http' ? before.redirectHttp : undefined;
    const actual = bound[key];
    return (
      address !== undefined &&
      configured?.port === 0 &&
      actual !== undefined &&
      address.host === configured.host &&
      address.port === actual.port
    );
  };
  return {
    ...next,
    listeners: next.listeners.map((l) => {
      const listen = same(l.name, l.listen, l.name) ? { ...l.listen, port: 0 } : l.listen;
      if (l.mode !== 'http') return { ...l, listen };
      const redirect = l.redirectHttp;
      const redirectHttp =
        redirect && same(l.name, redirect, `${l.name}/redirect`) ? { ...redirect, port: 0 } : redirect;
      return { ...l, listen, redirectHttp };
    }),
  };
}

/** A listener keeps its name, mode, address and TLS-ness; its certificates and limits may change. */
function listenerRefusals(current: BalancerConfig, next: BalancerConfig): string[] {
  const describe = (config: BalancerConfig) =>
    config.listeners
      .map((l) => {
        const tls = l.mode === 'http' && l.tls ? ' tls' : '';
        const redirect =
          l.mode === 'http' && l.redirectHttp ? ` redirect ${formatListenAddress(l.redirectHttp)}` : '';
        return `${l.name} (${l.mode}${tls} ${formatListenAddress(l.listen)}${redirect})`;
      })
      .join(', ');
  const before = describe(current);
  const after = describe(next);
  if (before === after) return [];
  return [
    `listeners cannot change on reload (${before} -> ${after}): connections on them would be dropped; only certificates, TLS settings, limits and a tcp listener's pool can; ${RESTART}`,
  ];
}

/**
 * Why a reload failed, on one line (an event, a log line): a config error's problems, each
 * with its file and line, joined by "; ".
 */
export function reloadFailureReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const [first = '', ...rest] = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return rest.length > 0 ? `${first}: ${rest.join('; ')}` : first;
}
