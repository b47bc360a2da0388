import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Balancer, normalizeConfig } from '../../balancer/index.ts';
import { type EchoBackend, rawExchange, startEchoBackend } from '../fixtures/raw-http.ts';

/** Routes `/internal` → pool internal, `/` → pool web; both echo the url they received. */
let internal: EchoBackend;
let web: EchoBackend;
let balancer: Balancer;

beforeAll(async () => {
  internal = await startEchoBackend();
  web = await startEchoBackend();
  balancer = await Balancer.start(
    normalizeConfig({
      listen: '127.0.0.1:0',
      admin: { listen: '127.0.0.1:0' },
      pools: {
        internal: { servers: [{ name: 'internal1', url: internal.url }], health: false },
        web: { servers: [{ name: 'web1', url: web.url }], health: false },
      },
      routes: [
        { host: '*', path: '/internal', pool: 'internal' },
        { host: '*', path: '/', pool: 'web' },
      ],
    }),
  );
});
afterAll(async () => {
  await balancer.stop({ deadlineMs: 500 });
  await Promise.all([internal.close(), web.close()]);
});

const get = (target: string, extra = '') =>
  rawExchange(
    balancer.address.port,
    `GET ${target} HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n${extra}\r\n`,
  );

/** Raw request target → the server that must answer and the exact url its backend must see. */
const ROUTED: [string, 'internal1' | 'web1', string][] = [
  ['/open/../internal/x', 'internal1', '/internal/x'],
  ['/open/%2e%2e/internal/x', 'internal1', '/internal/x'],
  ['/open/.%2E/internal/./x', 'internal1', '/internal/x'],
  ['/%69nternal/x', 'internal1', '/internal/x'],
  ['//internal//x', 'internal1', '/internal/x'],
  ['/../../internal', 'internal1', '/internal'],
  ['/internal/../open', 'web1', '/open'],
  ['/internal/..', 'web1', '/'],
  ['/internalx/y', 'web1', '/internalx/y'],
  ['http://shop.test/open/../internal/x?q=../a%2f', 'internal1', '/internal/x?q=../a%2f'],
  ['http://shop.test', 'web1', '/'],
  ['/a/./b/%7e?x=/../internal', 'web1', '/a/b/~?x=/../internal'],
  ['/caf%c3%a9/%3c%3E', 'web1', '/caf%C3%A9/%3C%3E'],
];

const REFUSED = [
  '/open%2f..%2finternal/x',
  '/open/..%2Finternal',
  '/open/..\\internal/x',
  '/open/%5c../internal',
  '/bad%zz',
  '/nul%00',
  '*',
  'https://shop.test/internal',
  'http://user@shop.test/internal',
];

describe('one normalised path is routed and forwarded', () => {
  it.each(ROUTED)('%s goes to %s as %s', async (target, server, url) => {
    const reply = await get(target);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers['x-served-by']).toBe(server);
    expect(JSON.parse(reply.body).url).toBe(url);
  });

  it.each(REFUSED)('%s is refused with 400 bad_path, never forwarded', async (target) => {
    const before = internal.seen.length + web.seen.length;
    const reply = await get(target);
    expect(reply.status, reply.text).toBe(400);
    expect(JSON.parse(reply.body).error.code).toBe('bad_path');
    expect(internal.seen.length + web.seen.length).toBe(before);
  });

  it('takes the host of an absolute-form target over the Host header', async () => {
    const reply = await rawExchange(
      balancer.address.port,
      'GET http://api.test:8080/internal/../v1 HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n',
    );
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body);
    expect(seen.url).toBe('/v1');
    expect(seen.headers.host).toBe('api.test:8080');
  });
});
