import type { PoolConfig, ServerConfig } from '../config/types.ts';
import { type BackendServer, sameSettings } from './backend-server.ts';

/** Pool settings a reload names when they change (servers are reported one by one). */
const POOL_SETTINGS = [
  'algorithm',
  'hashKey',
  'health',
  'outlier',
  'breaker',
  'panicThreshold',
  'slowStart',
  'sticky',
  'websocket',
  'retry',
  'queue',
  'hedge',
  'timeouts',
] as const satisfies readonly (keyof PoolConfig)[];

export interface MembershipPlan {
  /** Servers that stay, by name: same name and same URL. */
  kept: Map<string, BackendServer>;
  /** Servers gone from the config, or whose URL changed (the new URL is a new server). */
  removed: BackendServer[];
  settingsChanged(previous: PoolConfig, next: PoolConfig): string[];
}

/** How a reload changes a pool's servers. */
export function planMembership(
  current: readonly BackendServer[],
  next: readonly ServerConfig[],
): MembershipPlan {
  const wanted = new Map(next.map((s) => [s.name, new URL(s.url).origin]));
  const kept = new Map<string, BackendServer>();
  const removed: BackendServer[] = [];
  for (const server of current) {
    if (wanted.get(server.name) === server.url.origin) kept.set(server.name, server);
    else removed.push(server);
  }
  return {
    kept,
    removed,
    settingsChanged: (previous, nextPool) =>
      POOL_SETTINGS.filter((key) => !sameSettings(previous[key], nextPool[key])).map(
        (key) => `${nextPool.name}: ${key} changed`,
      ),
  };
}
