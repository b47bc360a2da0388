import { afterEach, describe, expect, it } from 'vitest';
import { Balancer, normalizeConfig } from '../../balancer/index.ts';
import { chunked, type Echo, rawExchange, sha256, startEchoBackend } from '../fixtures/raw-http.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startEchoBalancer(extra: Record<string, unknown> = {}) {
  const echo = await startEchoBackend();
  cleanups.push(() => echo.close());
  const balancer = await Balancer.start(
    normalizeConfig({
      listen: '127.0.0.1:0',
      admin: { listen: '127.0.0.1:0' },
      pools: { web: { servers: [{ name: 'echo', url: echo.url }], health: false } },
      ...extra,
    }),
  );
  cleanups.push(() => balancer.stop({ deadlineMs: 500 }));
  return { echo, balancer, port: balancer.address.port };
}

const head = (method: string, headers: string) =>
  `${method} /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\n${headers}\r\n`;

describe('request bodies reach the backend byte for byte', () => {
  it('a chunked POST arrives whole, framed by Content-Length, never both', async () => {
    const { port } = await startEchoBalancer();
    const body = Buffer.from('hello chunked world, in three pieces');
    const reply = await rawExchange(port, [
      head('POST', 'Transfer-Encoding: chunked\r\n'),
      chunked(body, 13),
    ]);
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body) as Echo;
    expect(seen.length).toBe(body.length);
    expect(seen.sha256).toBe(sha256(body));
    expect(seen.headers['content-length']).toBe(String(body.length));
    expect(seen.headers['transfer-encoding']).toBeUndefined();
  });

  it('Content-Length bodies, empty bodies and chunked DELETE keep their bytes', async () => {
    const { port } = await startEchoBalancer();
    const body = Buffer.from('{"n":1}');
    const cases: [string, string, Buffer, number][] = [
      ['PUT', `Content-Length: ${body.length}\r\n`, body, body.length],
      ['POST', 'Content-Length: 0\r\n', Buffer.alloc(0), 0],
      ['POST', '', Buffer.alloc(0), 0],
      ['DELETE', 'Transfer-Encoding: chunked\r\n', chunked(body, 3), body.length],
      ['GET', 'Transfer-Encoding: chunked\r\n', chunked(body, 4), body.length],
    ];
    for (const [method, headers, bytes, length] of cases) {
      const reply = await rawExchange(port, [head(method, headers), bytes]);
      expect(reply.status, `${method} ${headers}`).toBe(200);
      const seen = JSON.parse(reply.body) as Echo;
      expect(seen.length, `${method} ${headers}`).toBe(length);
      if (length) expect(seen.sha256).toBe(sha256(body));
    }
  });

  it('streams a chunked body beyond the default maxBodySize (1 MiB) through, whole', async () => {
    const { port, echo } = await startEchoBalancer();
    const body = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    const reply = await rawExchange(port, [
      head('POST', 'Transfer-Encoding: chunked\r\n'),
      chunked(body, 40_000),
    ]);
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body) as Echo;
    expect(seen.length).toBe(body.length);
    expect(seen.sha256).toBe(sha256(body));
    expect(seen.headers['transfer-encoding']).toBe('chunked');
    expect(seen.headers['content-length']).toBeUndefined();
    // http-proxy-3 would turn a DELETE without Content-Length into an empty one.
    const deleted = await rawExchange(port, [
      head('DELETE', 'Transfer-Encoding: chunked\r\n'),
      chunked(body.subarray(0, 200_000), 50_000),
    ]);
    expect((JSON.parse(deleted.body) as Echo).sha256).toBe(sha256(body.subarray(0, 200_000)));
    expect(echo.seen.length).toBe(2);
  });

  it('a body that breaks off mid-stream reaches no backend whole and does not count against it', async () => {
    const { port, echo, balancer } = await startEchoBalancer({ limits: { maxBodySize: '64KiB' } });
    const reply = await rawExchange(port, [
      head('POST', 'Transfer-Encoding: chunked\r\n'),
      chunked(Buffer.alloc(100 * 1024, 0x63), 10_000).subarray(0, -5), // no last chunk
      100,
      'zz\r\n',
    ]);
    expect(reply.status).toBe(400);
    await new Promise((r) => setTimeout(r, 100));
    expect(echo.seen).toEqual([]); // the backend never saw a complete request
    expect(echo.pending()).toBe(0);
    const server = balancer.pool('web').byName('echo');
    expect(server.counters.failures).toBe(0);
    expect(server.inflight).toBe(0);
  });

  it('answers 413 for a body beyond maxBodySize when oversizedBody is reject', async () => {
    const { port, echo } = await startEchoBalancer({
      limits: { maxBodySize: '64KiB', oversizedBody: 'reject' },
    });
    const big = Buffer.alloc(200 * 1024, 0x61);
    const byLength = await rawExchange(port, [head('POST', `Content-Length: ${big.length}\r\n`), big]);
    expect(byLength.status).toBe(413);
    expect(JSON.parse(byLength.body).error.code).toBe('body_too_large');
    const byChunks = await rawExchange(port, [
      head('POST', 'Transfer-Encoding: chunked\r\n'),
      chunked(big, 8192),
    ]);
    expect(byChunks.status).toBe(413);
    expect(echo.seen.length).toBe(0);
    const small = await rawExchange(port, [head('POST', 'Content-Length: 5\r\n'), 'small']);
    expect(small.status).toBe(200);
  });

  it('answers Expect: 100-continue with 100, or at once with 413 for a body it will refuse', async () => {
    const { port, echo } = await startEchoBalancer({
      limits: { maxBodySize: '64KiB', oversizedBody: 'reject' },
    });
    const refused = await rawExchange(port, [
      head('POST', 'Expect: 100-continue\r\nContent-Length: 100000\r\n'),
    ]);
    expect(refused.status).toBe(413);
    expect(refused.text).not.toContain('100 Continue');
    const accepted = await rawExchange(
      port,
      [head('POST', 'Expect: 100-continue\r\nContent-Length: 5\r\n'), 200, 'hello'],
      {
        waitMs: 3000,
      },
    );
    expect(accepted.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(echo.seen.map((e) => [e.length, e.headers.expect])).toEqual([[5, undefined]]);
  });

  it('streams rather than buffers once the replay budget is spent', async () => {
    const { port, balancer } = await startEchoBalancer({
      limits: { maxBodySize: '64KiB', replayBufferBudget: '64KiB' },
    });
    const body = Buffer.alloc(48 * 1024, 0x62);
    const encoded = chunked(body, 4096);
    const half = 40 * 1024;
    // The first body holds 40 KiB of the budget while the second arrives: 40 + 48 > 64 KiB.
    const replies = await Promise.all([
      rawExchange(port, [
        head('POST', 'Transfer-Encoding: chunked\r\n'),
        encoded.subarray(0, half),
        400,
        encoded.subarray(half),
      ]),
      rawExchange(port, [150, head('POST', 'Transfer-Encoding: chunked\r\n'), encoded]),
    ]);
    const seen = replies.map((reply) => {
      expect(reply.status).toBe(200);
      const echo = JSON.parse(reply.body) as Echo;
      expect(echo.sha256).toBe(sha256(body));
      return echo.headers['transfer-encoding'] ?? `length ${echo.headers['content-length']}`;
    });
    expect(seen).toEqual([`length ${body.length}`, 'chunked']);
    expect(balancer.replayBudget.used).toBe(0);
  });
});
