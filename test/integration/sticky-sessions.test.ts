import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../fixtures/http.ts';
import { Stack } from '../fixtures/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const cookieOf = (setCookie: string[] | undefined) => setCookie?.[0]?.split(';')[0];

describe('sticky sessions by a balancer cookie (real child processes)', () => {
  it('a client keeps its server across requests; when that server dies it is re-pinned without an error', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1' }, { name: 'app2' }, { name: 'app3' }, { name: 'app4', backup: true }],
      pool: { algorithm: 'round-robin', sticky: { cookie: 'SRV', ttl: '1h', secure: false } },
    });
    const s = stack;
    const agent = new http.Agent({ keepAlive: true });
    try {
      const first = await request(s.url, { agent });
      expect(first.status).toBe(200);
      const attributes = first.headers['set-cookie']?.[0] ?? '';
      expect(attributes).toMatch(/^SRV=[A-Za-z0-9_-]{16}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
      expect(attributes).not.toContain(first.headers['x-served-by'] as string);
      const cookie = cookieOf(first.headers['set-cookie']) as string;
      const pinnedTo = first.headers['x-served-by'] as string;

      // Round robin alone would spread these across three servers.
      for (let i = 0; i < 12; i++) {
        const res = await request(s.url, { agent, headers: { cookie: `theme=dark; ${cookie}` } });
        expect(res.status).toBe(200);
        expect(res.headers['x-served-by']).toBe(pinnedTo);
        expect(res.headers['set-cookie'], 'no new cookie while the pin holds').toBeUndefined();
      }
      // Another client without the cookie is balanced as usual (and pinned elsewhere in turn).
      const others = new Set<string>();
      for (let i = 0; i < 6; i++) others.add((await request(s.url)).headers['x-served-by'] as string);
      expect(others.size).toBeGreaterThan(1);

      await s.backend(pinnedTo).kill();
      const repinned = await request(s.url, { agent, headers: { cookie } });
      expect(repinned.status).toBe(200);
      const newServer = repinned.headers['x-served-by'] as string;
      expect(newServer).not.toBe(pinnedTo);
      const newCookie = cookieOf(repinned.headers['set-cookie']);
      expect(newCookie).toBeDefined();
      expect(newCookie).not.toBe(cookie);
      for (let i = 0; i < 8; i++) {
        const res = await request(s.url, { agent, headers: { cookie: newCookie as string } });
        expect(res.status).toBe(200);
        expect(res.headers['x-served-by']).toBe(newServer);
      }

      // A cookie that names no server of the pool is ignored and replaced.
      const forged = await request(s.url, { headers: { cookie: 'SRV=not-a-server' } });
      expect(forged.status).toBe(200);
      expect(cookieOf(forged.headers['set-cookie'])).toMatch(/^SRV=[A-Za-z0-9_-]{16}$/);
    } finally {
      agent.destroy();
    }
  });
});
