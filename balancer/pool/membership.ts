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
}

/** The pool settings a reload changed, one line each (servers are reported one by one). */
export function changedPoolSettings(previous: PoolConfig, next: PoolConfig): string[] {
  return POOL_SETTINGS.filter((key) => !sameSettings(previous[key], next[key])).map(
    (key) => `${next.name}: ${key} changed`,
  );
}

/** How a reload changes a pool's servers. */
export function planMembership(
  current: readonly BackendServer[],
  next: readonly ServerConfig[],
): MembershipPlan {
  // By href: a tcp:// URL has no origin ("null" for every one).
  const wanted = new Map(next.map((s) => [s.name, new URL(s.url).href]));
  const kept = new Map<string, BackendServer>();
  const removed: BackendServer[] = [];
  for (const server of current) {
    if (wanted.get(server.name) === server.url.href) kept.set(server.name, server);
    else removed.push(server);
  }
  return { kept, removed };
}
