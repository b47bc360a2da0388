import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Balancer, normalizeConfig } from '../../balancer/index.ts';
import { refusingPort } from '../fixtures/ports.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startUpstream(
  name: string,
  handler?: Handler,
): Promise<{ url: string; server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    res.setHeader('x-backend-instance', name);
    if (handler) return handler(req, res);
    res.end(JSON.stringify({ instance: name }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, server, port };
}

async function startBalancer(
  pool: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<Balancer> {
  const b = await Balancer.start(
    normalizeConfig({
      listen: '127.0.0.1:0',
      admin: { listen: '127.0.0.1:0' },
      pools: { web: pool },
      ...extra,
    }),
  );
  cleanups.push(() => b.stop({ deadlineMs: 500 }));
  return b;
}

/** A pool of `flaky` (answered by `handler`) and `good`, round-robin, breaker off, plus `pool`. */
async function startFlakyAndGood(handler: Handler, pool: Record<string, unknown>): Promise<Balancer> {
  const flaky = await startUpstream('flaky', handler);
  const good = await startUpstream('good');
  return startBalancer({
    algorithm: 'round-robin',
    servers: [
      { name: 'flaky', url: flaky.url },
      { name: 'good', url: good.url },
    ],
    breaker: { enabled: false },
    ...pool,
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, options: http.RequestOptions & { body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', () => {});
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('response aborted'), { code: 'ABORTED' }));
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the request path', () => {
  it('relays the final response after an informational one (103 Early Hints)', async () => {
    const a = await startUpstream('a', (_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      setTimeout(() => res.end('final'), 20);
    });
    const b = await startBalancer({ servers: [{ name: 'a', url: a.url }] });
    const reply = await request(`${b.url}/`);
    expect([reply.status, reply.body, reply.headers['x-served-by']]).toEqual([200, 'final', 'a']);
  });

  it('adds X-Forwarded-*, X-Real-IP, a request id; strips hop-by-hop; names the server', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const a = await startUpstream('a', (req, res) => {
      seen = req.headers;
      res.setHeader('keep-alive', 'timeout=99');
      res.setHeader('x-custom', 'kept');
      res.end('ok');
    });
    const b = await startBalancer({ servers: [{ name: 'a', url: a.url }] });
    const reply = await request(`${b.url}/p?q=1`, {
      headers: {
        host: 'shop.test',
        'x-forwarded-for': '203.0.113.9',
        'proxy-connection': 'x',
        te: 'trailers',
        'x-drop': '1',
        connection: 'x-drop',
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-served-by']).toBe('a');
    expect(reply.headers['x-custom']).toBe('kept');
    expect(reply.headers['keep-alive']).not.toBe('timeout=99');
    expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('shop.test');
    expect(seen.host).toBe('shop.test');
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen['proxy-connection']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['x-drop']).toBeUndefined();
  });

  it('retries a POST refused by a dead server on another server, body intact', async () => {
    const bodies: string[] = [];
    const live = await startUpstream('live', (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(body);
        res.end('created');
      });
    });
    const dead = await refusingPort();
    const b = await startBalancer({
      algorithm: 'round-robin',
      servers: [
        { name: 'dead', url: `http://127.0.0.1:${dead}` },
        { name: 'live', url: live.url },
      ],
      retries: 1,
      outlier: { consecutiveGatewayFailures: 0 },
    });
    for (let i = 0; i < 4; i++) {
      const reply = await request(`${b.url}/orders`, { method: 'POST', body: `{"n":${i}}` });
      expect(reply.status).toBe(200);
      expect(reply.headers['x-served-by']).toBe('live');
    }
    expect(bodies).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}']);
    // Round-robin offers the dead server first every time (ejection is off here): 4 refusals, 4 retries.
    expect(b.pool('web').byName('dead').counters.failures).toBe(4);
    expect(b.pool('web').byName('live').counters.retries).toBe(4);
  });

  it('does not replay a POST after the backend took it and hung; a GET is retried', async () => {
    let hits = 0;
    const hang = await startUpstream('hang', () => {
      hits++; // never answers
    });
    const ok = await startUpstream('ok');
    const b = await startBalancer(
      {
        algorithm: 'round-robin',
        servers: [
          { name: 'hang', url: hang.url },
          { name: 'ok', url: ok.url },
        ],
        retries: 1,
      },
      { timeouts: { responseHeaders: '300ms' } },
    );
    const post = await request(`${b.url}/orders`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(504);
    expect(JSON.parse(post.body).error).toMatchObject({ code: 'upstream_header_timeout', tried: ['hang'] });
    expect(post.headers['x-faultline-error']).toBe('upstream_header_timeout');
    const get = await request(`${b.url}/`);
    expect(get.status).toBe(200);
    expect(get.headers['x-served-by']).toBe('ok');
    expect(hits).toBeGreaterThanOrEqual(1);
  });

  it('never replays a request once response bytes reached the client', async () => {
    let hits = 0;
    const dies = await startUpstream('dies', (_req, res) => {
      hits++;
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const ok = await startUpstream('ok');
    const b = await startBalancer({
      algorithm: 'round-robin',
      servers: [
        { name: 'dies', url: dies.url },
        { name: 'ok', url: ok.url },
      ],
      retries: 2,
    });
    const outcome = await request(`${b.url}/`).then(
      (r) => `answered ${r.status}`,
      (err: NodeJS.ErrnoException) => `aborted ${err.code ?? err.message}`,
    );
    expect(outcome).toMatch(/^aborted/);
    expect(hits).toBe(1);
    expect(b.pool('web').byName('ok').counters.requests).toBe(0);
  });

  it('cuts a response whose backend stalls longer than the idle timeout', async () => {
    const stalls = await startUpstream('stalls', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('first bytes');
    });
    const b = await startBalancer(
      { servers: [{ name: 'stalls', url: stalls.url }] },
      { timeouts: { idle: '300ms' } },
    );
    const started = performance.now();
    const outcome = await request(`${b.url}/`).then(
      () => 'completed',
      () => 'aborted',
    );
    const elapsed = performance.now() - started;
    expect(outcome).toBe('aborted');
    expect(elapsed).toBeGreaterThan(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it('answers 502 / 503 / 404 with JSON bodies that say what happened', async () => {
    const dead = await refusingPort();
    const b = await startBalancer(
      { servers: [{ name: 'dead', url: `http://127.0.0.1:${dead}` }], retries: 0 },
      {
        routes: [{ host: '*', path: '/app', pool: 'web' }],
      },
    );
    const bad = await request(`${b.url}/app`);
    expect(bad.status).toBe(502);
    expect(JSON.parse(bad.body).error).toMatchObject({
      code: 'upstream_connect_failed',
      pool: 'web',
      tried: ['dead'],
    });
    const none = await request(`${b.url}/other`);
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body).error.code).toBe('no_route');
    b.pool('web').disable('dead');
    const unavailable = await request(`${b.url}/app`);
    expect(unavailable.status).toBe(503);
    expect(JSON.parse(unavailable.body).error.code).toBe('no_healthy_server');
    expect(unavailable.headers['retry-after']).toBe('1');
  });

  it('ejects a server after consecutive 5xx and brings it back after the cool-down', async () => {
    let failing = true;
    const b = await startFlakyAndGood(
      (_req, res) => {
        res.statusCode = failing ? 500 : 200;
        res.end();
      },
      { outlier: { consecutive5xx: 3, baseEjectionTime: '400ms' } },
    );
    const events: string[] = [];
    b.events.subscribe((e) => events.push(e.kind));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await request(`${b.url}/`)).status);
    expect(statuses.filter((s) => s === 500).length).toBe(3);
    expect(events).toContain('ejected');
    failing = false;
    await new Promise((r) => setTimeout(r, 600));
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) served.add(String((await request(`${b.url}/`)).headers['x-served-by']));
    expect(served).toEqual(new Set(['flaky', 'good']));
    expect(events).toContain('ejection-ended');
  });

  it('does not hold failures of tries begun before a server came back against it', async () => {
    let healthy = true;
    let openGate = () => {};
    const gate = new Promise<void>((r) => {
      openGate = r;
    });
    const b = await startFlakyAndGood(
      (req, res) => {
        if (req.url === '/health') {
          res.statusCode = healthy ? 200 : 503;
          res.end();
          return;
        }
        void gate.then(() => {
          res.statusCode = 500;
          res.end();
        });
      },
      {
        health: { type: 'http', path: '/health', interval: '50ms', timeout: '50ms', rise: 1, fall: 1 },
        outlier: { consecutive5xx: 2, baseEjectionTime: '10s' },
        retries: 0,
      },
    );
    const events: string[] = [];
    b.events.subscribe((e) => events.push(`${e.kind} ${'server' in e ? e.server : ''}`));
    const until = async (line: string) => {
      for (let i = 0; i < 200 && !events.includes(line); i++) await new Promise((r) => setTimeout(r, 10));
      expect(events).toContain(line);
    };
    // Two tries land on flaky and hang there while it goes down and comes back (POSTs: a GET
    // would move to good the moment flaky left rotation).
    const hanging = [0, 1, 2, 3].map(() => request(`${b.url}/`, { method: 'POST', body: 'x' }));
    await new Promise((r) => setTimeout(r, 100));
    healthy = false;
    await until('server-down flaky');
    healthy = true;
    await until('server-up flaky');
    openGate();
    const statuses = (await Promise.all(hanging)).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 500, 500]);
    expect(events).not.toContain('ejected flaky');
    // Failures of tries begun after it came back do count.
    for (let i = 0; i < 4; i++) await request(`${b.url}/`);
    await until('ejected flaky');
  });

  it('opens the breaker on the failure ratio and closes it after a good trial', async () => {
    let n = 0;
    let healthy = false;
    const half = await startUpstream('half', (_req, res) => {
      res.statusCode = healthy || n++ % 2 === 0 ? 200 : 503;
      res.end();
    });
    const other = await startUpstream('other');
    const b = await startBalancer({
      algorithm: 'round-robin',
      servers: [
        { name: 'half', url: half.url },
        { name: 'other', url: other.url },
      ],
      outlier: { consecutive5xx: 0, consecutiveGatewayFailures: 0 },
      breaker: { failureRatio: 0.4, minRequests: 10, window: '10s', cooldown: '300ms' },
    });
    const kinds: string[] = [];
    b.events.subscribe((e) => kinds.push(e.kind));
    for (let i = 0; i < 40; i++) await request(`${b.url}/`);
    expect(kinds).toContain('breaker-open');
    healthy = true;
    await new Promise((r) => setTimeout(r, 400));
    for (let i = 0; i < 4; i++) await request(`${b.url}/`);
    expect(kinds).toContain('breaker-half-open');
    expect(kinds.at(-1)).toBe('breaker-close');
  });

  it('caps connections per server and queues the rest, answering 503 when the queue is full', async () => {
    let concurrent = 0;
    let peak = 0;
    const slow = await startUpstream('slow', (_req, res) => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      setTimeout(() => {
        concurrent--;
        res.end('done');
      }, 150);
    });
    const b = await startBalancer({
      servers: [{ name: 'slow', url: slow.url, maxConnections: 2 }],
      queue: { size: 3, timeout: '2s' },
    });
    const replies = await Promise.all(Array.from({ length: 8 }, () => request(`${b.url}/`)));
    expect(peak).toBe(2);
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBe(5); // 2 running + 3 queued
    expect(statuses.filter((s) => s === 503).length).toBe(3);
    const full = replies.find((r) => r.status === 503);
    expect(JSON.parse(full?.body ?? '{}').error.code).toBe('queue_full');
  });

  it('routes by host and path prefix to different pools', async () => {
    const api = await startUpstream('api');
    const web = await startUpstream('web');
    const b = await Balancer.start(
      normalizeConfig({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        pools: {
          api: { servers: [{ name: 'api1', url: api.url }] },
          web: { servers: [{ name: 'web1', url: web.url }] },
        },
        routes: [
          { host: '*', path: '/', pool: 'web' },
          { host: 'api.test', path: '/v1', pool: 'api' },
        ],
      }),
    );
    cleanups.push(() => b.stop({ deadlineMs: 200 }));
    expect((await request(`${b.url}/v1/x`, { headers: { host: 'api.test' } })).headers['x-served-by']).toBe(
      'api1',
    );
    expect((await request(`${b.url}/v1/x`, { headers: { host: 'www.test' } })).headers['x-served-by']).toBe(
      'web1',
    );
    expect((await request(`${b.url}/`, { headers: { host: 'api.test' } })).headers['x-served-by']).toBe(
      'web1',
    );
  });

  it('relays WebSocket upgrades', async () => {
    const a = await startUpstream('ws');
    const wss = new WebSocketServer({ server: a.server });
    wss.on('connection', (socket) => socket.on('message', (m) => socket.send(`echo:${m}`)));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const b = await startBalancer({ servers: [{ name: 'ws', url: a.url }] });
    const client = new WebSocket(`${b.url.replace('http', 'ws')}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      client.on('open', () => client.send('hi'));
      client.on('message', (m) => resolve(String(m)));
      client.on('error', reject);
    });
    expect(reply).toBe('echo:hi');
    expect(b.pool('web').byName('ws').inflight).toBe(1);
    client.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(b.pool('web').byName('ws').inflight).toBe(0);
  });
});
