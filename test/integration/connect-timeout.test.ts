import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Balancer, normalizeConfig } from '../../balancer/index.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A real process whose listen backlog is full and which accepts nothing (frozen with SIGSTOP):
 * the kernel drops further SYNs, so a connect attempt hangs until the client gives up.
 */
async function startFullBacklogListener(): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer();s.listen(0,'127.0.0.1',1,()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(async () => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await once(child, 'exit');
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  child.kill('SIGSTOP');
  // Fill the accept queue (backlog 1 admits about two) so later SYNs are dropped.
  for (let i = 0; i < 4; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(() => socket.destroy());
  }
  await new Promise((r) => setTimeout(r, 200));
  return port;
}

describe('connect timeout', () => {
  it('a connect that times out is retried on another server, for a POST too', async () => {
    const port = await startFullBacklogListener();
    let received = '';
    const ok = http.createServer((req, res) => {
      req.on('data', (c) => (received += c));
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => ok.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => ok.close(r)));
    const b = await Balancer.start(
      normalizeConfig({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        timeouts: { connect: '300ms' },
        pools: {
          web: {
            algorithm: 'round-robin',
            servers: [
              { name: 'blackhole', url: `http://127.0.0.1:${port}` },
              { name: 'ok', url: `http://127.0.0.1:${(ok.address() as AddressInfo).port}` },
            ],
            retries: 1,
          },
        },
      }),
    );
    cleanups.push(() => b.stop({ deadlineMs: 200 }));
    const started = performance.now();
    const reply = await fetch(`${b.url}/orders`, { method: 'POST', body: 'order-1' });
    const elapsed = performance.now() - started;
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-served-by')).toBe('ok');
    expect(received).toBe('order-1');
    expect(b.pool('web').byName('blackhole').counters.failures).toBe(1);
    expect(elapsed).toBeGreaterThan(250);
    expect(elapsed).toBeLessThan(2000);

    // Without another server the client is told what happened.
    b.pool('web').disable('ok');
    const alone = await fetch(`${b.url}/`);
    expect(alone.status).toBe(504);
    expect((await alone.json()).error.code).toBe('upstream_connect_timeout');
  });
});
