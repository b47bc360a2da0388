import { afterEach, describe, expect, it } from 'vitest';
import { countBy, failures, runLoad } from '../fixtures/load.ts';
import { FAST_HEALTH, Stack } from '../fixtures/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MIXED = [{ path: '/' }, { method: 'POST', path: '/orders', body: '{"item":"x"}' }];

describe('failover under load (real child processes)', () => {
  it('SIGKILL of the weight-3 primary: no failed GET, no failed POST that never reached it', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1', weight: 3 }, { name: 'app2' }, { name: 'app3', backup: true }],
    });
    const s = stack;
    const results = await runLoad({
      url: s.url,
      rate: 100,
      durationMs: 3000,
      requests: MIXED,
      after: { ms: 1000, run: () => void s.backend('app1').kill() },
    });
    const failed = failures(results);
    // A POST already inside app1 when it died may fail (it reached the backend); nothing else may.
    const unexpected = failed.filter((r) => !(r.method === 'POST' && r.error === 'upstream_reset'));
    expect(unexpected, JSON.stringify(failed.slice(0, 5))).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(2);
    const after = results.filter((r) => r.at > 2000);
    expect(countBy(after, (r) => r.servedBy).app1 ?? 0).toBe(0);
    expect(countBy(after, (r) => r.servedBy).app2).toBeGreaterThan(0);
    await s.waitFor((e) => e.kind === 'server-down' && e.server === 'app1');
  });

  it('SIGSTOP of a primary: it leaves rotation within fall × interval + timeout; SIGCONT: it returns', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1' }, { name: 'app2' }, { name: 'app3', backup: true }],
      config: { timeouts: { responseHeaders: '1s' } },
    });
    const s = stack;
    await sleep(300);
    const frozenAt = Date.now();
    s.backend('app1').freeze();
    const loadDuringFreeze = runLoad({ url: s.url, rate: 40, durationMs: 1500, requests: [{ path: '/' }] });
    const down = await s.waitFor((e) => e.kind === 'server-down' && e.server === 'app1', 3000);
    const detectionMs = down.at - frozenAt;
    const bound = FAST_HEALTH.fall * 200 + 150; // fall × interval + timeout
    expect(detectionMs).toBeLessThan(bound + 400);
    const results = await loadDuringFreeze;
    // GETs that hit the frozen server time out on response headers and are retried elsewhere.
    expect(failures(results), JSON.stringify(failures(results).slice(0, 3))).toEqual([]);
    expect(Math.max(...results.map((r) => r.latencyMs))).toBeLessThan(2500);

    const thawedAt = Date.now();
    s.backend('app1').thaw();
    const up = await s.waitFor((e) => e.kind === 'server-up' && e.server === 'app1', 3000);
    expect(up.at - thawedAt).toBeLessThan(2000);
    const later = await runLoad({ url: s.url, rate: 50, durationMs: 600 });
    expect(countBy(later, (r) => r.servedBy).app1).toBeGreaterThan(0);
  });

  it('SIGSTOP with the default 15 s header timeout: GETs waiting on the frozen server move the moment it leaves rotation', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1' }, { name: 'app2' }, { name: 'app3', backup: true }],
    });
    const s = stack;
    await sleep(300);
    const frozenAt = Date.now();
    s.backend('app1').freeze();
    const results = await runLoad({ url: s.url, rate: 60, durationMs: 1500, requests: [{ path: '/' }] });
    const down = s.events.find((e) => e.kind === 'server-down' && e.server === 'app1');
    expect(down, 'app1 left rotation').toBeDefined();
    const detectionMs = (down?.at ?? 0) - frozenAt;
    expect(failures(results), JSON.stringify(failures(results).slice(0, 3))).toEqual([]);
    // Without the move they would wait for the thaw (or the 15 s header timeout).
    const slowest = Math.max(...results.map((r) => r.latencyMs));
    expect(slowest).toBeLessThan(detectionMs + 700);
    expect(countBy(results, (r) => r.servedBy).app1 ?? 0).toBe(0);
    s.backend('app1').thaw();
  });

  it('a frozen primary with no health checks and default timeouts: hedges answer, lost races eject it', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1', weight: 3 }, { name: 'app2' }, { name: 'app3', backup: true }],
      pool: { health: false },
    });
    const s = stack;
    // Enough answers for the pool's p99 (the hedge delay starts at its cap until 32 were seen).
    await runLoad({ url: s.url, rate: 100, durationMs: 800 });
    const frozenAt = Date.now();
    s.backend('app1').freeze();
    const results = await runLoad({ url: s.url, rate: 100, durationMs: 2000, requests: [{ path: '/' }] });
    s.backend('app1').thaw();
    expect(failures(results), JSON.stringify(failures(results).slice(0, 3))).toEqual([]);
    const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1] as number;
    // Without hedging every request on app1 (3 in 4) would wait for the 15 s header timeout.
    expect(p99).toBeLessThan(1000);
    const ejected = s.events.find((e) => e.kind === 'ejected' && e.server === 'app1');
    expect(ejected, 'app1 ejected by lost hedge races').toBeDefined();
    expect((ejected?.at ?? 0) - frozenAt).toBeLessThan(1500);
  });

  it('all primaries down: the backup serves; a primary returns: traffic fails back; events in order', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1', weight: 3 }, { name: 'app2' }, { name: 'app3', backup: true }],
    });
    const s = stack;
    const before = await runLoad({ url: s.url, rate: 50, durationMs: 400 });
    expect(countBy(before, (r) => r.servedBy).app3 ?? 0).toBe(0);

    await Promise.all([s.backend('app1').kill(), s.backend('app2').kill()]);
    await s.waitFor((e) => e.kind === 'failover-to-backup');
    const during = await runLoad({ url: s.url, rate: 50, durationMs: 400 });
    expect(failures(during)).toEqual([]);
    expect(countBy(during, (r) => r.servedBy)).toEqual({ app3: during.length });

    await s.restart('app1');
    await s.waitFor((e) => e.kind === 'failback');
    const after = await runLoad({ url: s.url, rate: 50, durationMs: 400 });
    expect(failures(after)).toEqual([]);
    expect(countBy(after, (r) => r.servedBy)).toEqual({ app1: after.length });

    const transitions = s.events
      .filter((e) => ['server-down', 'server-up', 'failover-to-backup', 'failback'].includes(e.kind))
      .map((e) => ('server' in e ? `${e.kind}:${e.server}` : e.kind));
    const downs = transitions.slice(0, 2).sort();
    expect(downs).toEqual(['server-down:app1', 'server-down:app2']);
    expect(transitions.slice(2)).toEqual(['failover-to-backup', 'server-up:app1', 'failback']);
    const seqs = s.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});
