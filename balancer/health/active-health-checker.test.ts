import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HealthConfig, HttpHealthConfig } from '../config/types.ts';
import { ActiveHealthChecker } from './active-health-checker.ts';
import type { ProbeResult } from './probe-result.ts';
import { closedPort, type ProbeTarget, sleep, startProbeTarget, within } from './probe-target.fixture.ts';

const base: HttpHealthConfig = {
  type: 'http',
  path: '/health',
  expectStatus: { min: 200, max: 399 },
  interval: 200,
  fastInterval: 100,
  timeout: 100,
  rise: 2,
  fall: 2,
};
// interval + (fall - 1) * fastInterval + timeout, and the matching bound for coming back.
const DOWN_BOUND = base.interval + (base.fall - 1) * base.fastInterval + base.timeout;
const UP_BOUND = base.interval + (base.rise - 1) * base.fastInterval + base.timeout;
const TOLERANCE = 400;

interface Transition {
  server: string;
  healthy: boolean;
  reason: string;
  at: number;
}

function harness(config: HealthConfig = base) {
  const transitions: Transition[] = [];
  const probes: { server: string; result: ProbeResult }[] = [];
  const checker = new ActiveHealthChecker({
    pool: 'web',
    config,
    onTransition: (server, healthy, reason) =>
      transitions.push({ server, healthy, reason, at: performance.now() }),
    onProbe: (server, result) => probes.push({ server, result }),
  });
  return { checker, transitions, probes };
}

describe('ActiveHealthChecker', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const startTarget = async (): Promise<ProbeTarget> => {
    const t = await startProbeTarget();
    cleanups.push(() => t.close());
    return t;
  };
  const started = (h: ReturnType<typeof harness>) => {
    h.checker.start();
    cleanups.push(() => h.checker.stop());
    return h;
  };

  it('marks a failing server down once, within the bound, and up once after rise successes', async () => {
    const t = await startTarget();
    const h = started(harness());
    h.checker.add({ name: 'app1', url: t.url });
    await vi.waitFor(() => {
      expect(h.probes.length, 'two probes').toBeGreaterThanOrEqual(2);
    }, within(1000));
    expect(h.transitions).toEqual([]);

    t.mode = 'fail';
    const failedAt = performance.now();
    await vi.waitFor(
      () => {
        expect(h.transitions, 'app1 marked down within the bound').toHaveLength(1);
      },
      within(DOWN_BOUND + TOLERANCE),
    );
    const down = h.transitions[0] as Transition;
    expect(down).toMatchObject({ server: 'app1', healthy: false });
    expect(down.reason).toBe('2 consecutive failures: HTTP 500 (expected 200-399)');
    const detection = down.at - failedAt;
    console.log(`http 500: detected in ${detection.toFixed(0)}ms (bound ${DOWN_BOUND}ms)`);
    expect(detection).toBeLessThan(DOWN_BOUND + TOLERANCE);
    expect(h.checker.status('app1')).toMatchObject({ healthy: false, consecutiveOk: 0 });

    await sleep(600); // still failing: no more events
    expect(h.transitions).toHaveLength(1);

    t.mode = 'ok';
    const fixedAt = performance.now();
    await vi.waitFor(
      () => {
        expect(h.transitions, 'app1 marked up again within the bound').toHaveLength(2);
      },
      within(UP_BOUND + TOLERANCE),
    );
    const up = h.transitions[1] as Transition;
    expect(up).toMatchObject({ server: 'app1', healthy: true, reason: '2 consecutive successes: HTTP 200' });
    console.log(`recovery: up in ${(up.at - fixedAt).toFixed(0)}ms (bound ${UP_BOUND}ms)`);
    await sleep(600);
    expect(h.transitions).toHaveLength(2);
    expect(t.maxInflight).toBe(1);
  });

  it('detects a hanging server by timeout and never overlaps probes', async () => {
    const t = await startTarget();
    const h = started(harness());
    h.checker.add({ name: 'app1', url: t.url });
    await vi.waitFor(() => {
      expect(h.probes.length, 'a first probe').toBeGreaterThanOrEqual(1);
    }, within(1000));
    t.mode = 'hang';
    const hungAt = performance.now();
    await vi.waitFor(
      () => {
        expect(h.transitions, 'app1 marked down by timeout within the bound').toHaveLength(1);
      },
      within(DOWN_BOUND + TOLERANCE),
    );
    const down = h.transitions[0] as Transition;
    expect(down.reason).toBe('2 consecutive failures: timeout after 100ms');
    console.log(`hang: detected in ${(down.at - hungAt).toFixed(0)}ms (bound ${DOWN_BOUND}ms)`);
    await sleep(500);
    expect(h.transitions).toHaveLength(1);
    expect(t.maxInflight).toBe(1);
  });

  it('runs probes back to back, never two at once, when the timeout exceeds the interval', async () => {
    const t = await startTarget();
    t.mode = 'hang';
    const h = started(harness({ ...base, interval: 100, fastInterval: 50, timeout: 300 }));
    h.checker.add({ name: 'app1', url: t.url });
    await sleep(1500);
    await h.checker.stop();
    expect(t.maxInflight).toBe(1);
    // 1.5s of 300ms probes started end-to-start: about five, never more than six.
    expect(t.requests).toBeGreaterThanOrEqual(3);
    expect(t.requests).toBeLessThanOrEqual(6);
    expect(h.transitions.map((x) => x.healthy)).toEqual([false]);
  });

  it('probes a down server at the fast pace, so it is back within about rise × fastInterval', async () => {
    const t = await startTarget();
    t.mode = 'fail';
    // A long interval: at that pace a down server would be probed about once in the window.
    const h = started(harness({ ...base, interval: 1500, fastInterval: 100, timeout: 100 }));
    h.checker.add({ name: 'app1', url: t.url }, false);
    await sleep(200);
    const before = t.requests;
    await sleep(1000);
    expect(t.requests - before, 'probes of the down server in 1 s').toBeGreaterThanOrEqual(6);
    t.mode = 'ok';
    const backAt = performance.now();
    await vi.waitFor(() => expect(h.transitions).toHaveLength(1), within(2 * 100 + 100 + TOLERANCE));
    expect(h.transitions[0]?.healthy).toBe(true);
    expect((h.transitions[0]?.at ?? 0) - backAt).toBeLessThan(2 * 100 + 100 + TOLERANCE);
  });

  it('brings an initially unhealthy server up after rise successes', async () => {
    const t = await startTarget();
    const h = started(harness());
    h.checker.add({ name: 'app1', url: t.url }, false);
    expect(h.checker.status('app1')?.healthy).toBe(false);
    await vi.waitFor(
      () => {
        expect(h.transitions, 'the initially unhealthy server brought up').toHaveLength(1);
      },
      within(UP_BOUND + TOLERANCE),
    );
    expect(h.transitions[0]).toMatchObject({ healthy: true });
    expect(h.checker.status('app1')).toMatchObject({ healthy: true, consecutiveFail: 0 });
  });

  it('stop() aborts the probe in flight and nothing is probed afterwards', async () => {
    const t = await startTarget();
    t.mode = 'hang';
    const h = started(harness({ ...base, timeout: 5000 }));
    h.checker.add({ name: 'app1', url: t.url });
    await vi.waitFor(() => {
      expect(t.inflight, 'a probe in flight').toBe(1);
    }, within(1000));
    const t0 = performance.now();
    await h.checker.stop();
    expect(performance.now() - t0).toBeLessThan(200);
    await vi.waitFor(() => {
      expect(t.inflight, 'the aborted probe to be over on the server').toBe(0);
    }, within(1000));
    const seen = t.requests;
    await sleep(600);
    expect(t.requests).toBe(seen);
    expect(h.probes).toEqual([]); // the aborted probe's result is dropped
  });

  it('remove() stops probing that server only', async () => {
    const [a, b] = [await startTarget(), await startTarget()];
    const h = started(harness());
    h.checker.add({ name: 'a', url: a.url });
    h.checker.add({ name: 'b', url: b.url });
    await vi.waitFor(() => {
      expect(a.requests, 'a probe of a').toBeGreaterThanOrEqual(1);
      expect(b.requests, 'a probe of b').toBeGreaterThanOrEqual(1);
    }, within(1000));
    h.checker.remove('a');
    expect(h.checker.status('a')).toBeUndefined();
    await sleep(50);
    const [seenA, seenB] = [a.requests, b.requests];
    await sleep(500);
    expect(a.requests).toBe(seenA);
    expect(b.requests).toBeGreaterThan(seenB);
  });

  it('setHealthy() overrides silently and restarts the streaks', async () => {
    const t = await startTarget();
    const h = started(harness());
    h.checker.add({ name: 'app1', url: t.url });
    await vi.waitFor(() => {
      expect(h.checker.status('app1')?.consecutiveOk ?? 0, 'a successful probe').toBeGreaterThanOrEqual(1);
    }, within(1000));
    expect(h.checker.setHealthy('app1', false)).toBe(true);
    expect(h.checker.status('app1')).toMatchObject({ healthy: false, consecutiveOk: 0, consecutiveFail: 0 });
    expect(h.transitions).toEqual([]);
    // Probes still succeed, so the checker brings it back through a normal (announced) rise.
    await vi.waitFor(
      () => {
        expect(h.transitions, 'app1 brought back up').toHaveLength(1);
      },
      within(UP_BOUND + TOLERANCE),
    );
    expect(h.transitions[0]).toMatchObject({ healthy: true });
    expect(h.checker.setHealthy('nope', true)).toBe(false);
  });

  it('tcp checks mark a refused server down', async () => {
    const port = await closedPort();
    const h = started(
      harness({ type: 'tcp', interval: 200, fastInterval: 100, timeout: 100, rise: 2, fall: 2 }),
    );
    h.checker.add({ name: 'gone', url: `http://127.0.0.1:${port}` });
    await vi.waitFor(
      () => {
        expect(h.transitions, 'the refused server marked down').toHaveLength(1);
      },
      within(DOWN_BOUND + TOLERANCE),
    );
    expect(h.transitions[0]?.reason).toBe('2 consecutive failures: connect ECONNREFUSED');
  });

  it('rejects adding the same server twice', () => {
    const h = harness();
    h.checker.add({ name: 'a', url: 'http://127.0.0.1:1' });
    expect(() => h.checker.add({ name: 'a', url: 'http://127.0.0.1:2' })).toThrow(/added twice/);
  });
});
