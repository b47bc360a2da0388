import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllBackends, spawnBackend } from '../../backends/spawn.ts';
import { refusingPort } from '../../test/fixtures/ports.ts';
import { latencySummary } from './latency-stats.ts';
import { startLoad } from './open-model.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  await killAllBackends();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function startServer(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe('startLoad (open model)', () => {
  it('keeps 1,000 requests/s for 5 s against a sample backend within a few percent', async () => {
    const app = await spawnBackend('accuracy');
    const load = startLoad({ url: app.url, rate: 1000, maxDurationMs: 5000, connections: 64 });
    const records = await load.done;
    expect(records.length).toBeGreaterThanOrEqual(4900);
    const last = Math.max(...records.map((r) => r.sent));
    const achieved = (records.length - 1) / ((last - load.startedAt) / 1000);
    expect(achieved).toBeGreaterThan(950);
    expect(achieved).toBeLessThan(1050);
    expect(records.filter((r) => r.status !== 200)).toEqual([]);
    expect(median(records.map((r) => r.sent - r.intended))).toBeLessThan(5);
    // intended times are exactly on the schedule: no drift
    expect(records[4000]?.intended).toBeCloseTo(load.startedAt + 4000, 6);
  }, 30_000);

  it('measures latency from the intended send time: a stall shows up in every request queued behind it', async () => {
    let first = true;
    const url = await startServer((_req, res) => {
      if (first) {
        first = false;
        setTimeout(() => res.end('slow'), 300);
      } else res.end('ok');
    });
    const load = startLoad({ url, rate: 100, maxDurationMs: 1000, connections: 1 });
    const records = await load.done;
    expect(records).toHaveLength(100);
    // requests due during the stall waited on the one connection: their latency counts the wait
    const queued = records.filter(
      (r) => r.intended > load.startedAt + 50 && r.intended < load.startedAt + 250,
    );
    expect(queued.length).toBeGreaterThan(10);
    for (const r of queued) expect(r.latencyMs).toBeGreaterThan(300 - (r.intended - load.startedAt) - 20);
    expect(latencySummary(records.map((r) => r.latencyMs)).p99).toBeGreaterThan(250);
  });

  it('records the answering server, gateway error codes, timeouts and refused connections', async () => {
    const url = await startServer((req, res) => {
      if (req.url === '/fail') {
        res.writeHead(502, { 'x-faultline-error': 'upstream_reset' });
        res.end();
      } else if (req.url === '/hang') {
        // never answers
      } else {
        res.writeHead(200, { 'x-served-by': 'app7' });
        res.end('ok');
      }
    });
    const load = startLoad({
      url,
      rate: 30,
      maxDurationMs: 300,
      timeoutMs: 300,
      requests: [{ path: '/' }, { path: '/fail' }, { path: '/hang' }],
    });
    const records = await load.done;
    expect(records.find((r) => r.path === '/')).toMatchObject({ status: 200, servedBy: 'app7' });
    expect(records.find((r) => r.path === '/fail')).toMatchObject({ status: 502, error: 'upstream_reset' });
    const hung = records.find((r) => r.path === '/hang');
    expect(hung).toMatchObject({ status: 0, error: 'timeout' });
    expect(hung?.latencyMs).toBeGreaterThanOrEqual(290);

    const refused = await startLoad({
      url: `http://127.0.0.1:${await refusingPort()}`,
      rate: 20,
      maxDurationMs: 200,
    }).done;
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r).toMatchObject({ status: 0, error: 'ECONNREFUSED' });
  });

  it('a request already past its timeout when the client gets to it is recorded as client_behind, not sent', async () => {
    const url = await startServer((_req, res) => res.end('ok'));
    const load = startLoad({ url, rate: 100, maxDurationMs: 500, timeoutMs: 100 });
    // The client's event loop is stuck for 300 ms: requests due in the first 200 ms of it
    // can no longer be answered within their 100 ms timeout.
    const stuckUntil = performance.now() + 300;
    while (performance.now() < stuckUntil) {
      // busy
    }
    const records = await load.done;
    expect(records).toHaveLength(50);
    const behind = records.filter((r) => r.error === 'client_behind');
    expect(behind.length).toBeGreaterThanOrEqual(15);
    for (const r of behind) {
      expect(r).toMatchObject({ status: 0 });
      expect(r.latencyMs).toBeGreaterThanOrEqual(100);
    }
  });

  it('names the oldest request still in flight, until it has an answer', async () => {
    const parked: http.ServerResponse[] = [];
    const url = await startServer((req, res) => {
      if (req.url === '/slow') parked.push(res);
      else res.end('ok');
    });
    const load = startLoad({
      url,
      rate: 50,
      maxDurationMs: 300,
      requests: [{ path: '/slow' }, { path: '/' }],
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(load.oldestPending()).toBeCloseTo(load.startedAt, 6);
    for (const res of parked.splice(0)) res.end('late');
    await new Promise((r) => setTimeout(r, 50));
    const oldest = load.oldestPending();
    expect(oldest === undefined || oldest > load.startedAt).toBe(true);
    const timer = setInterval(() => {
      for (const res of parked.splice(0)) res.end('late');
    }, 10);
    await load.done;
    clearInterval(timer);
    expect(load.oldestPending()).toBeUndefined();
  });

  it('leaves no timer behind once done: a CLI run exits with its last answer, not a timeout later', async () => {
    const url = await startServer((_req, res) => setTimeout(() => res.end('ok'), 20));
    // A process of its own, so that whatever keeps its event loop alive shows as a late exit.
    // Requests are still in flight when scheduling ends, so their 5 s timeouts are armed then.
    const script = `
      const { startLoad } = await import(${JSON.stringify(pathToFileURL(fileURLToPath(new URL('./open-model.ts', import.meta.url))).href)});
      await startLoad({ url: ${JSON.stringify(url)}, rate: 200, maxDurationMs: 200, timeoutMs: 5000 }).done;
      process.stdout.write('done\\n');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let doneAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('done')) doneAt = performance.now();
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(doneAt).toBeGreaterThan(0);
    expect(performance.now() - doneAt).toBeLessThan(2000);
  }, 20_000);

  it('is bounded: maxRequests, stop() and an abort signal end the scheduling', async () => {
    const url = await startServer((_req, res) => res.end('ok'));
    expect(await startLoad({ url, rate: 200, maxDurationMs: 5000, maxRequests: 25 }).done).toHaveLength(25);

    const stopped = startLoad({ url, rate: 200, maxDurationMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    stopped.stop();
    const records = await stopped.done;
    expect(records.length).toBeGreaterThan(20);
    expect(records.length).toBeLessThan(200);
    expect(stopped.stats()).toMatchObject({ sent: records.length, completed: records.length, inflight: 0 });

    const controller = new AbortController();
    const aborted = startLoad({ url, rate: 200, maxDurationMs: 10_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect((await aborted.done).length).toBeLessThan(200);
  });
});
