import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpHealthConfig } from '../config/types.ts';
import { probeHttp } from './http-probe.ts';
import { closedPort, type ProbeTarget, startProbeTarget, within } from './probe-target.fixture.ts';

const cfg = (over: Partial<HttpHealthConfig> = {}): HttpHealthConfig => ({
  type: 'http',
  path: '/health',
  expectStatus: { min: 200, max: 399 },
  interval: 1000,
  fastInterval: 500,
  timeout: 300,
  rise: 2,
  fall: 2,
  ...over,
});

describe('probeHttp', () => {
  let target: ProbeTarget;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });
  const start = async () => {
    target = await startProbeTarget();
    cleanups.push(() => target.close());
    return target;
  };

  it('is ok on 200 and identifies itself', async () => {
    await start();
    const r = await probeHttp(new URL(target.url), cfg());
    expect(r).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(target.userAgents).toEqual(['faultline-health/1']);
    await vi.waitFor(() => {
      expect(target.inflight, 'the probe request to be over on the server').toBe(0);
    }, within(1000));
  });

  it('is not ok on 503, with the status and the expected range in the reason', async () => {
    await start();
    target.okStatus = 503;
    const r = await probeHttp(new URL(target.url), cfg());
    expect(r).toMatchObject({ ok: false, reason: 'HTTP 503 (expected 200-399)' });
  });

  it('applies expectStatus as an inclusive range', async () => {
    await start();
    const url = new URL(target.url);
    target.okStatus = 204;
    expect((await probeHttp(url, cfg({ expectStatus: { min: 204, max: 204 } }))).ok).toBe(true);
    expect((await probeHttp(url, cfg({ expectStatus: { min: 200, max: 203 } }))).reason).toBe(
      'HTTP 204 (expected 200-203)',
    );
    target.okStatus = 399;
    expect((await probeHttp(url, cfg())).ok).toBe(true);
    target.okStatus = 400;
    expect((await probeHttp(url, cfg())).ok).toBe(false);
  });

  it('gives up on a server that accepts but never answers, within the timeout, and closes the socket', async () => {
    await start();
    target.mode = 'hang';
    const t0 = performance.now();
    const r = await probeHttp(new URL(target.url), cfg({ timeout: 200 }));
    const took = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, reason: 'timeout after 200ms' });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(200 + 300);
    await vi.waitFor(() => {
      expect(target.abandoned, 'the server to see the probe give up').toBe(1);
      expect(target.inflight, 'the probe request to be over on the server').toBe(0);
    }, within(1000));
  });

  it('bounds a body that never ends by the same timeout', async () => {
    const sockets: Socket[] = [];
    const raw = createServer((s) => {
      sockets.push(s);
      s.once('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial'));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => raw.close(() => resolve())));
    let closed = 0;
    raw.on('connection', (s) => s.once('close', () => closed++));
    const r = await probeHttp(
      new URL(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`),
      cfg({ timeout: 200 }),
    );
    expect(r).toMatchObject({ ok: false, reason: 'timeout after 200ms' });
    await vi.waitFor(() => {
      expect(closed, 'the server to see the connection closed').toBe(1);
    }, within(1000));
  });

  it('fails fast when the connection is refused', async () => {
    const port = await closedPort();
    const t0 = performance.now();
    const r = await probeHttp(new URL(`http://127.0.0.1:${port}`), cfg({ timeout: 2000 }));
    expect(r).toMatchObject({ ok: false, reason: 'connect ECONNREFUSED' });
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('stops at once when aborted', async () => {
    await start();
    target.mode = 'hang';
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const r = await probeHttp(new URL(target.url), cfg({ timeout: 5000 }), controller.signal);
    expect(r).toMatchObject({ ok: false, reason: 'aborted' });
    expect(r.latencyMs).toBeLessThan(1000);
    await vi.waitFor(() => {
      expect(target.inflight, 'the probe request to be over on the server').toBe(0);
    }, within(1000));
  });
});

describe('probeHttp when this process stalls', () => {
  it('an answer that arrived during the stall counts: the timeout is judged after reading it', async () => {
    // The server is another process, so it answers while this one is blocked.
    const server = spawn(
      process.execPath,
      [
        '-e',
        `require('http').createServer((q, s) => setTimeout(() => s.end('ok'), 50))
           .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [chunk] = (await once(server.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
      const url = new URL(`http://127.0.0.1:${Number(chunk.toString())}/`);
      const probe = probeHttp(url, cfg({ timeout: 150 }));
      // 20 ms in, the request is out; then this process is busy until well past the deadline,
      // while the answer (due at 50 ms) waits in the socket. The stall is outside the timers
      // phase (here: in the check phase), so the next loop turn starts with the expired timer.
      await new Promise<void>((resolve) =>
        setTimeout(
          () =>
            setImmediate(() => {
              const until = performance.now() + 400;
              while (performance.now() < until) {
                // a stall: GC, a starved CPU, a container start
              }
              resolve();
            }),
          20,
        ),
      );
      expect(await probe).toMatchObject({ ok: true, reason: 'HTTP 200' });
    } finally {
      server.kill('SIGKILL');
    }
  });
});
