import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchPool, type Front, missingBinary, scratchDir, spawnFront, which } from './front.ts';

/**
 * HAProxy, one thread, connection reuse to the servers, with its best practical failover:
 * `httpchk` active checks, `retries` with `redispatch` to another server on every retry.
 */
export function haproxyConfig(pool: BenchPool, port: number): string {
  const h = pool.health;
  const servers = pool.servers
    .map(
      (s) =>
        `  server ${s.name} 127.0.0.1:${s.port} check inter ${h.intervalMs}ms fall ${h.fall} rise ${h.rise}${s.weight ? ` weight ${s.weight}` : ''}${s.backup ? ' backup' : ''}`,
    )
    .join('\n');
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect ${pool.connectTimeoutMs}ms
  timeout client 30s
  timeout server ${pool.responseTimeoutMs}ms
  timeout check ${h.timeoutMs}ms
  option http-keep-alive
  http-reuse always
  retries ${pool.retries}
  option redispatch 1
  retry-on all-retryable-errors
frontend fe
  bind 127.0.0.1:${port}
  default_backend pool
backend pool
  balance roundrobin
  option httpchk GET ${h.path}
  http-response set-header X-Served-By %s
${servers}
`;
}

/** A server leaving or rejoining rotation, as the front itself says it (the failover scorecard). */
export interface FrontEvent {
  kind: 'server-down' | 'server-up';
  server: string;
  at: number;
}

/** HAProxy's own word on a server's state: "Server pool/app1 is DOWN, reason: ..." on stderr. */
export function haproxyStateEvent(line: string, at: number): FrontEvent | undefined {
  const m = /Server pool\/(\S+) is (DOWN|UP)\b/.exec(line);
  if (!m) return undefined;
  return { kind: m[2] === 'DOWN' ? 'server-down' : 'server-up', server: m[1] as string, at };
}

/** HAProxy as `haproxy`, with its server state changes handed to `onEvent`. */
export function haproxyWithEvents(onEvent: (event: FrontEvent) => void): Front {
  return {
    ...haproxy,
    async start(pool, port) {
      const dir = scratchDir('haproxy');
      const cfg = join(dir, 'haproxy.cfg');
      writeFileSync(cfg, haproxyConfig(pool, port));
      return spawnFront(
        'haproxy',
        which('haproxy') ?? 'haproxy',
        ['-db', '-f', cfg],
        port,
        dir,
        undefined,
        (line) => {
          const event = haproxyStateEvent(line, Date.now());
          if (event) onEvent(event);
        },
      );
    },
  };
}

export const haproxy: Front = {
  name: 'haproxy',
  unavailable: () => missingBinary('haproxy'),
  async start(pool, port) {
    const dir = scratchDir('haproxy');
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(pool, port));
    return spawnFront('haproxy', which('haproxy') ?? 'haproxy', ['-db', '-f', cfg], port, dir);
  },
};
