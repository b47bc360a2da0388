import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendStartError,
  killAllBackends,
  respawnBackend,
  spawnBackend,
} from '../test/fixtures/backend-process.ts';
import { getStats, releaseHung, request } from '../test/fixtures/http.ts';

afterEach(killAllBackends);

describe('sample backend process (backends/main.ts)', () => {
  it('prints a listening line and identifies itself', async () => {
    const app1 = await spawnBackend('app1');
    expect(app1.events()[0]).toEqual({
      event: 'listening',
      name: 'app1',
      host: '127.0.0.1',
      port: app1.port,
      pid: app1.pid,
    });
    const res = await request(`${app1.url}/`);
    expect(res.headers['x-backend-instance']).toBe('app1');
    expect(res.json()).toMatchObject({ instance: 'app1', pid: app1.pid });
  });

  it('takes knobs from env', async () => {
    const app = await spawnBackend('env-knobs', {
      LATENCY_MS: '150',
      ERROR_RATE: '1',
      ERROR_STATUS: '502',
      HEALTH_STATUS: '503',
    });
    const started = performance.now();
    const res = await request(`${app.url}/`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect([res.status, res.json().instance]).toEqual([502, 'env-knobs']);
    expect((await request(`${app.url}/health`)).status).toBe(503);
    const knobs = (await request(`${app.url}/_faultline/knobs`)).json();
    expect(knobs).toEqual({ latencyMs: 150, errorRate: 1, errorStatus: 502, hang: false, healthStatus: 503 });
  });

  it('HANG=1 from env parks requests until released', async () => {
    const app = await spawnBackend('hanger', { HANG: '1' });
    const pending = request(`${app.url}/`);
    let settled = false;
    pending.finally(() => {
      settled = true;
    });
    await sleep(300);
    expect(settled).toBe(false);
    expect((await getStats(app.url)).hung).toBe(1);
    expect(await releaseHung(app.url)).toBe(1);
    expect((await pending).status).toBe(200);
  });

  it('exits 2 with one clear message on a bad env value', async () => {
    const error = await spawnBackend('bad', { ERROR_RATE: 'lots' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BackendStartError);
    const { exitCode, stderr } = error as BackendStartError;
    expect(exitCode).toBe(2);
    expect(stderr.trim()).toBe(
      'sample backend: invalid environment: ERROR_RATE must be a number from 0 to 1 (fraction of requests that fail), got "lots"',
    );
  });

  it('SIGTERM: the in-flight slow request completes, new connections are refused, exit 0', async () => {
    const app = await spawnBackend('drainer', { LATENCY_MS: '1500' });
    const agent = new http.Agent({ keepAlive: true });
    const inflight = request(`${app.url}/orders`, { method: 'POST', agent });
    // Wait until the request is inside the backend (control routes skip the latency).
    while ((await getStats(app.url)).inflight < 1) await sleep(20);
    const stopping = app.stop();
    expect(await app.waitForEvent('draining')).toMatchObject({ signal: 'SIGTERM', inflight: 1 });
    await expect(request(`${app.url}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const res = await inflight;
    expect([res.status, res.json().instance]).toEqual([201, 'drainer']);
    expect(await stopping).toBe(0);
    expect(app.events().at(-1)).toMatchObject({
      event: 'stopped',
      signal: 'SIGTERM',
      graceful: true,
      code: 0,
    });
    agent.destroy();
  });

  it('SIGINT stops it gracefully too', async () => {
    const app = await spawnBackend('ctrl-c');
    app.signal('SIGINT');
    expect(await app.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 1 when SHUTDOWN_TIMEOUT_MS passes before in-flight requests finish', async () => {
    const app = await spawnBackend('stuck', { LATENCY_MS: '10000', SHUTDOWN_TIMEOUT_MS: '300' });
    const inflight = request(`${app.url}/`).catch((err: NodeJS.ErrnoException) => err.code);
    while ((await getStats(app.url)).inflight < 1) await sleep(20);
    expect(await app.stop()).toBe(1);
    expect(await inflight).toBe('ECONNRESET');
    expect(app.events().at(-1)).toMatchObject({ event: 'stopped', graceful: false, code: 1 });
  });

  it('freeze (SIGSTOP) stalls answers; thaw (SIGCONT) lets them through', async () => {
    const app = await spawnBackend('frozen');
    app.freeze();
    const pending = request(`${app.url}/`, { timeoutMs: 10_000 });
    const early = await Promise.race([pending.then(() => 'answered'), sleep(300).then(() => 'waiting')]);
    expect(early).toBe('waiting');
    app.thaw();
    const res = await pending;
    expect([res.status, res.headers['x-backend-instance']]).toEqual([200, 'frozen']);
  });

  it('a frozen backend can still be stopped and killed', async () => {
    const a = await spawnBackend('frozen-stop');
    a.freeze();
    expect(await a.stop()).toBe(0);
    const b = await spawnBackend('frozen-kill');
    b.freeze();
    await b.kill();
    expect(await b.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('killAllBackends kills frozen and running backends and waits for them', async () => {
    const [a, b] = await Promise.all([spawnBackend('left-a'), spawnBackend('left-b')]);
    a.freeze();
    await killAllBackends();
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await b.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('restarts on the same port after SIGKILL', async () => {
    const first = await spawnBackend('phoenix', { LATENCY_MS: '5' });
    await request(`${first.url}/`, { agent: new http.Agent({ keepAlive: false }) });
    await first.kill();
    await expect(request(`${first.url}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const second = await respawnBackend(first);
    expect(second.port).toBe(first.port);
    expect(second.pid).not.toBe(first.pid);
    const res = await request(`${second.url}/`);
    expect(res.json()).toMatchObject({ instance: 'phoenix', pid: second.pid });
    const third = await spawnBackend('phoenix', { PORT: String(second.port) }).catch((e: unknown) => e);
    expect(third).toBeInstanceOf(BackendStartError);
    expect((third as BackendStartError).stderr).toContain('EADDRINUSE');
  });
});
