import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Balancer, type BalancerEvent, normalizeConfig } from '../../balancer/index.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Serves `/` and breaks `/poison`: headers and part of the body, then a TCP reset. */
async function startPoisonPathBackend(name: string, healthStatus = 200): Promise<string> {
  const server = http.createServer((req, res) => {
    res.setHeader('x-backend', name);
    if (req.url === '/health') {
      res.statusCode = healthStatus;
      res.end();
      return;
    }
    if (req.url === '/poison') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setImmediate(() => req.socket.resetAndDestroy());
      return;
    }
    res.end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** GET on a fresh connection: the status (and server), or the error code of a broken answer. */
function get(url: string, servedBy: string[] = []): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      servedBy.push(String(res.headers['x-served-by']));
      res.resume();
      res.on('error', () => {});
      res.on('close', () => resolve(res.complete ? (res.statusCode ?? 0) : 'broken'));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('one poison path does not take the pool out', () => {
  it('20+ resets mid-response on /poison: GET / keeps answering 200; the pool panics, then recovers', async () => {
    const a = await startPoisonPathBackend('a');
    const b = await startPoisonPathBackend('b');
    // Defaults for outlier detection, breaker and panic threshold: the case as a user meets it.
    const balancer = await Balancer.start(
      normalizeConfig({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        pools: {
          web: {
            servers: [
              { name: 'a', url: a },
              { name: 'b', url: b },
            ],
          },
        },
      }),
    );
    cleanups.push(() => balancer.stop({ deadlineMs: 500 }));
    const events: BalancerEvent[] = [];
    balancer.events.subscribe((e) => events.push(e));

    const poison: (number | string)[] = [];
    const root: (number | string)[] = [];
    for (let i = 0; i < 30; i++) {
      poison.push(await get(`${balancer.url}/poison`));
      if (i % 5 === 4) root.push(await get(`${balancer.url}/`));
    }
    for (let i = 0; i < 10; i++) root.push(await get(`${balancer.url}/`));
    expect(poison.filter((r) => r === 200)).toEqual([]);
    expect(root).toEqual(Array(16).fill(200));
    const kinds = events.map((e) => e.kind);
    // The passive mechanisms did react (this is what used to empty the pool)...
    expect(kinds).toContain('breaker-open');
    expect(kinds).toContain('ejected');
    // ...and the pool said it is routing across every live server regardless.
    const panic = events.find((e) => e.kind === 'panic-enter');
    expect(panic).toMatchObject({ pool: 'web', tier: 'primary', live: 2, passing: 0, thresholdPercent: 50 });

    // After: GET / stays 200 while the breaker cools down; the pool leaves panic by itself.
    const after: (number | string)[] = [];
    for (let i = 0; i < 80 && !events.some((e) => e.kind === 'panic-exit'); i++) {
      after.push(await get(`${balancer.url}/`));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after.every((s) => s === 200)).toBe(true);
    expect(events.map((e) => e.kind)).toContain('panic-exit');
    for (let i = 0; i < 10; i++) expect(await get(`${balancer.url}/`)).toBe(200);
  }, 20_000);

  it('a server down by active checks gets nothing, even while the others panic', async () => {
    const a = await startPoisonPathBackend('a');
    const b = await startPoisonPathBackend('b');
    const dead = await startPoisonPathBackend('dead', 503);
    const balancer = await Balancer.start(
      normalizeConfig({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        pools: {
          web: {
            servers: [
              { name: 'a', url: a },
              { name: 'b', url: b },
              { name: 'dead', url: dead },
            ],
            health: { type: 'http', path: '/health', interval: '300ms', timeout: '300ms', rise: 1, fall: 2 },
            outlier: { maxEjectionPercent: 100 },
          },
        },
      }),
    );
    cleanups.push(() => balancer.stop({ deadlineMs: 500 }));
    const events: BalancerEvent[] = [];
    balancer.events.subscribe((e) => events.push(e));
    for (let i = 0; i < 150 && !events.some((e) => e.kind === 'server-down'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(events.find((e) => e.kind === 'server-down')).toMatchObject({ server: 'dead' });

    for (let i = 0; i < 12; i++) await get(`${balancer.url}/poison`);
    expect(events.find((e) => e.kind === 'panic-enter')).toMatchObject({ live: 2, passing: 0 });
    const servedBy: string[] = [];
    const root: (number | string)[] = [];
    for (let i = 0; i < 20; i++) root.push(await get(`${balancer.url}/`, servedBy));
    expect(root).toEqual(Array(20).fill(200));
    expect(new Set(servedBy)).toEqual(new Set(['a', 'b']));
  }, 20_000);
});
