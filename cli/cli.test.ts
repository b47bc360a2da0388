import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../balancer/index.ts';
import { startNode } from '../test/fixtures/cli-process.ts';

const BIN = fileURLToPath(new URL('../bin/faultline.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const proc = startNode([BIN, ...args], { cwd: process.cwd(), env: { ...process.env, ...env } });
  children.push(proc.child);
  return proc;
}

async function tempFile(name: string, text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'faultline-cli-')), name);
  await writeFile(file, text);
  return file;
}

describe('faultline CLI', () => {
  it('a bad config: exit 1, one message with file, line and field, no stack trace', async () => {
    const file = await tempFile(
      'bad.yaml',
      'pools:\n  web:\n    servers:\n      - { name: a, url: "http://127.0.0.1:1", weight: 0 }\n',
    );
    const r = run(['balancer', '--config', file]);
    expect(await r.exited).toBe(1);
    expect(r.err()).toContain(
      `${file}:4: pools.web.servers[0].weight: must be an integer from 1 to 1000 (got 0)`,
    );
    expect(r.err()).toContain('[FL_CONFIG_INVALID]');
    expect(r.err()).not.toMatch(/\n\s+at /);
  });

  it('balancer --check: a sound config exits 0 with what it sets up, a bad one 1 with every problem; nothing listens', async () => {
    const good = await tempFile(
      'good.yaml',
      'listen: 127.0.0.1:1\nadmin: { listen: 127.0.0.1:2 }\npools:\n  web:\n    servers:\n      - { name: a, url: "http://127.0.0.1:3" }\n      - { name: b, url: "http://127.0.0.1:4" }\n',
    );
    const ok = run(['balancer', '--check', '--config', good]);
    expect(await ok.exited).toBe(0);
    expect(ok.out()).toBe(
      `faultline: ${good}: config OK; 1 listener (http: http on 127.0.0.1:1), admin on 127.0.0.1:2; 1 pool (web), 2 servers, 1 route; 1 worker\n`,
    );
    const bad = await tempFile(
      'bad.yaml',
      'pools:\n  web:\n    algorithm: fastest\n    servers:\n      - { name: a, url: "http://127.0.0.1:1", weight: 0 }\n',
    );
    const refused = run(['balancer', '--check', '-c', bad]);
    expect(await refused.exited).toBe(1);
    expect(refused.out()).toBe('');
    expect(refused.err()).toContain(`${bad}:3: pools.web.algorithm: must be one of`);
    expect(refused.err()).toContain(
      `${bad}:5: pools.web.servers[0].weight: must be an integer from 1 to 1000`,
    );
    expect(refused.err()).not.toMatch(/\n\s+at /);
  });

  it('a missing option or unknown command: exit 2 with usage help', async () => {
    const r = run(['balancer']);
    expect(await r.exited).toBe(2);
    expect(r.err()).toContain("required option '-c, --config <file>' not specified");
    const u = run(['nonsense']);
    expect(await u.exited).toBe(2);
    expect(u.err()).toContain("unknown command 'nonsense'");
  });

  it('runs the balancer from a file, logs events, and drains on SIGTERM', async () => {
    let answered = 0;
    const backend = http.createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow done'), 600);
      else res.end('ok');
      answered++;
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const port = (backend.address() as AddressInfo).port;
    const file = await tempFile(
      'balancer.json',
      JSON.stringify({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        pools: { web: { servers: [{ name: 'only', url: `http://127.0.0.1:${port}` }] } },
      }),
    );
    const r = run(['balancer', '--config', file, '--log-format', 'json']);
    while (!r.out().includes('"kind":"listening"')) {
      if (r.child.exitCode !== null) throw new Error(r.err());
      await new Promise((res) => setTimeout(res, 50));
    }
    const listening = JSON.parse(
      r
        .out()
        .split('\n')
        .find((l) => l.includes('"kind":"listening"')) as string,
    );
    const slow = fetch(`${listening.listen}/slow`).then(async (res) => ({
      status: res.status,
      body: await res.text(),
    }));
    await new Promise((res) => setTimeout(res, 200));
    r.child.kill('SIGTERM');
    expect(await slow).toEqual({ status: 200, body: 'slow done' });
    expect(await r.exited).toBe(0);
    expect(r.out()).toContain('"kind":"balancer-stopping"');
    expect(answered).toBe(1);
    backend.close();
  });

  it('SIGHUP reloads the file: a new server takes traffic; a broken file is refused and the balancer runs on', async () => {
    const names = ['a', 'b'];
    const servers = await Promise.all(
      names.map(async (name) => {
        const server = http.createServer((_req, res) => res.end(name));
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        return { name, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
      }),
    );
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const config = (list: typeof servers) =>
      `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\npools:\n  web:\n    algorithm: round-robin\n    servers: [${list.map((s) => `{ name: ${s.name}, url: "${s.url}" }`).join(', ')}]\n`;
    const file = await tempFile('balancer.yaml', config([a]));
    const r = run(['balancer', '--config', file]);
    while (!r.out().includes('faultline balancer listening on')) {
      if (r.child.exitCode !== null) throw new Error(r.err());
      await new Promise((res) => setTimeout(res, 50));
    }
    const url = /listening on (http:\/\/\S+?)[ ,]/.exec(r.out())?.[1] as string;
    const bodies = async () => Promise.all([0, 1, 2, 3].map(async () => (await fetch(url)).text()));
    expect(new Set(await bodies())).toEqual(new Set(['a']));

    await writeFile(file, config([a, b]));
    r.child.kill('SIGHUP');
    while (!r.out().includes('config-reloaded')) await new Promise((res) => setTimeout(res, 50));
    expect(r.out()).toMatch(/config-reloaded +config reloaded from .*balancer\.yaml: web\/b added/);
    expect(new Set(await bodies())).toEqual(new Set(['a', 'b']));

    await writeFile(file, 'pools: { web: { servers: [{ name: c }] } }\n');
    r.child.kill('SIGHUP');
    while (!r.out().includes('config-reload-failed')) await new Promise((res) => setTimeout(res, 50));
    expect(r.out()).toMatch(
      /config-reload-failed .* refused, the running config stays: invalid balancer config: .*balancer\.yaml:1: pools\.web\.servers\[0\]\.url: is required/,
    );
    expect(new Set(await bodies())).toEqual(new Set(['a', 'b']));
    expect(r.child.exitCode).toBeNull();
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    for (const s of servers) s.server.close();
  });

  it('the shipped example config is valid', async () => {
    const text = await readFile(fileURLToPath(new URL('../examples/balancer.yaml', import.meta.url)), 'utf8');
    const config = parseConfigText(text, { env: {} });
    expect(config.pools.web?.servers.map((s) => s.name)).toEqual(['app1', 'app2', 'app3']);
  });
});
