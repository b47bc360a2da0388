import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchPool, type Front, missingBinary, scratchDir, spawnFront, which } from './front.ts';
import type { FrontEvent } from './haproxy.ts';

/**
 * nginx, one worker, keep-alive to the upstreams, with its best practical failover: open-source
 * nginx has no active health checks, so a server leaves rotation after `max_fails` failed tries
 * for `fail_timeout`, and `proxy_next_upstream` sends a failed or timed-out try to the next one.
 */
export function nginxConfig(
  pool: BenchPool,
  port: number,
  dir: string,
  errorLog = `${dir}/error.log`,
): string {
  // fail_timeout takes whole seconds only; the proxy timeouts take milliseconds.
  const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`;
  const servers = pool.servers
    .map(
      (s) =>
        `    server 127.0.0.1:${s.port} ${s.weight ? `weight=${s.weight} ` : ''}max_fails=${pool.health.fall} fail_timeout=${Math.max(1, Math.ceil((pool.health.intervalMs * pool.health.rise) / 1000))}s${s.backup ? ' backup' : ''};`,
    )
    .join('\n');
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${errorLog} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream pool {
${servers}
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://pool;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout ${ms(pool.connectTimeoutMs)};
      proxy_read_timeout ${ms(pool.responseTimeoutMs)};
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries ${pool.retries + 1};
      # The answering backend's name, as faultline's x-served-by (the failover scorecard reads it).
      add_header X-Served-By $upstream_http_x_backend_instance always;
    }
  }
}
`;
}

export const nginx: Front = {
  name: 'nginx',
  unavailable: () => missingBinary('nginx'),
  async start(pool, port) {
    const dir = scratchDir('nginx');
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, nginxConfig(pool, port, dir));
    return spawnFront(
      'nginx',
      which('nginx') ?? 'nginx',
      ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf],
      port,
      dir,
    );
  },
};

/**
 * nginx's own word that a server left rotation (open-source nginx has no active checks: after
 * max_fails failed tries it is "temporarily disabled" for fail_timeout), from its error log on
 * stderr; the upstream's port names the server.
 */
export function nginxDisabledEvent(
  line: string,
  at: number,
  serverByPort: Map<number, string>,
): FrontEvent | undefined {
  if (!line.includes('upstream server temporarily disabled')) return undefined;
  const m = /upstream: "http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
  const server = m ? serverByPort.get(Number(m[1])) : undefined;
  return server ? { kind: 'server-down', server, at } : undefined;
}

/** nginx as `nginx`, with its "temporarily disabled" verdicts handed to `onEvent`. */
export function nginxWithEvents(onEvent: (event: FrontEvent) => void): Front {
  return {
    ...nginx,
    async start(pool, port) {
      const dir = scratchDir('nginx');
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, nginxConfig(pool, port, dir, 'stderr'));
      const serverByPort = new Map(pool.servers.map((s) => [s.port, s.name]));
      return spawnFront(
        'nginx',
        which('nginx') ?? 'nginx',
        ['-p', dir, '-e', 'stderr', '-c', conf],
        port,
        dir,
        undefined,
        (line) => {
          const event = nginxDisabledEvent(line, Date.now(), serverByPort);
          if (event) onEvent(event);
        },
      );
    },
  };
}
