import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  closeInProcessBackends,
  getStats,
  releaseHung,
  request,
  resetBackend,
  setKnobs,
  startInProcessBackend,
} from '../test/fixtures/http.ts';
import { DEFAULT_KNOBS } from './knobs.ts';

afterEach(closeInProcessBackends);

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** How long the backend gets to reach a state a test waits for, checked every 50 ms. */
const SETTLE = { timeout: 5000, interval: 50 };

describe('sample backend identity and routes', () => {
  it('names the instance in a header on every route and in the body', async () => {
    const { url } = await startInProcessBackend('app1');
    const calls = [
      request(`${url}/`),
      request(`${url}/health`),
      request(`${url}/orders`, { method: 'POST', json: { item: 'book' } }),
      request(`${url}/any/where?x=1`, { method: 'DELETE' }),
      request(`${url}/_faultline/knobs`),
      request(`${url}/_faultline/nope`),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.headers['x-backend-instance']).toBe('app1');
      if (!res.headers['content-type']?.includes('json')) throw new Error(res.body);
    }
    const root = (await calls[0])?.json();
    expect(root).toMatchObject({ instance: 'app1', pid: process.pid, method: 'GET', path: '/' });
    const other = (await calls[3])?.json();
    expect(other).toMatchObject({
      instance: 'app1',
      method: 'DELETE',
      path: '/any/where',
      query: { x: '1' },
    });
  });

  it('echoes method, path and body length for any route', async () => {
    const { url } = await startInProcessBackend('app1');
    const res = await request(`${url}/upload`, { method: 'PUT', body: 'x'.repeat(1234) });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ instance: 'app1', method: 'PUT', path: '/upload', bodyLength: 1234 });
  });

  it('matches routes as Express did: any case, one trailing slash, query strings parsed', async () => {
    const { url } = await startInProcessBackend('app1');
    for (const path of ['/HEALTH', '/health/', '/health?verbose=1']) {
      const res = await request(`${url}${path}`);
      expect([path, res.json()]).toEqual([path, { status: 'ok', instance: 'app1' }]);
    }
    const head = await request(`${url}/health`, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
    const echo = await request(`${url}/a/b?tag=x&tag=y&n=1&empty`);
    expect(echo.json()).toMatchObject({ path: '/a/b', query: { tag: ['x', 'y'], n: '1', empty: '' } });
    const control = await request(`${url}/_FAULTLINE/knobs`);
    expect(control.json()).toEqual(DEFAULT_KNOBS);
    const lookalike = await request(`${url}/_faultlinex`);
    expect(lookalike.json()).toMatchObject({ path: '/_faultlinex' });
    const counted = await getStats(url);
    expect(counted).toMatchObject({ healthChecks: 4, requests: 2 });
  });

  it('takes an absolute-form request target and answers 500 naming itself when the body breaks', async () => {
    const backend = await startInProcessBackend('app1');
    const absolute = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: new URL(backend.url).port,
        path: 'http://example.test/x?y=1',
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(absolute)).toMatchObject({ path: '/x', query: { y: '1' } });

    const broken = http.request(`${backend.url}/orders`, {
      method: 'POST',
      headers: { 'content-length': '100' },
    });
    broken.on('error', () => {});
    broken.write('x'.repeat(10));
    await vi.waitFor(() => expect(backend.stats.snapshot().inflight).toBe(1), SETTLE);
    broken.destroy();
    await vi.waitFor(
      () => expect(backend.stats.snapshot()).toMatchObject({ inflight: 0, aborted: 1 }),
      SETTLE,
    );
    expect((await request(`${backend.url}/`)).status, 'the backend still answers').toBe(200);
  });

  it('POST /orders answers 201 with an order id', async () => {
    const { url } = await startInProcessBackend('app2');
    const res = await request(`${url}/orders`, { method: 'POST', json: { item: 'book', qty: 2 } });
    expect(res.status).toBe(201);
    const body = res.json<{ orderId: string; instance: string }>();
    expect(body.instance).toBe('app2');
    expect(body.orderId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /health answers 200 ok, or the healthStatus knob while / still works', async () => {
    const { url } = await startInProcessBackend('app1');
    const ok = await request(`${url}/health`);
    expect([ok.status, ok.json()]).toEqual([200, { status: 'ok', instance: 'app1' }]);
    await setKnobs(url, { healthStatus: 503 });
    const failing = await request(`${url}/health`);
    expect([failing.status, failing.json()]).toEqual([503, { status: 'failing', instance: 'app1' }]);
    expect((await request(`${url}/`)).status).toBe(200);
  });
});

describe('knobs through the control API', () => {
  it('latencyMs delays answers but not control routes', async () => {
    const { url } = await startInProcessBackend('app1');
    expect(await setKnobs(url, { latencyMs: 200 })).toEqual({ ...DEFAULT_KNOBS, latencyMs: 200 });
    const slow = await timed(() => request(`${url}/`));
    expect(slow.value.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(195);
    expect(slow.ms).toBeLessThan(3000);
    await setKnobs(url, { latencyMs: 5000 });
    const control = await timed(() => request(`${url}/_faultline/stats`));
    expect(control.value.status).toBe(200);
    expect(control.ms).toBeLessThan(1500);
  });

  it('latencyMs given at start applies from the first request', async () => {
    const { url } = await startInProcessBackend('app1', { latencyMs: 150 });
    const slow = await timed(() => request(`${url}/health`));
    expect(slow.ms).toBeGreaterThanOrEqual(145);
  });

  it('errorRate 1 fails every request with errorStatus, except /health and control', async () => {
    const { url } = await startInProcessBackend('app1');
    await setKnobs(url, { errorRate: 1, errorStatus: 503 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(`${url}/`)));
    expect(new Set(answers.map((r) => r.status))).toEqual(new Set([503]));
    expect(answers[0]?.json()).toEqual({ error: 'injected_error', status: 503, instance: 'app1' });
    expect(answers[0]?.headers['x-backend-instance']).toBe('app1');
    expect((await request(`${url}/health`)).status).toBe(200);
    const stats = await getStats(url);
    expect(stats.byStatus).toEqual({ '503': 20 });
  });

  it('errorRate 0.5 fails roughly half of 200 requests', async () => {
    const { url } = await startInProcessBackend('app1', { errorRate: 0.5 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, () => request(`${url}/`, { agent })));
      const failed = answers.filter((r) => r.status === 500).length;
      expect(answers.filter((r) => r.status === 200).length + failed).toBe(200);
      expect(failed).toBeGreaterThan(60);
      expect(failed).toBeLessThan(140);
    } finally {
      agent.destroy();
    }
  });

  it('hang holds requests unanswered until released, then answers them', async () => {
    const { url } = await startInProcessBackend('app1');
    await setKnobs(url, { hang: true });
    const pending = Array.from({ length: 3 }, () => request(`${url}/orders`, { method: 'POST' }));
    let settled = 0;
    for (const p of pending)
      p.then(
        () => settled++,
        () => settled++,
      );
    await vi.waitFor(async () => {
      expect((await getStats(url)).hung, 'the three requests to hang').toBe(3);
    }, SETTLE);
    await sleep(300);
    expect(settled).toBe(0);
    expect((await getStats(url)).inflight).toBe(3);
    await setKnobs(url, { hang: false });
    expect(await releaseHung(url)).toBe(3);
    const answers = await Promise.all(pending);
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(await getStats(url)).toMatchObject({ hung: 0, inflight: 0, requests: 3 });
  });

  it('rejects a bad knob with 400 naming the field, and changes nothing', async () => {
    const { url } = await startInProcessBackend('app1');
    const cases: Array<[unknown, string]> = [
      [{ errorRate: 2 }, 'errorRate'],
      [{ latencyMs: 'slow' }, 'latencyMs'],
      [{ hang: 1 }, 'hang'],
      [{ errorStatus: 204 }, 'errorStatus'],
      [{ healthStatus: 700 }, 'healthStatus'],
      [{ latency: 5 }, 'latency'],
      [[1], 'body'],
    ];
    for (const [json, field] of cases) {
      const res = await request(`${url}/_faultline/knobs`, { method: 'PUT', json });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_knob', field });
      expect(res.json<{ message: string }>().message).toContain(field);
    }
    const broken = await request(`${url}/_faultline/knobs`, {
      method: 'PUT',
      body: '{oops',
      headers: { 'content-type': 'application/json' },
    });
    expect([broken.status, broken.json().error]).toEqual([400, 'invalid_json']);
    const untyped = await request(`${url}/_faultline/knobs`, { method: 'PUT', body: '{}' });
    expect([untyped.status, untyped.json().field]).toEqual([400, 'body']);
    expect((await request(`${url}/_faultline/knobs`)).json()).toEqual(DEFAULT_KNOBS);
  });

  it('reset returns the knobs to their start values', async () => {
    const { url } = await startInProcessBackend('app1', { latencyMs: 5 });
    await setKnobs(url, { latencyMs: 50, errorRate: 1 });
    expect(await resetBackend(url)).toEqual({ knobs: { ...DEFAULT_KNOBS, latencyMs: 5 }, released: 0 });
  });
});

describe('websocket /ws', () => {
  it('greets with the instance name and echoes text and binary', async () => {
    const { url } = await startInProcessBackend('app3');
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    const upgrade = new Promise<http.IncomingMessage>((resolve) => ws.once('upgrade', resolve));
    const messages: Array<{ data: string; binary: boolean }> = [];
    ws.on('message', (data, binary) => messages.push({ data: data.toString(), binary }));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    expect((await upgrade).headers['x-backend-instance']).toBe('app3');
    ws.send('ping');
    ws.send(Buffer.from('bin'));
    await vi.waitFor(() => {
      expect(messages, 'the greeting and both echoes').toHaveLength(3);
    }, SETTLE);
    expect(JSON.parse(messages[0]?.data ?? '')).toEqual({
      event: 'hello',
      instance: 'app3',
      pid: process.pid,
    });
    expect(messages.slice(1)).toEqual([
      { data: 'ping', binary: false },
      { data: 'bin', binary: true },
    ]);
    ws.close();
  });

  it('refuses upgrades on other paths with 404', async () => {
    const { url } = await startInProcessBackend('app3');
    const ws = new WebSocket(`${url.replace('http', 'ws')}/elsewhere`);
    const status = await new Promise<number | undefined>((resolve) =>
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode)).once('error', () => resolve(-1)),
    );
    expect(status).toBe(404);
  });
});

describe('in-process close', () => {
  it('lets a slow in-flight request finish, releases hung ones, refuses new connections', async () => {
    const backend = await startInProcessBackend('app1', { latencyMs: 300 });
    const agent = new http.Agent({ keepAlive: true });
    const slow = request(`${backend.url}/`, { agent });
    await vi.waitFor(() => {
      expect(backend.stats.snapshot().inflight, 'the slow request to be in flight').toBe(1);
    }, SETTLE);
    backend.knobs.set({ hang: true, latencyMs: 0 });
    const hung = request(`${backend.url}/`);
    await vi.waitFor(() => {
      expect(backend.hung.count, 'the second request to hang').toBe(1);
    }, SETTLE);
    const closing = backend.close({ timeoutMs: 3000 });
    const [slowRes, hungRes, result] = await Promise.all([slow, hung, closing]);
    expect(slowRes.status).toBe(200);
    expect(hungRes.status).toBe(200);
    expect(result).toEqual({ graceful: true });
    await expect(request(`${backend.url}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    agent.destroy();
  });
});
