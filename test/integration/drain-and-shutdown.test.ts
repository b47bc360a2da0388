import { afterEach, describe, expect, it } from 'vitest';
import { countBy, failures, runLoad } from '../fixtures/load.ts';
import { FAST_HEALTH, Stack } from '../fixtures/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drain and graceful shutdown', () => {
  it('draining a server under load fails no in-flight request and stops new ones', async () => {
    stack = await Stack.start({
      backends: [
        { name: 'app1', env: { LATENCY_MS: '300' } },
        { name: 'app2', env: { LATENCY_MS: '300' } },
      ],
      // The latency knob slows /health too: give the checks room.
      pool: { health: { ...FAST_HEALTH, interval: '1s', timeout: '800ms' } },
    });
    const s = stack;
    // When the drain took effect, on the load's clock: the admin call has answered. Requests
    // due earlier but sent late by a busy event loop may still reach app1: judge by send time.
    let drainedAt = Number.POSITIVE_INFINITY;
    const load = runLoad({
      url: s.url,
      rate: 60,
      durationMs: 2000,
      requests: [{ path: '/' }, { method: 'POST', path: '/orders', body: '{}' }],
      after: {
        ms: 700,
        run: (elapsed) =>
          void s.admin.drain('web', 'app1').then(() => {
            drainedAt = elapsed();
          }),
      },
    });
    await sleep(900);
    expect(s.balancer.pool('web').byName('app1').adminState).toBe('draining');
    const results = await load;
    expect(failures(results)).toEqual([]);
    const late = results.filter((r) => r.sentAt > drainedAt);
    expect(late.length).toBeGreaterThan(20);
    expect(countBy(late, (r) => r.servedBy).app1 ?? 0).toBe(0);
    const drained = await s.waitFor((e) => e.kind === 'server-drained' && e.server === 'app1');
    const draining = await s.waitFor((e) => e.kind === 'server-draining');
    expect(drained.seq).toBeGreaterThan(draining.seq);
    // In-flight requests to app1 finished before it was reported drained.
    expect(drained.at - draining.at).toBeGreaterThan(100);

    await s.admin.enable('web', 'app1');
    const back = await runLoad({ url: s.url, rate: 20, durationMs: 500 });
    expect(countBy(back, (r) => r.servedBy).app1).toBeGreaterThan(0);
  });

  it('stop() lets in-flight requests finish and refuses new connections', async () => {
    stack = await Stack.start({ backends: [{ name: 'app1', env: { LATENCY_MS: '500' } }] });
    const s = stack;
    const inflight = runLoad({ url: s.url, rate: 20, durationMs: 250 });
    await sleep(350);
    const stopped = s.balancer.stop({ deadlineMs: 5000 });
    await sleep(50);
    const refused = await runLoad({ url: s.url, rate: 10, durationMs: 100, timeoutMs: 1000 });
    expect(refused.every((r) => r.error === 'ECONNREFUSED')).toBe(true);
    const results = await inflight;
    expect(results.length).toBe(5);
    expect(failures(results)).toEqual([]);
    await stopped;
  });
});
