import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { packagePath } from '../../core/paths.ts';
import { type BenchPool, type Front, scratchDir, spawnFront } from './front.ts';

/**
 * faultline's balancer as users run it (`faultline balancer --config`), round-robin over the
 * primaries with the same http health checks as HAProxy and the same timeouts as the peers.
 * `overrides` are merged into the pool (a setting under test, e.g. the algorithm).
 */
export function faultlineConfig(pool: BenchPool, port: number, overrides: Record<string, unknown> = {}) {
  const h = pool.health;
  return {
    listen: `127.0.0.1:${port}`,
    admin: { listen: '127.0.0.1:0' },
    timeouts: { connect: `${pool.connectTimeoutMs}ms`, responseHeaders: `${pool.responseTimeoutMs}ms` },
    pools: {
      bench: {
        algorithm: 'round-robin',
        servers: servers(pool),
        health: {
          type: 'http',
          path: h.path,
          interval: `${h.intervalMs}ms`,
          timeout: `${h.timeoutMs}ms`,
          rise: h.rise,
          fall: h.fall,
        },
        retries: pool.retries,
        ...overrides,
      },
    },
    routes: [{ host: '*', path: '/', pool: 'bench' }],
  };
}

function servers(pool: BenchPool) {
  return pool.servers.map((s) => ({
    name: s.name,
    url: `http://127.0.0.1:${s.port}`,
    ...(s.weight ? { weight: s.weight } : {}),
    ...(s.backup ? { backup: true } : {}),
  }));
}

/** faultline as shipped: the pool's servers and an http health check, every other setting default. */
export function faultlineDefaultConfig(pool: BenchPool, port: number) {
  return {
    listen: `127.0.0.1:${port}`,
    admin: { listen: '127.0.0.1:0' },
    pools: { bench: { servers: servers(pool), health: { type: 'http', path: pool.health.path } } },
    routes: [{ host: '*', path: '/', pool: 'bench' }],
  };
}

/** The default-config balancer with its event log (JSON lines) handed to `onEvent`. */
export function faultlineDefaultsFront(onEvent: (event: Record<string, unknown>) => void): Front {
  return {
    name: 'faultline',
    unavailable: () => undefined,
    async start(pool, port) {
      const dir = scratchDir('faultline');
      const file = join(dir, 'balancer.yaml');
      writeFileSync(file, stringify(faultlineDefaultConfig(pool, port)));
      const bin = packagePath('bin', 'faultline.js');
      return spawnFront(
        'faultline',
        process.execPath,
        [bin, 'balancer', '--config', file, '--log-format', 'json'],
        port,
        dir,
        (line) => {
          if (!line.startsWith('{')) return;
          try {
            onEvent(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // not an event line
          }
        },
      );
    },
  };
}

export function faultlineFront(name = 'faultline', overrides: Record<string, unknown> = {}): Front {
  return {
    name,
    unavailable: () => undefined,
    async start(pool, port) {
      const dir = scratchDir('faultline');
      const file = join(dir, 'balancer.yaml');
      writeFileSync(file, stringify(faultlineConfig(pool, port, overrides)));
      const bin = packagePath('bin', 'faultline.js');
      return spawnFront(name, process.execPath, [bin, 'balancer', '--config', file], port, dir);
    },
  };
}
