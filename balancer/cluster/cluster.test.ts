import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpEcho } from '../../backends/tcp-echo.ts';
import { startNode } from '../../test/fixtures/cli-process.ts';
import { TcpLineClient } from '../../test/fixtures/tcp-client.ts';
import { normalizeConfig, parseConfigText } from '../config/index.ts';
import { Balancer } from '../server.ts';

const BIN = fileURLToPath(new URL('../../bin/faultline.js', import.meta.url));
const children: ChildProcess[] = [];
const servers: http.Server[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of servers.splice(0)) s.close();
});

/** A backend that answers with its name; its health check fails while `healthy` is false. */
async function backend(name: string) {
  const state = { healthy: true };
  const server = http.createServer((req, res) => {
    if (req.url === '/health') res.writeHead(state.healthy ? 200 : 503).end();
    else res.end(name);
  });
  server.keepAliveTimeout = 100;
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One request on a connection of its own, so the cluster spreads them across its workers. */
function get(
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      agent: false,
      method: init.method ?? 'GET',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function bodies(url: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(url);
    out.push(r.status === 200 ? r.body : String(r.status));
  }
  return out;
}

function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(' ').map(Number);
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `faultline balancer --log-format json` on `file`; resolves once it prints its listening line. */
async function startBalancer(file: string) {
  const run = startNode([BIN, 'balancer', '--config', file, '--log-format', 'json'], {
    cwd: process.cwd(),
    env: process.env,
  });
  children.push(run.child);
  const lines = () =>
    run
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const listening = await until('the listening line', () => {
    if (run.child.exitCode !== null) throw new Error(run.err());
    return lines().find((l) => l.kind === 'listening');
  });
  return { run, lines, listening };
}

describe('workers: N (node:cluster)', () => {
  it('workers share the listener and take the primary health verdicts and admin actions; a dead worker is replaced; SIGTERM stops all', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const dir = await mkdtemp(join(tmpdir(), 'faultline-cluster-'));
    const file = join(dir, 'balancer.json');
    await writeFile(
      file,
      JSON.stringify({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        workers: 2,
        pools: {
          web: {
            algorithm: 'round-robin',
            servers: [
              { name: 'a', url: a.url },
              { name: 'b', url: b.url },
            ],
            health: { type: 'http', interval: '200ms', fall: 1, rise: 1 },
          },
        },
      }),
    );
    const { run, lines, listening } = await startBalancer(file);
    expect(listening.workers).toBe(2);
    const pid = run.child.pid as number;
    const workers = childPids(pid);
    expect(workers).toHaveLength(2);
    const traffic = String(listening.listen);
    const admin = String(listening.admin);

    // Both servers answer, and /metrics adds up what every worker counted.
    const first = await bodies(traffic, 40);
    expect(new Set(first)).toEqual(new Set(['a', 'b']));
    const metrics = (await get(`${admin}/metrics`)).body;
    const counted = [...metrics.matchAll(/^faultline_requests_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(counted).toBe(40);

    // The primary's health verdict reaches every worker.
    a.state.healthy = false;
    await until('server-down for a', () => lines().find((l) => l.kind === 'server-down' && l.server === 'a'));
    expect(new Set(await bodies(traffic, 20))).toEqual(new Set(['b']));
    a.state.healthy = true;
    await until('server-up for a', () => lines().find((l) => l.kind === 'server-up' && l.server === 'a'));
    expect(new Set(await bodies(traffic, 20))).toEqual(new Set(['a', 'b']));

    // So does an operator's action on the admin API.
    expect((await get(`${admin}/pools/web/servers/b/disable`, { method: 'POST', body: '{}' })).status).toBe(
      200,
    );
    expect(new Set(await bodies(traffic, 20))).toEqual(new Set(['a']));

    // A worker that dies is reported and replaced; the replacement starts with the current state.
    process.kill(workers[0] as number, 'SIGKILL');
    const exited = await until('worker-exited', () => lines().find((l) => l.kind === 'worker-exited'));
    expect(exited.pid).toBe(workers[0]);
    expect(exited.restartInMs).toBeGreaterThanOrEqual(0);
    const replaced = await until('a replacement worker', () => {
      const now = childPids(pid);
      return now.length === 2 && !now.includes(workers[0] as number) ? now : undefined;
    });
    expect(new Set(await bodies(traffic, 20))).toEqual(new Set(['a']));

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    for (const worker of replaced) expect(() => process.kill(worker, 0)).toThrow();
    expect(run.err()).toBe('');
  }, 60_000);

  it("a worker that cannot start fails the command with the worker's own error", async () => {
    const taken = http.createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const file = join(await mkdtemp(join(tmpdir(), 'faultline-cluster-')), 'balancer.yaml');
    await writeFile(
      file,
      `listen: 127.0.0.1:${port}\nadmin: { listen: 127.0.0.1:0 }\nworkers: 2\npools: { web: { servers: [{ name: a, url: "http://127.0.0.1:1" }] } }\n`,
    );
    const run = startNode([BIN, 'balancer', '--config', file], { cwd: process.cwd(), env: process.env });
    children.push(run.child);
    expect(await run.exited).toBe(1);
    expect(run.err()).toMatch(
      new RegExp(
        `^faultline: balancer worker \\d: cannot listen for HTTP traffic \\(listener http\\) on 127\\.0\\.0\\.1:${port}: EADDRINUSE \\[FL_LISTEN_FAILED\\]\\n$`,
      ),
    );
  });

  it('SIGHUP reloads the file in the primary and every worker: a server added and one removed; a broken file changes nothing', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const c = await backend('c');
    const dir = await mkdtemp(join(tmpdir(), 'faultline-cluster-reload-'));
    const file = join(dir, 'balancer.yaml');
    const text = (servers: string) =>
      `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nworkers: 2\nshutdownTimeout: 2s\npools:\n  web:\n    algorithm: round-robin\n    health: { type: http, interval: 200ms, fall: 1, rise: 1 }\n    servers: [${servers}]\n`;
    await writeFile(file, text(`{ name: a, url: "${a.url}" }, { name: b, url: "${b.url}" }`));
    const { run, lines, listening } = await startBalancer(file);
    const traffic = String(listening.listen);
    expect(new Set(await bodies(traffic, 20))).toEqual(new Set(['a', 'b']));

    await writeFile(file, text(`{ name: b, url: "${b.url}" }, { name: c, url: "${c.url}" }`));
    run.child.kill('SIGHUP');
    const reloaded = await until('config-reloaded', () => lines().find((l) => l.kind === 'config-reloaded'));
    expect(reloaded.changes).toEqual(expect.arrayContaining(['web/a removed', 'web/c added']));
    // Every worker (each request on its own connection) now balances across b and c.
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(await bodies(traffic, 30))).toEqual(new Set(['b', 'c']));

    await writeFile(file, text('{ name: d }'));
    run.child.kill('SIGHUP');
    const failed = await until('config-reload-failed', () =>
      lines().find((l) => l.kind === 'config-reload-failed'),
    );
    expect(String(failed.reason)).toMatch(/balancer\.yaml:\d+: pools\.web\.servers\[0\]\.url: is required/);
    expect(new Set(await bodies(traffic, 20))).toEqual(new Set(['b', 'c']));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('tcp listeners run in every worker too: connections relayed, metrics added up across workers', async () => {
    const web = await backend('w');
    const echo = await startTcpEcho({ name: 'db1', host: '127.0.0.1', port: 0 });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'faultline-cluster-tcp-'));
      const file = join(dir, 'balancer.yaml');
      await writeFile(
        file,
        `admin: { listen: 127.0.0.1:0 }\nworkers: 2\nlisteners:\n  - { name: web, listen: 127.0.0.1:0 }\n  - { name: db, mode: tcp, listen: 127.0.0.1:0, pool: db }\npools:\n  web: { servers: [{ name: w, url: "${web.url}" }] }\n  db: { mode: tcp, servers: [{ name: db1, url: "tcp://127.0.0.1:${echo.port}" }] }\n`,
      );
      const { listening } = await startBalancer(file);
      const listeners = listening.listeners as { name: string; mode: string; url: string }[];
      expect(listeners.map((l) => `${l.name} ${l.mode}`)).toEqual(['web http', 'db tcp']);
      const tcpPort = Number(new URL(listeners[1]?.url ?? '').port);
      for (let i = 0; i < 10; i++) {
        const c = await TcpLineClient.connect(tcpPort);
        expect(await c.exchange(`n${i}`)).toBe('db1');
        c.close();
      }
      expect(await bodies(String(listening.listen), 4)).toEqual(['w', 'w', 'w', 'w']);
      await new Promise((r) => setTimeout(r, 200));
      const metrics = (await get(`${listening.admin}/metrics`)).body;
      expect(metrics).toMatch(/^faultline_tcp_connections_total\{pool="db",server="db1"\} 10$/m);
    } finally {
      await echo.close({ timeoutMs: 0 });
    }
  });

  it('an in-process balancer refuses workers > 1, and a bad count is named with its rule', async () => {
    const text =
      'listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nworkers: 2\npools: { web: { servers: [{ name: a, url: "http://127.0.0.1:1" }] } }\n';
    const config = parseConfigText(text, { file: 'b.yaml' });
    expect(config.workers).toBe(2);
    await expect(Balancer.start(config)).rejects.toThrow(/workers: 2 needs the `faultline balancer` command/);
    expect(() => parseConfigText(text.replace('workers: 2', 'workers: 0'), { file: 'b.yaml' })).toThrow(
      /b\.yaml:3: workers: must be a whole number from 1 to 64 or "auto"/,
    );
    expect(
      normalizeConfig({
        pools: { web: { servers: [{ name: 'a', url: 'http://127.0.0.1:1' }] } },
        workers: 'auto',
      }).workers,
    ).toBeGreaterThanOrEqual(1);
  });
});
