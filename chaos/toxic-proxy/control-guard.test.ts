import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../../test/fixtures/http.ts';
import { ToxicProxyClient } from './client.ts';
import { type ControlApiOptions, startControlApi } from './control-api.ts';
import { ToxicProxyServer } from './proxy-server.ts';
import { startEcho, type TestServer } from './test-fixtures.ts';

// Real control API on port 0. New proxies' upstreams such as 10.0.0.1:80 are only ever named,
// never connected to: a refused proxy does not exist, an allowed one gets no client.
let server: ToxicProxyServer | undefined;
let upstream: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  await upstream?.close();
  server = upstream = undefined;
});

async function start(options: ControlApiOptions = {}, setup?: (s: ToxicProxyServer) => Promise<void>) {
  server = new ToxicProxyServer();
  await setup?.(server);
  const api = await server.listenControl(options);
  return { url: api.url, port: new URL(api.url).port, server };
}

async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: string } = {},
) {
  const res = await request(url, init);
  const json = res.body ? res.json<{ error?: string; status?: number; code?: string }>() : undefined;
  return { status: res.status, code: json?.code, message: json?.error ?? '', json };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const newProxy = (upstreamAddress: string, listen = '127.0.0.1:0') => ({
  name: 'p',
  listen,
  upstream: upstreamAddress,
});

describe('control API without a token: only loopback callers that are not browsers', () => {
  it('refuses an Origin header and a non-loopback Host; answers loopback Hosts', async () => {
    const { url, port } = await start();
    for (const origin of ['http://evil.example', 'null']) {
      const res = await send(`${url}/proxies`, { headers: { origin } });
      expect({ origin, status: res.status, code: res.code }).toEqual({
        origin,
        status: 403,
        code: 'origin_refused',
      });
    }
    for (const host of ['evil.example', `evil.example:${port}`, `192.168.1.10:${port}`]) {
      const res = await send(`${url}/proxies`, { headers: { host } });
      expect({ host, status: res.status, code: res.code }).toEqual({
        host,
        status: 403,
        code: 'host_refused',
      });
      expect(res.message).toMatch(/loopback host/);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) {
      expect({ host, status: (await send(`${url}/proxies`, { headers: { host } })).status }).toEqual({
        host,
        status: 200,
      });
    }
  });

  it('refuses browsers by User-Agent, as Toxiproxy does', async () => {
    const { url } = await start();
    const res = await send(`${url}/proxies`, {
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' },
    });
    expect({ status: res.status, code: res.code, json: res.json }).toEqual({
      status: 403,
      code: 'browser_refused',
      json: { error: expect.stringMatching(/^User agent not allowed/), status: 403, code: 'browser_refused' },
    });
    expect((await send(`${url}/proxies`, { headers: { 'user-agent': 'curl/8.5.0' } })).status).toBe(200);
  });

  it('refuses the bodies a browser form could send (415); JSON or no Content-Type is fine', async () => {
    upstream = await startEcho();
    const echo = upstream.address;
    const { url, server: s } = await start({}, async (s) => {
      await s.createProxy({ name: 'app', listen: '127.0.0.1:0', upstream: echo });
    });
    const cases: [string, string, Record<string, string>, string][] = [
      ['POST', '/proxies', { 'content-type': 'text/plain' }, JSON.stringify(newProxy(echo))],
      ['POST', '/proxies/app', { 'content-type': 'application/x-www-form-urlencoded' }, 'enabled=false'],
      ['POST', '/proxies/app/toxics', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
      ['POST', '/reset', { 'content-type': 'text/plain' }, ''],
    ];
    for (const [method, path, headers, body] of cases) {
      const res = await send(url + path, { method, headers, body });
      expect({ method, path, status: res.status, code: res.code }).toEqual({
        method,
        path,
        status: 415,
        code: 'unsupported_media_type',
      });
    }
    expect(s.list().map((p) => [p.name, p.enabled, p.toxics])).toEqual([['app', true, []]]);
    // What Toxiproxy clients send: no Content-Type on bodyless calls, sometimes none with a body.
    expect((await send(`${url}/reset`, { method: 'POST' })).status).toBe(204);
    const untyped = await send(`${url}/proxies/app`, { method: 'POST', body: '{"enabled":false}' });
    expect(untyped.status).toBe(200);
    expect((await send(`${url}/proxies/app`, { method: 'POST', json: { enabled: true } })).status).toBe(200);
    expect((await send(`${url}/proxies/app`, { method: 'DELETE' })).status).toBe(204);
    expect(s.list()).toEqual([]);
  });
});

describe('control API with a token', () => {
  const TOKEN = 'toxic-test-token';
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('requires it on every route but GET /version, accepts any Host with it, still refuses an Origin', async () => {
    const { url } = await start({ token: TOKEN });
    const missing = await send(`${url}/proxies`);
    expect({ status: missing.status, code: missing.code }).toEqual({ status: 401, code: 'unauthorized' });
    expect((await send(`${url}/proxies`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await send(`${url}/reset`, { method: 'POST', headers: JSON_TYPE })).status).toBe(401);
    expect((await send(`${url}/version`)).status).toBe(200);
    expect((await send(`${url}/proxies`, { headers: { ...auth, host: 'toxiproxy:8474' } })).status).toBe(200);
    const browser = await send(`${url}/reset`, {
      method: 'POST',
      headers: { ...auth, ...JSON_TYPE, origin: 'http://evil.example' },
    });
    expect({ status: browser.status, code: browser.code }).toEqual({ status: 403, code: 'origin_refused' });
    expect((await send(`${url}/reset`, { method: 'POST', headers: auth })).status).toBe(204);
    expect((await send(`${url}/reset`, { method: 'POST', headers: { ...auth, ...JSON_TYPE } })).status).toBe(
      204,
    );
  });

  it('the typed client sends it (given, or from FAULTLINE_TOXIC_TOKEN)', async () => {
    upstream = await startEcho();
    const { url } = await start({ token: TOKEN });
    const client = new ToxicProxyClient(url, { token: TOKEN });
    await client.createProxy(newProxy(upstream.address));
    expect((await client.setEnabled('p', false)).enabled).toBe(false);
    await client.reset();
    await expect(new ToxicProxyClient(url, { token: 'nope' }).proxies()).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    const saved = process.env.FAULTLINE_TOXIC_TOKEN;
    process.env.FAULTLINE_TOXIC_TOKEN = TOKEN;
    try {
      expect((await new ToxicProxyClient(url).proxies()).map((p) => p.name)).toEqual(['p']);
    } finally {
      if (saved === undefined) delete process.env.FAULTLINE_TOXIC_TOKEN;
      else process.env.FAULTLINE_TOXIC_TOKEN = saved;
    }
  });
});

describe('new proxies: loopback or what the toxic proxy was started with', () => {
  it('refuses a remote upstream, naming the rule; creates nothing', async () => {
    const { url, server: s } = await start();
    const res = await send(`${url}/proxies`, { method: 'POST', json: newProxy('10.0.0.1:80') });
    expect({ status: res.status, code: res.code }).toEqual({ status: 403, code: 'upstream_refused' });
    expect(res.message).toMatch(/10\.0\.0\.1:80 refused: new proxies may connect only to loopback/);
    expect(res.message).toMatch(/--allow-remote/);
    expect(s.list()).toEqual([]);
  });

  it('refuses a non-loopback listen address for a new proxy (it would expose its upstream)', async () => {
    const { url, server: s } = await start();
    const res = await send(`${url}/proxies`, { method: 'POST', json: newProxy('127.0.0.1:22', '0.0.0.0:0') });
    expect({ status: res.status, code: res.code }).toEqual({ status: 403, code: 'listen_refused' });
    expect(s.list()).toEqual([]);
  });

  it('applies the same rule to updates and to populate, which then changes nothing', async () => {
    upstream = await startEcho();
    const echo = upstream.address;
    const { url, server: s } = await start({}, async (s) => {
      await s.createProxy({ name: 'app', listen: '127.0.0.1:0', upstream: echo });
    });
    const before = s.list();
    const moved = await send(`${url}/proxies/app`, { method: 'PATCH', json: { upstream: '10.0.0.1:80' } });
    expect({ status: moved.status, code: moved.code }).toEqual({ status: 403, code: 'upstream_refused' });
    const exposed = await send(`${url}/proxies/app`, { method: 'POST', json: { listen: '0.0.0.0:0' } });
    expect({ status: exposed.status, code: exposed.code }).toEqual({ status: 403, code: 'listen_refused' });
    const populate = await send(`${url}/populate`, {
      method: 'POST',
      json: [newProxy(echo), { name: 'far', upstream: '10.0.0.1:80' }],
    });
    expect({ status: populate.status, code: populate.code }).toEqual({
      status: 403,
      code: 'upstream_refused',
    });
    expect(s.list()).toEqual(before);
  });

  it('allows loopback upstreams', async () => {
    upstream = await startEcho();
    const { url } = await start();
    for (const [i, address] of [upstream.address, `localhost:${upstream.port}`].entries()) {
      const res = await send(`${url}/proxies`, {
        method: 'POST',
        json: { ...newProxy(address), name: `p${i}` },
      });
      expect({ address, status: res.status }).toEqual({ address, status: 201 });
    }
  });

  it('allows the upstreams of the proxies it was started with, and the extra upstreams it was given', async () => {
    const { url, server: s } = await start({ upstreams: ['db.internal:5432'] }, async (s) => {
      await s.createProxy({ name: 'app1', listen: '127.0.0.1:0', upstream: 'app1:8080', enabled: false });
    });
    expect((await send(`${url}/proxies`, { method: 'POST', json: newProxy('APP1:8080') })).status).toBe(201);
    const db = await send(`${url}/proxies`, {
      method: 'POST',
      json: { ...newProxy('db.internal:5432'), name: 'db' },
    });
    expect(db.status).toBe(201);
    const other = await send(`${url}/proxies`, {
      method: 'POST',
      json: { ...newProxy('app1:8081'), name: 'x' },
    });
    expect(other.code).toBe('upstream_refused');
    expect(other.message).toMatch(/started with \(.*app1:8080/);
    expect(other.message).toMatch(/started with \(.*db\.internal:5432/);
    expect(s.list().map((p) => p.name)).toEqual(['app1', 'p', 'db']);
  });

  it('allows any upstream with allowRemote', async () => {
    const { url } = await start({ allowRemote: true });
    const res = await send(`${url}/proxies`, {
      method: 'POST',
      json: { ...newProxy('10.0.0.1:80'), enabled: false },
    });
    expect(res).toMatchObject({ status: 201, json: { upstream: '10.0.0.1:80' } });
  });
});

describe('control API listen address', () => {
  it('refuses a non-loopback address without a token or an opt-in, before listening', async () => {
    server = new ToxicProxyServer();
    const err = await startControlApi(server, { host: '0.0.0.0' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'insecure_listen' });
    expect((err as Error).message).toMatch(
      /--token or FAULTLINE_TOXIC_TOKEN.*--allow-remote-listen.*--allow-remote/,
    );
  });
});
