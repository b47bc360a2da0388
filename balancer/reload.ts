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
export function reloadRefusals(current: BalancerConfig, next: BalancerConfig, role: PoolRole): string[] {
  const refusals: string[] = [];
  if (!sameAddress(current.listen, next.listen)) {
    refusals.push(
      `listen cannot change on reload (${formatListenAddress(current.listen)} -> ${formatListenAddress(next.listen)}): connections on the old address would be dropped; ${RESTART}`,
    );
  }
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
  const before = Object.keys(current.pools);
  const after = Object.keys(next.pools);
  for (const name of after) if (!before.includes(name)) changes.push(`pool ${name} added`);
  for (const name of before)
    if (!after.includes(name)) changes.push(`pool ${name} removed (its servers drain)`);
  return changes;
}
