import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cachedLookup } from './cached-lookup.ts';

function lookup(host: string, all = false): Promise<unknown> {
  return new Promise((resolve, reject) =>
    cachedLookup(host, { all } as never, (err: NodeJS.ErrnoException | null, address: unknown) =>
      err ? reject(err) : resolve(address),
    ),
  );
}

describe('cachedLookup', () => {
  it('resolves localhost through the system, for single and all answers', async () => {
    expect(await lookup('localhost')).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(await lookup('localhost', true)).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]),
    );
  });

  it('a name nobody knows fails (and fails fast the second time)', async () => {
    const name = `no-such-host-${process.pid}.invalid`;
    await expect(lookup(name)).rejects.toMatchObject({ code: expect.any(String) });
    const started = Date.now();
    await expect(lookup(name)).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('works as the lookup of a real HTTP request', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: 'localhost', port, family: 4, lookup: cachedLookup, agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    server.close();
    expect(body).toBe('ok');
  });
});
