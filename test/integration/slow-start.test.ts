import { afterEach, describe, expect, it } from 'vitest';
import { failures, runLoad, type TestLoadResult } from '../fixtures/load.ts';
import { Stack } from '../fixtures/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** app1's share of the requests sent in [fromMs, toMs) after the load started. */
function shareOfApp1(results: readonly TestLoadResult[], fromMs: number, toMs: number): number {
  const inWindow = results.filter((r) => r.sentAt >= fromMs && r.sentAt < toMs);
  return inWindow.filter((r) => r.servedBy === 'app1').length / Math.max(1, inWindow.length);
}

describe('slow start (real child processes)', () => {
  it('a server back from a freeze takes a rising share of requests over the window, not all of it at once', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1' }, { name: 'app2' }, { name: 'app3', backup: true }],
      pool: { algorithm: 'round-robin', slowStart: { window: '3s', minPercent: 10 } },
      config: { timeouts: { responseHeaders: '1s' } },
    });
    const s = stack;
    s.backend('app1').freeze();
    await s.waitFor((e) => e.kind === 'server-down' && e.server === 'app1', 4000);
    s.backend('app1').thaw();
    const up = await s.waitFor((e) => e.kind === 'server-up' && e.server === 'app1', 4000);
    const ramp = await s.waitFor((e) => e.kind === 'slow-start' && e.server === 'app1', 1000);
    expect(ramp).toMatchObject({ windowMs: 3000, trigger: 'health-up' });
    expect(ramp.at - up.at).toBeLessThan(50);

    const results = await runLoad({ url: s.url, rate: 150, durationMs: 4000 });
    expect(failures(results)).toEqual([]);
    const early = shareOfApp1(results, 0, 1000);
    const middle = shareOfApp1(results, 1000, 2000);
    const late = shareOfApp1(results, 2000, 3000);
    const after = shareOfApp1(results, 3200, 4000);
    const shares = JSON.stringify({ early, middle, late, after });
    // Round robin gives app1 half; during the ramp it keeps its turn with probability
    // elapsed / window (at least 10 %): about 11 %, 25 % and 42 % in the three seconds.
    expect(early, shares).toBeGreaterThan(0);
    expect(early, shares).toBeLessThan(0.25);
    expect(late, shares).toBeGreaterThan(early + 0.1);
    expect(middle, shares).toBeLessThan(after);
    expect(after, shares).toBeGreaterThan(0.4);
  });
});
