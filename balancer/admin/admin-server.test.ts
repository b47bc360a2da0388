import http from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FaultlineError } from '../../core/errors.ts';
import { EventBus } from '../events.ts';
import { type AdminStack, startAdminStack } from './admin.fixture.ts';
import { AdminServer, isLoopbackHost } from './admin-server.ts';
import { AdminClient, AdminRequestError } from './client.ts';
import { BalancerMetrics } from './metrics.ts';

async function raw(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

describe('admin API routes', () => {
  let stack: AdminStack;
  beforeEach(async () => {
    stack = await startAdminStack();
  });
  afterEach(() => stack.close());

  it('lists pools and shows pool and server snapshots', async () => {
    const pools = await stack.client.pools();
    expect(pools.map((p) => p.name)).toEqual(['web', 'api']);
    const web = await stack.client.pool('web');
    expect(web.activeTier).toBe('primary');
    expect(web.servers.map((s) => [s.name, s.weight, s.backup])).toEqual([
      ['app1', 3, false],
      ['app2', 1, false],
      ['app3', 1, true],
    ]);
    const app3 = await stack.client.server('web', 'app3');
    expect(app3).toMatchObject({ name: 'app3', backup: true, state: 'up', adminState: 'enabled' });
    expect((await raw(`${stack.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const info = await stack.client.info();
    expect(info).toMatchObject({ pools: ['web', 'api'] });
    expect(typeof info.uptimeMs).toBe('number');
  });

  it('drain, disable, enable and weight change the snapshot and publish events', async () => {
    expect(await stack.client.drain('web', 'app1')).toMatchObject({
      adminState: 'draining',
      state: 'draining',
    });
    expect(await stack.client.disable('web', 'app2')).toMatchObject({ adminState: 'disabled' });
    expect((await stack.client.pool('web')).activeTier).toBe('backup');
    expect(await stack.client.enable('web', 'app1')).toMatchObject({ adminState: 'enabled', state: 'up' });
    expect(await stack.client.setWeight('web', 'app2', 7)).toMatchObject({ weight: 7 });
    expect((await stack.client.server('web', 'app2')).weight).toBe(7);
    expect(stack.bus.since(0).map((e) => e.kind)).toEqual([
      'server-draining',
      'server-drained',
      'server-disabled',
      'failover-to-backup',
      'server-enabled',
      'failback',
      'weight-changed',
    ]);
  });

  it('rejects a bad weight with 400 naming the field and the rule', async () => {
    for (const body of ['{"weight": 0}', '{"weight": 1001}', '{"weight": 2.5}', '{"weight": "3"}', '{}']) {
      const res = await raw(`${stack.url}/pools/web/servers/app1/weight`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(res.json().error.code).toBe('invalid_field');
      expect(res.json().error.message).toMatch(/field "weight" must be an integer from 1 to 1000/);
    }
    const err = await stack.client.setWeight('web', 'app1', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminRequestError);
    expect(err).toMatchObject({ code: 'FL_ADMIN_REQUEST', status: 400, errorCode: 'invalid_field' });
    expect((err as Error).message).toMatch(
      /HTTP 400: field "weight" must be an integer from 1 to 1000 \(got 0\)/,
    );
    expect((await stack.client.server('web', 'app1')).weight).toBe(3);
  });

  it('answers bad JSON, oversized bodies and wrong content types with 4xx', async () => {
    const put = (body: string, type = 'application/json') =>
      raw(`${stack.url}/pools/web/servers/app1/weight`, {
        method: 'PUT',
        headers: { 'content-type': type },
        body,
      });
    const bad = await put('{"weight": ');
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_json' });
    expect(bad.json().error.message).toMatch(/not valid JSON/);
    expect((await put('')).json().error.message).toMatch(/empty/);
    expect((await put('[3]')).json().error.code).toBe('invalid_body');
    expect((await put(JSON.stringify({ weight: 2, pad: 'x'.repeat(70_000) }))).status).toBe(413);
    expect((await put('weight=3', 'application/x-www-form-urlencoded')).status).toBe(415);
    // Chunked, so no content-length announces the size: the limit applies while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${stack.url}/pools/web/servers/app1/weight`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10_000));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await stack.client.server('web', 'app1')).weight).toBe(3);
  });

  it('names the known pools and servers in 404s', async () => {
    const pool = await stack.client.pool('nope').catch((e: unknown) => e);
    expect(pool).toMatchObject({ status: 404, errorCode: 'unknown_pool' });
    expect((pool as Error).message).toMatch(/HTTP 404: no pool named "nope"; known pools: web, api/);
    const server = await stack.client.drain('web', 'app9').catch((e: unknown) => e);
    expect(server).toMatchObject({ status: 404, errorCode: 'unknown_server' });
    expect((server as Error).message).toMatch(
      /pool "web" has no server named "app9"; its servers: app1, app2, app3/,
    );
    expect(stack.bus.since(0)).toEqual([]);
    const route = await raw(`${stack.url}/nothing/here`);
    expect(route.status).toBe(404);
    expect(route.json().error.code).toBe('not_found');
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const drain = await raw(`${stack.url}/pools/web/servers/app1/drain`);
    expect(drain.status).toBe(405);
    expect(drain.headers.get('allow')).toBe('POST');
    const pools = await raw(`${stack.url}/pools`, { method: 'DELETE' });
    expect(pools.status).toBe(405);
    expect(pools.headers.get('allow')).toBe('GET, HEAD');
    expect(pools.json().error.code).toBe('method_not_allowed');
  });
});

describe('admin API token', () => {
  let stack: AdminStack;
  beforeEach(async () => {
    stack = await startAdminStack({ token: 's3cret-token' });
  });
  afterEach(() => stack.close());

  it('requires the bearer token on every route but /healthz', async () => {
    for (const path of ['/pools', '/pools/web', '/metrics', '/events', '/info', '/no-such-route']) {
      const missing = await raw(stack.url + path);
      expect(missing.status, path).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(missing.json().error.code).toBe('unauthorized');
      const wrong = await raw(stack.url + path, { headers: { authorization: 'Bearer s3cret-tokeX' } });
      expect(wrong.status, path).toBe(401);
      const short = await raw(stack.url + path, { headers: { authorization: 'Bearer s3' } });
      expect(short.status, path).toBe(401);
    }
    const drain = await raw(`${stack.url}/pools/web/servers/app1/drain`, { method: 'POST' });
    expect(drain.status).toBe(401);
    expect(stack.bus.since(0)).toEqual([]);
    expect((await raw(`${stack.url}/healthz`)).status).toBe(200);
    const ok = await raw(`${stack.url}/pools`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect((await stack.client.pools()).length).toBe(2);
    expect(await stack.client.metrics()).toContain('faultline_server_up');
    const anonymous = await new AdminClient(stack.url).pools().catch((e: unknown) => e);
    expect(anonymous).toMatchObject({ code: 'FL_ADMIN_REQUEST', status: 401 });
  });
});

describe('admin API listen address', () => {
  const deps = () => {
    const events = new EventBus();
    return { pools: new Map(), events, metrics: new BalancerMetrics(() => []) };
  };

  it('refuses a non-loopback address without a token, before listening', async () => {
    const listen = vi.spyOn(net.Server.prototype, 'listen');
    try {
      const err = await AdminServer.start({
        ...deps(),
        config: { listen: { host: '0.0.0.0', port: 0 }, token: undefined },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FaultlineError);
      expect(err).toMatchObject({ code: 'FL_ADMIN_INSECURE' });
      expect((err as Error).message).toMatch(/0\.0\.0\.0:0/);
      expect((err as Error).message).toMatch(/admin\.token/);
      expect(listen).not.toHaveBeenCalled();
    } finally {
      listen.mockRestore();
    }
  });

  it('serves a non-loopback address when a token is set', async () => {
    const admin = await AdminServer.start({
      ...deps(),
      config: { listen: { host: '0.0.0.0', port: 0 }, token: 't' },
    });
    try {
      expect(admin.address.port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${admin.address.port}/pools`, {
        headers: { authorization: 'Bearer t' },
      });
      expect(res.status).toBe(200);
    } finally {
      await admin.close();
    }
  });

  it('recognises loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '', '10.0.0.1', '128.0.0.1', 'example.com', '127.example.com']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('reports a taken port as FL_LISTEN_FAILED', async () => {
    const first = await AdminServer.start({
      ...deps(),
      config: { listen: { host: '127.0.0.1', port: 0 }, token: undefined },
    });
    try {
      const err = await AdminServer.start({
        ...deps(),
        config: { listen: first.address, token: undefined },
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'FL_LISTEN_FAILED' });
      expect((err as Error).message).toMatch(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
