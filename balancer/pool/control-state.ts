import type { AdminState } from './backend-server.ts';
import type { Pool } from './pool.ts';

/** What a cluster's primary decides for a server (active health, admin state, weight). */
export interface ServerControlState {
  name: string;
  healthy: boolean;
  healthReason: string;
  adminState: AdminState;
  weight: number;
}

export type PoolControlState = Record<string, ServerControlState[]>;

const ADMIN_ACTION = { enabled: 'enable', draining: 'drain', disabled: 'disable' } as const;

/** Every pool's control state: what the primary sends a worker when it starts and at each change. */
export function controlStateOf(pools: Iterable<Pool>): PoolControlState {
  const state: PoolControlState = {};
  for (const pool of pools) {
    state[pool.name] = pool.servers.map((s) => ({
      name: s.name,
      healthy: s.healthy,
      healthReason: s.healthReason,
      adminState: s.adminState,
      weight: s.weight,
    }));
  }
  return state;
}

/**
 * A worker takes on the primary's decisions through the pool's own operations, so every change
 * has its usual effects (tries moved off a server going down, the rotation replanned).
 */
export function applyControlState(pools: ReadonlyMap<string, Pool>, state: PoolControlState): void {
  for (const [name, servers] of Object.entries(state)) {
    const pool = pools.get(name);
    if (!pool) continue;
    for (const s of servers) {
      const server = pool.servers.find((candidate) => candidate.name === s.name);
      if (!server) continue;
      pool.setHealth(s.name, s.healthy, s.healthReason, 'active');
      if (s.adminState !== server.adminState) pool[ADMIN_ACTION[s.adminState]](s.name);
      pool.setWeight(s.name, s.weight);
    }
  }
}
