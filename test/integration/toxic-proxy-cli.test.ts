import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { request } from '../fixtures/http.ts';
import { controlUrl, startToxicProxy as startProcess, stopProcess } from '../fixtures/toxic-proxy-process.ts';

// `faultline toxic-proxy` as a real child process, as the compose service runs it.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];
const JSON_TYPE = { 'content-type': 'application/json' };

afterEach(async () => {
  for (const child of children.splice(0)) await stopProcess(child);
});

function startToxicProxy(args: string[], env: Record<string, string> = {}) {
  const proc = startProcess(args, env);
  children.push(proc.child);
  return proc;
}

describe('faultline toxic-proxy', () => {
  it('refuses a non-loopback --control without a token or an opt-in, with one clear message', async () => {
    const proc = startToxicProxy(['--control', '0.0.0.0:0']);
    expect(await proc.exited).toBe(2);
    expect(proc.err()).toMatch(/--control 0\.0\.0\.0:0 is not a loopback address/);
    expect(proc.err()).toMatch(/--token or FAULTLINE_TOXIC_TOKEN/);
    expect(proc.err()).toMatch(/--allow-remote-listen/);
    expect(proc.err()).toMatch(/\[FL_USAGE\]/);
    expect(proc.out()).toBe('');
  }, 30_000);

  it('on loopback by default: refuses remote upstreams but allows its --upstream ones', async () => {
    const proc = startToxicProxy(['--control', '127.0.0.1:0', '--upstream', 'app1:8080']);
    const url = await controlUrl(proc);
    const refused = await request(`${url}/proxies`, {
      method: 'POST',
      json: { name: 'x', listen: '127.0.0.1:0', upstream: '10.0.0.1:80' },
    });
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ status: 403, code: 'upstream_refused' });
    const allowed = await request(`${url}/proxies`, {
      method: 'POST',
      json: { name: 'app1', listen: '127.0.0.1:0', upstream: 'app1:8080', enabled: false },
    });
    expect(allowed.status).toBe(201);
    expect((await request(`${url}/proxies`, { headers: { host: 'evil.example' } })).status).toBe(403);
  }, 30_000);

  it("runs the compose service's command line: its control API answers, new proxies stay limited", async () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: { toxiproxy: { command: string[] } };
    };
    const service = compose.services.toxiproxy;
    // Same flags; every port 0 and every proxy on 127.0.0.1, so nothing is exposed or taken.
    const args = service.command
      .slice(1)
      .map((a) =>
        a.replace(/^--control=(.+):8474$/, '--control=$1:0').replace(/=0\.0\.0\.0:\d+=/, '=127.0.0.1:0='),
      );
    expect(args).toContain('--control=0.0.0.0:0');
    const proc = startToxicProxy(args);
    const url = await controlUrl(proc);
    expect((await request(`${url}/proxies`)).status).toBe(200);
    expect((await request(`${url}/proxies`, { headers: { host: 'toxiproxy:8474' } })).status).toBe(403);
    expect((await request(`${url}/proxies/app2`, { method: 'DELETE', headers: JSON_TYPE })).status).toBe(204);
    const again = await request(`${url}/proxies`, {
      method: 'POST',
      json: { name: 'app2', listen: '127.0.0.1:0', upstream: 'app2:8080', enabled: false },
    });
    expect(again.status).toBe(201);
    const remote = await request(`${url}/proxies`, {
      method: 'POST',
      json: { name: 'x', listen: '127.0.0.1:0', upstream: '10.0.0.1:80' },
    });
    expect(remote.json()).toMatchObject({ status: 403, code: 'upstream_refused' });
  }, 30_000);

  it('with a token from FAULTLINE_TOXIC_TOKEN: callers must send it', async () => {
    const proc = startToxicProxy(['--control', '127.0.0.1:0'], { FAULTLINE_TOXIC_TOKEN: 'cli-token' });
    const url = await controlUrl(proc);
    expect((await request(`${url}/proxies`)).status).toBe(401);
    expect((await request(`${url}/proxies`, { headers: { authorization: 'Bearer cli-token' } })).status).toBe(
      200,
    );
  }, 30_000);
});
