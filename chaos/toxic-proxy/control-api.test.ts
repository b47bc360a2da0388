import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToxicProxyClient, ToxicProxyClientError } from './client.ts';
import { startControlApi } from './control-api.ts';
import { ToxicProxyServer } from './proxy-server.ts';
import { connect, roundTrip, startEcho, type TestServer } from './test-fixtures.ts';

let server: ToxicProxyServer;
let upstream: TestServer;
let url: string;

beforeEach(async () => {
  server = new ToxicProxyServer();
  upstream = await startEcho();
  url = (await server.listenControl()).url;
});

afterEach(async () => {
  await server.close();
  await upstream.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' } }),
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const errorOf = (code: string, error: unknown = expect.any(String)) => ({
  error,
  status: expect.any(Number),
  code,
});

describe('control API routes', () => {
  it('creates, lists, reads, toggles and deletes proxies', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call('GET', '/version')).toEqual({ status: 200, json: { version: '2.12.0+faultline' } });
    const created = await call('POST', '/proxies', {
      name: 'app',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
    });
    expect(created.status).toBe(201);
    const info = created.json as { listen: string };
    expect(created.json).toMatchObject({
      name: 'app',
      upstream: upstream.address,
      enabled: true,
      toxics: [],
    });
    expect(await roundTrip(await connect(info.listen), 'via api')).toBeLessThan(1000);
    expect(await call('GET', '/proxies')).toEqual({ status: 200, json: { app: created.json } });
    expect(await call('GET', '/proxies/app')).toEqual({ status: 200, json: created.json });
    expect(await call('POST', '/proxies/app', { enabled: false })).toMatchObject({
      status: 200,
      json: { enabled: false, listen: info.listen },
    });
    await expect(connect(info.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await call('POST', '/proxies/app', { enabled: true })).status).toBe(200);
    expect((await call('DELETE', '/proxies/app')).status).toBe(204);
    expect(await call('GET', '/proxies/app')).toEqual({
      status: 404,
      json: errorOf('proxy_not_found', 'proxy not found: no proxy named app (proxies: none)'),
    });
  });

  it('adds, reads, lists and removes toxics; POST /reset clears them', async () => {
    await server.createProxy({ name: 'app', listen: '127.0.0.1:0', upstream: upstream.address });
    const added = await call('POST', '/proxies/app/toxics', {
      type: 'latency',
      attributes: { latency: 100 },
    });
    expect(added).toEqual({
      status: 200,
      json: {
        name: 'latency_downstream',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 100, jitter: 0 },
      },
    });
    expect(await call('GET', '/proxies/app/toxics')).toEqual({ status: 200, json: [added.json] });
    expect(await call('GET', '/proxies/app/toxics/latency_downstream')).toEqual({
      status: 200,
      json: added.json,
    });
    expect((await call('DELETE', '/proxies/app/toxics/latency_downstream')).status).toBe(204);
    expect(await call('DELETE', '/proxies/app/toxics/latency_downstream')).toEqual({
      status: 404,
      json: errorOf(
        'toxic_not_found',
        'toxic not found: proxy app has no toxic named latency_downstream (toxics: none)',
      ),
    });
    await call('POST', '/proxies/app/toxics', {
      name: 't',
      type: 'timeout',
      stream: 'upstream',
      attributes: {},
    });
    await call('POST', '/proxies/app', { enabled: false });
    expect((await call('POST', '/reset')).status).toBe(204);
    expect(server.proxy('app')).toMatchObject({ enabled: true, toxics: [] });
  });

  it("takes the bodies Toxiproxy's Go client sends: toxics echoed back, an empty toxic name", async () => {
    const created = await call('POST', '/proxies', {
      name: 'app',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
      enabled: true,
      toxics: null,
    });
    expect(created.status).toBe(201);
    const toxic = await call('POST', '/proxies/app/toxics', {
      name: '',
      type: 'latency',
      toxicity: 1,
      attributes: { latency: 5 },
    });
    expect(toxic).toMatchObject({ status: 200, json: { name: 'latency_downstream' } });
    // Disable() saves the proxy as last read: its (stale) toxic list is ignored, as by Toxiproxy.
    const saved = await call('POST', '/proxies/app', { ...(created.json as object), enabled: false });
    expect(saved).toMatchObject({ status: 200, json: { enabled: false, toxics: [toxic.json] } });
    const updated = await call('POST', '/proxies/app/toxics/latency_downstream', {
      attributes: null,
      toxicity: 0.5,
    });
    expect(updated).toMatchObject({ status: 200, json: { toxicity: 0.5, attributes: { latency: 5 } } });
    const refusals: [unknown, RegExp][] = [
      [{ type: 'timeout' }, /^type: a toxic's type cannot be changed \(it is "latency", got "timeout"\)/],
      [{ stream: 'upstream' }, /^stream: a toxic's stream cannot be changed/],
      [{ toxicity: 2 }, /^toxicity: must be a number from 0 to 1 \(got 2\)/],
      [{ attributes: { latency: -1 } }, /^latency\.latency: must be an integer >= 0 \(got -1\)/],
      [{ attributes: [] }, /^attributes: must be an object/],
      [{ colour: 'red' }, /^unknown field\(s\) colour/],
    ];
    for (const [body, message] of refusals) {
      const res = await call('PATCH', '/proxies/app/toxics/latency_downstream', body);
      expect({ body, status: res.status, code: (res.json as { code: string }).code }).toEqual({
        body,
        status: 400,
        code: 'invalid_toxic',
      });
      expect((res.json as { error: string }).error).toMatch(message);
    }
    expect(server.toxic('app', 'latency_downstream')).toEqual(updated.json);
  });

  it('answers bad input with codes and messages naming the field', async () => {
    await server.createProxy({ name: 'app', listen: '127.0.0.1:0', upstream: upstream.address });
    const cases: [string, string, unknown, number, string, string | RegExp][] = [
      [
        'POST',
        '/proxies/app/toxics',
        { type: 'latency', attributes: { latency: -1 } },
        400,
        'invalid_toxic',
        'latency.latency: must be an integer >= 0 (got -1)',
      ],
      [
        'POST',
        '/proxies/app/toxics',
        { type: 'bandwidth', attributes: { rate: 'fast' } },
        400,
        'invalid_toxic',
        'bandwidth.rate: must be an integer >= 0 (got "fast")',
      ],
      [
        'POST',
        '/proxies/app/toxics',
        { type: 'latency', stream: 'sideways' },
        400,
        'invalid_toxic',
        'stream: must be "upstream" or "downstream" (got "sideways")',
      ],
      [
        'POST',
        '/proxies/app/toxics',
        { type: 'jitterbug' },
        400,
        'unknown_toxic_type',
        /known types: latency, bandwidth, timeout, reset_peer, slow_close, limit_data, slicer/,
      ],
      ['POST', '/proxies/app/toxics', '{not json', 400, 'invalid_json', /not valid JSON/],
      [
        'POST',
        '/proxies/nope/toxics',
        { type: 'latency' },
        404,
        'proxy_not_found',
        'proxy not found: no proxy named nope (proxies: app)',
      ],
      ['GET', '/proxies/app/toxics/nope', undefined, 404, 'toxic_not_found', /no toxic named nope/],
      [
        'POST',
        '/proxies',
        { name: 'app', listen: '127.0.0.1:0', upstream: upstream.address },
        409,
        'proxy_exists',
        'proxy already exists: a proxy named app already exists',
      ],
      [
        'POST',
        '/proxies',
        { name: 'b', listen: '127.0.0.1:0', upstream: 'x' },
        400,
        'invalid_proxy',
        /^upstream: must be "host:port"/,
      ],
      [
        'POST',
        '/proxies',
        { name: 'b c', listen: '127.0.0.1:0', upstream: upstream.address },
        400,
        'invalid_proxy',
        /^name: must be/,
      ],
      [
        'POST',
        '/proxies/app',
        { enabled: 'yes' },
        400,
        'invalid_proxy',
        'enabled: must be true or false (got "yes")',
      ],
      ['POST', '/proxies/app', { name: 'other' }, 400, 'invalid_proxy', /^name: a proxy cannot be renamed/],
      [
        'POST',
        '/proxies/app',
        { upstream: '127.0.0.1' },
        400,
        'invalid_proxy',
        /^upstream: must be "host:port"/,
      ],
      [
        'POST',
        '/proxies',
        { listen: '127.0.0.1:0', upstream: upstream.address },
        400,
        'missing_field',
        'missing required field: name',
      ],
      ['POST', '/proxies', { name: 'b' }, 400, 'missing_field', 'missing required field: upstream'],
      [
        'POST',
        '/proxies',
        { name: 'b', upstream: upstream.address, colour: 'red' },
        400,
        'invalid_proxy',
        /^unknown field\(s\) colour/,
      ],
      ['POST', '/populate', { name: 'b' }, 400, 'invalid_request', /populate takes a JSON array/],
      [
        'POST',
        '/populate',
        [{ name: 'b', upstream: upstream.address }, { name: 'c' }],
        400,
        'missing_field',
        'missing required field: upstream at proxy 2',
      ],
      ['PATCH', '/proxies/app/toxics/nope', { toxicity: 0.5 }, 404, 'toxic_not_found', /no toxic named nope/],
      ['PUT', '/proxies', {}, 405, 'method_not_allowed', /allowed: GET, POST/],
      ['PUT', '/proxies/app', {}, 405, 'method_not_allowed', /allowed: GET, POST, PATCH, DELETE/],
      ['GET', '/nowhere', undefined, 404, 'not_found', 'no route GET /nowhere'],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const res = await call(method, path, body);
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(res.json).toMatchObject({ status, code });
      expect((res.json as { error: string }).error).toMatch(message);
    }
    await call('POST', '/proxies/app/toxics', { type: 'latency' });
    expect(await call('POST', '/proxies/app/toxics', { type: 'latency' })).toMatchObject({
      status: 409,
      json: errorOf('toxic_exists'),
    });
  });

  it('refuses a non-loopback host unless allowRemote', async () => {
    await expect(startControlApi(server, { host: '0.0.0.0' })).rejects.toThrow(/refusing/);
  });
});

describe('ToxicProxyClient', () => {
  it('drives every operation and throws typed errors', async () => {
    const client = new ToxicProxyClient(`${url}/`);
    expect(await client.version()).toMatch(/\d/);
    const info = await client.createProxy({ name: 'app', listen: '127.0.0.1:0', upstream: upstream.address });
    expect(await client.proxies()).toEqual([info]);
    expect(await client.proxy('app')).toEqual(info);
    const toxic = await client.addToxic('app', {
      type: 'slow_close',
      stream: 'upstream',
      attributes: { delay: 10 },
    });
    expect(toxic.name).toBe('slow_close_upstream');
    expect(await client.toxics('app')).toEqual([toxic]);
    expect(await client.removeToxic('app', 'slow_close_upstream')).toBe(true);
    expect(await client.removeToxic('app', 'slow_close_upstream')).toBe(false);
    expect((await client.setEnabled('app', false)).enabled).toBe(false);
    await client.reset();
    expect((await client.proxy('app')).enabled).toBe(true);
    const err = await client
      .addToxic('app', { type: 'latency', attributes: { jitter: 'x' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ToxicProxyClientError);
    expect(err).toMatchObject({
      status: 400,
      code: 'invalid_toxic',
      message: 'latency.jitter: must be an integer >= 0 (got "x")',
    });
    await client.deleteProxy('app');
    await expect(client.proxy('app')).rejects.toMatchObject({ status: 404, code: 'proxy_not_found' });
    const unreachable = new ToxicProxyClient('http://127.0.0.1:1', { timeoutMs: 2000 });
    await expect(unreachable.proxies()).rejects.toMatchObject({ status: 0, code: 'unreachable' });
  });
});
