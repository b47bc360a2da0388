import type { PoolConfig } from '../config/types.ts';
import { EventBus } from '../events.ts';
import { Pool } from '../pool/pool.ts';
import { AdminServer } from './admin-server.ts';
import { AdminClient } from './client.ts';
import { BalancerMetrics } from './metrics.ts';

/** A complete PoolConfig with no active health checks; the URLs never receive traffic. */
export function poolConfig(
  name: string,
  servers: { name: string; weight?: number; backup?: boolean }[],
): PoolConfig {
  return {
    name,
    mode: 'http',
    algorithm: 'round-robin',
    hashKey: { from: 'client-ip' },
    servers: servers.map((s, i) => ({
      name: s.name,
      url: `http://127.0.0.1:${1 + i}`,
      weight: s.weight ?? 1,
      backup: s.backup ?? false,
      maxConnections: 0,
    })),
    health: null,
    outlier: {
      consecutive5xx: 5,
      consecutiveGatewayFailures: 3,
      baseEjectionTime: 10_000,
      maxEjectionTime: 60_000,
      maxEjectionPercent: 50,
    },
    breaker: { enabled: false, failureRatio: 0.5, minRequests: 20, window: 10_000, cooldown: 5_000 },
    panicThreshold: 50,
    slowStart: { window: 0, minPercent: 10 },
    sticky: undefined,
    websocket: { handshakeTimeout: 10_000, idleTimeout: 300_000 },
    retry: { retries: 1, budgetPercent: 20, minRetriesPerSecond: 5 },
    queue: { size: 10, timeout: 1_000 },
    hedge: { enabled: false, floor: 100, cap: 1000, factor: 3 },
    timeouts: { connect: 1_000, responseHeaders: 5_000, idle: 30_000 },
    drainTimeout: 30_000,
    tls: { ca: undefined, caFile: undefined, verify: true, serverName: undefined },
  };
}

export interface AdminStack {
  bus: EventBus;
  pools: Map<string, Pool>;
  metrics: BalancerMetrics;
  admin: AdminServer;
  client: AdminClient;
  /** The admin API's base URL (always via 127.0.0.1). */
  url: string;
  close(): Promise<void>;
}

/** Pool "web" (app1 weight 3, app2, app3 backup) and pool "api" (api1) behind a port-0 admin API. */
export async function startAdminStack(
  options: { token?: string; heartbeatMs?: number } = {},
): Promise<AdminStack> {
  const bus = new EventBus();
  const pools = new Map<string, Pool>([
    [
      'web',
      new Pool(
        poolConfig('web', [{ name: 'app1', weight: 3 }, { name: 'app2' }, { name: 'app3', backup: true }]),
        bus,
      ),
    ],
    ['api', new Pool(poolConfig('api', [{ name: 'api1' }]), bus)],
  ]);
  const metrics = new BalancerMetrics(() => pools.values());
  const detach = metrics.attach(bus);
  const admin = await AdminServer.start({
    config: { listen: { host: '127.0.0.1', port: 0 }, token: options.token },
    pools,
    events: bus,
    metrics,
    info: () => ({ pools: [...pools.keys()] }),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  const client = new AdminClient(admin.url, options.token ? { token: options.token, timeoutMs: 5_000 } : {});
  return {
    bus,
    pools,
    metrics,
    admin,
    client,
    url: admin.url,
    async close() {
      detach();
      await admin.close();
      await Promise.all([...pools.values()].map((p) => p.stop()));
    },
  };
}
