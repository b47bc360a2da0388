import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../../test/fixtures/http.ts';
import { type AdminStack, startAdminStack } from './admin.fixture.ts';
import { AdminClient } from './client.ts';

// Real admin API on port 0; node:http lets a test send any Host and Origin a browser would.
let stack: AdminStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(token?: string): Promise<AdminStack> {
  stack = await startAdminStack(token ? { token } : {});
  return stack;
}

const port = (s: AdminStack) => new URL(s.url).port;
const DRAIN = '/pools/web/servers/app1/drain';

async function send(
  s: AdminStack,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const res = await request(s.url + path, init);
  return {
    status: res.status,
    code: res.body ? res.json<{ error?: { code: string } }>().error?.code : undefined,
    res,
  };
}

describe('admin API without a token: only loopback callers that are not browsers', () => {
  it('refuses any request carrying an Origin header, on every route', async () => {
    const s = await start();
    for (const path of ['/healthz', '/pools', '/events', '/metrics']) {
      for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${port(s)}`]) {
        const res = await send(s, path, { headers: { origin } });
        expect({ path, origin, status: res.status, code: res.code }).toEqual({
          path,
          origin,
          status: 403,
          code: 'origin_refused',
        });
      }
    }
    const drain = await send(s, DRAIN, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
    });
    expect(drain.status).toBe(403);
    expect(drain.res.json<{ error: { message: string } }>().error.message).toMatch(/Origin header/);
    expect(s.bus.since(0)).toEqual([]);
  });

  it('refuses a Host that is not loopback (DNS rebinding), naming the rule', async () => {
    const s = await start();
    for (const host of [
      'evil.example',
      `evil.example:${port(s)}`,
      `127.0.0.1.evil.example:${port(s)}`,
      `10.0.0.1:${port(s)}`,
      `[fe80::1]:${port(s)}`,
    ]) {
      const res = await send(s, '/pools', { headers: { host } });
      expect({ host, status: res.status, code: res.code }).toEqual({
        host,
        status: 403,
        code: 'host_refused',
      });
      expect(res.res.json<{ error: { message: string } }>().error.message).toMatch(/loopback host/);
    }
    const drain = await send(s, DRAIN, {
      method: 'POST',
      headers: { host: 'evil.example', 'content-type': 'application/json' },
    });
    expect(drain.status).toBe(403);
    expect(s.bus.since(0)).toEqual([]);
  });

  it('answers loopback Hosts: 127.0.0.1, localhost and [::1], with or without a port', async () => {
    const s = await start();
    for (const host of [
      `127.0.0.1:${port(s)}`,
      `localhost:${port(s)}`,
      `[::1]:${port(s)}`,
      `LOCALHOST:${port(s)}`,
      '127.0.0.1',
      'localhost',
      '[::1]',
    ]) {
      expect({ host, status: (await send(s, '/pools', { headers: { host } })).status }).toEqual({
        host,
        status: 200,
      });
    }
  });

  it('takes state changes only as JSON (415 otherwise); an empty JSON body is fine', async () => {
    const s = await start();
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const res = await send(s, DRAIN, { method: 'POST', headers, body: type ? 'a=b' : '' });
      expect({ type, status: res.status, code: res.code }).toEqual({
        type,
        status: 415,
        code: 'unsupported_media_type',
      });
    }
    const form = await send(s, '/pools/web/servers/app1/weight', {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: '{"weight": 5}',
    });
    expect(form.status).toBe(415);
    expect(s.bus.since(0)).toEqual([]);

    const drained = await send(s, DRAIN, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(drained.status).toBe(200);
    expect(drained.res.json()).toMatchObject({ name: 'app1', adminState: 'draining' });
    const weight = await send(s, '/pools/web/servers/app2/weight', {
      method: 'PUT',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"weight": 5}',
    });
    expect(weight.status).toBe(200);
    expect(await s.client.enable('web', 'app1')).toMatchObject({ adminState: 'enabled' });
  });

  it('keeps the typed client and the event stream working', async () => {
    const s = await start();
    const controller = new AbortController();
    const first = s.client.waitForEvent((e) => e.kind === 'server-disabled', {
      timeoutMs: 5_000,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(await s.client.disable('web', 'app2')).toMatchObject({ adminState: 'disabled' });
    expect(await first).toMatchObject({ kind: 'server-disabled', server: 'app2' });
    expect(await s.client.setWeight('web', 'app1', 2)).toMatchObject({ weight: 2 });
    const viaLocalhost = new AdminClient(s.url.replace('127.0.0.1', 'localhost'));
    expect((await viaLocalhost.pools()).length).toBe(2);
  });
});

describe('admin API with a token: the token proves the caller; browsers still refused', () => {
  const TOKEN = 'guard-test-token';
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('accepts any Host with the token (a container calling it by service name)', async () => {
    const s = await start(TOKEN);
    expect((await send(s, '/pools', { headers: { ...auth, host: 'balancer:9090' } })).status).toBe(200);
    const noToken = await send(s, '/pools', { headers: { host: 'balancer:9090' } });
    expect({ status: noToken.status, code: noToken.code }).toEqual({ status: 401, code: 'unauthorized' });
    expect((await send(s, '/healthz', { headers: { host: 'balancer:9090' } })).status).toBe(200);
  });

  it('still refuses an Origin, even with a valid token', async () => {
    const s = await start(TOKEN);
    const res = await send(s, DRAIN, {
      method: 'POST',
      headers: { ...auth, origin: 'http://evil.example', 'content-type': 'application/json' },
    });
    expect({ status: res.status, code: res.code }).toEqual({ status: 403, code: 'origin_refused' });
    expect(s.bus.since(0)).toEqual([]);
  });

  it('still takes state changes only as JSON; the typed client sends it', async () => {
    const s = await start(TOKEN);
    const plain = await send(s, DRAIN, { method: 'POST', headers: auth });
    expect({ status: plain.status, code: plain.code }).toEqual({
      status: 415,
      code: 'unsupported_media_type',
    });
    expect(s.bus.since(0)).toEqual([]);
    expect(await s.client.drain('web', 'app1')).toMatchObject({ adminState: 'draining' });
  });
});
