import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Balancer, normalizeConfig } from '../../balancer/index.ts';
import { refusingPort } from '../fixtures/ports.ts';
import { type Echo, type RawReply, rawExchange, startEchoBackend } from '../fixtures/raw-http.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(config: Record<string, unknown>): Promise<Balancer> {
  const balancer = await Balancer.start(
    normalizeConfig({ listen: '127.0.0.1:0', admin: { listen: '127.0.0.1:0' }, ...config }),
  );
  cleanups.push(() => balancer.stop({ deadlineMs: 500 }));
  return balancer;
}

async function startEchoBalancer(extra: Record<string, unknown> = {}) {
  const echo = await startEchoBackend();
  cleanups.push(() => echo.close());
  const balancer = await start({
    pools: { web: { servers: [{ name: 'echo', url: echo.url }], health: false } },
    ...extra,
  });
  return { echo, balancer, port: balancer.address.port };
}

const errorCode = (reply: RawReply) => (JSON.parse(reply.body) as { error: { code: string } }).error.code;

/** Requests Node's parser must refuse; the backend must never see them (or what they smuggle). */
const MALFORMED: [string, string][] = [
  [
    'Content-Length with Transfer-Encoding (CL.TE smuggling)',
    'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n',
  ],
  [
    'Transfer-Encoding before Content-Length (TE.CL smuggling)',
    'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n',
  ],
  [
    'a Transfer-Encoding that does not end in chunked',
    'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  ],
  [
    'two different Content-Lengths',
    'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
  ],
  ['an obs-folded header', 'GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n'],
  [
    'a chunk size that is not hex',
    'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  ],
  [
    'a chunk size that overflows',
    'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n',
  ],
  [
    'a negative chunk size',
    'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n',
  ],
  ['a space in the request target', 'GET /a b HTTP/1.1\r\nHost: t\r\n\r\n'],
];

describe('malformed and hostile requests', () => {
  it.each(MALFORMED)('%s: 400 with a JSON body, nothing forwarded', async (_name, bytes) => {
    const { port, echo } = await startEchoBalancer();
    const reply = await rawExchange(port, bytes);
    expect(reply.status, reply.text).toBe(400);
    expect(errorCode(reply)).toBe('bad_request');
    expect(reply.headers.connection).toBe('close');
    expect(JSON.parse(reply.body).error.requestId).toBe(reply.headers['x-request-id']);
    await new Promise((r) => setTimeout(r, 50));
    expect(echo.seen.map((s) => s.url)).toEqual([]);
  });

  it('answers 431 to a 64 KiB header, 200 to one within maxHeaderSize', async () => {
    const { port } = await startEchoBalancer();
    const big = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(big.status).toBe(431);
    expect(errorCode(big)).toBe('headers_too_large');
    const fits = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Big: ${'a'.repeat(8 * 1024)}\r\n\r\n`,
    );
    expect(fits.status).toBe(200);
  });

  it('never lets Connection strip Host, Content-Length or Transfer-Encoding', async () => {
    const { port } = await startEchoBalancer();
    const byLength = await rawExchange(
      port,
      'POST /c HTTP/1.1\r\nHost: shop.test\r\nConnection: host, content-length, close\r\nContent-Length: 5\r\n\r\nhello',
    );
    const seen = JSON.parse(byLength.body) as Echo;
    expect(seen.headers.host).toBe('shop.test');
    expect(seen.length).toBe(5);
    const byChunks = await rawExchange(
      port,
      'POST /c HTTP/1.1\r\nHost: shop.test\r\nConnection: transfer-encoding, close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    expect((JSON.parse(byChunks.body) as Echo).length).toBe(5);
  });

  it('error bodies name a code and a request id, never an address or errno text', async () => {
    const dead = await refusingPort();
    const balancer = await start({
      pools: {
        web: { servers: [{ name: 'dead', url: `http://127.0.0.1:${dead}` }], retries: 0, health: false },
      },
      routes: [{ host: '*', path: '/app', pool: 'web' }],
    });
    const logged: string[] = [];
    balancer.requestErrors.subscribe((e) => logged.push(`${e.code} ${e.detail ?? ''}`));
    const port = balancer.address.port;
    const replies = [
      await rawExchange(port, 'GET /app HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'),
      await rawExchange(
        port,
        'GET /elsewhere HTTP/1.1\r\nHost: secret-host.test\r\nConnection: close\r\n\r\n',
      ),
      await rawExchange(port, 'GET /app/%2fsecret HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'),
      await rawExchange(port, 'GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n'),
    ];
    expect(replies.map((r) => r.status)).toEqual([502, 404, 400, 400]);
    for (const reply of replies) {
      expect(reply.body).not.toMatch(new RegExp(`127\\.0\\.0\\.1|:${dead}\\b|ECONN|errno|secret|HPE_`, 'i'));
      expect(reply.headers['content-type']).toContain('application/json');
    }
    expect(JSON.parse(replies[0]?.body ?? '').error).toMatchObject({
      code: 'upstream_connect_failed',
      pool: 'web',
      tried: ['dead'],
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    // What the client is not told is in the log.
    expect(logged[0]).toContain(`127.0.0.1:${dead}`);
    expect(logged[0]).toContain('ECONNREFUSED');
    expect(logged[1]).toContain('secret-host.test');
    expect(logged[3]).toMatch(/^bad_request HPE_/);
  });
});

describe('slow and greedy clients', () => {
  it('answers 408 to a slowloris client within the header timeout while others are served', async () => {
    const { port } = await startEchoBalancer({ timeouts: { clientHeaders: '600ms', clientRequest: '2s' } });
    const trickle: (string | number)[] = ['GET / HTTP/1.1\r\nHost: t\r\n'];
    for (let i = 0; i < 60; i++) trickle.push(100, 'X');
    const started = performance.now();
    const slow = Array.from({ length: 20 }, () =>
      rawExchange(port, trickle, { waitMs: 5000 }).then((reply) => ({
        reply,
        ms: performance.now() - started,
      })),
    );
    const normal: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = performance.now();
      const reply = await rawExchange(port, 'GET /n HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      expect(reply.status).toBe(200);
      normal.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const { reply, ms } of await Promise.all(slow)) {
      expect(reply.status).toBe(408);
      expect(errorCode(reply)).toBe('request_timeout');
      expect(reply.headers.connection).toBe('close');
      expect(ms).toBeGreaterThan(550);
      expect(ms).toBeLessThan(2000);
    }
    expect(Math.max(...normal)).toBeLessThan(1000);
  });

  it('answers 408 and closes when a body trickles past the request timeout', async () => {
    const { port, echo } = await startEchoBalancer({
      timeouts: { clientHeaders: '300ms', clientRequest: '800ms' },
    });
    const parts: (string | number)[] = ['POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n'];
    for (let i = 0; i < 30; i++) parts.push(100, 'x');
    const started = performance.now();
    const reply = await rawExchange(port, parts, { waitMs: 5000 });
    expect(reply.status).toBe(408);
    expect(reply.headers.connection).toBe('close');
    expect(performance.now() - started).toBeLessThan(2500);
    expect(echo.seen.length).toBe(0);
  });

  it('closes connections beyond limits.maxConnections at once and serves again below it', async () => {
    const { port } = await startEchoBalancer({ limits: { maxConnections: 3 } });
    const idle = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const refused = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', {
      waitMs: 2000,
    });
    expect(refused.status).toBe(0);
    expect(refused.closed).toBe(true);
    idle[0]?.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const served = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(served.status).toBe(200);
    for (const s of idle) s.destroy();
  });

  it('gives back every file descriptor when clients abort against a slow backend', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const { port, balancer, echo } = await (async () => {
      const slow = await startEchoBackend({ delayMs: 3000 });
      cleanups.push(() => slow.close());
      const b = await start({
        pools: { web: { servers: [{ name: 'slow', url: slow.url }], health: false } },
      });
      return { port: b.address.port, balancer: b, echo: slow };
    })();
    const baseline = fds();
    const aborted = Array.from({ length: 40 }, () =>
      rawExchange(port, 'POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello', { waitMs: 150 }),
    );
    for (const reply of await Promise.all(aborted)) expect(reply.status).toBe(0);
    expect(echo.pending()).toBeGreaterThan(0);
    let now = fds();
    for (let i = 0; i < 100 && now > baseline; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = fds();
    }
    expect(now).toBeLessThanOrEqual(baseline);
    expect(balancer.pool('web').byName('slow').inflight).toBe(0);
    expect(balancer.inflightRequests).toBe(0);
    expect(echo.pending()).toBe(0);
  });
});
