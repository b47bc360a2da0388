import { describe, expect, it } from 'vitest';
import { createAlgorithm } from './index.ts';
import { ctx, make, seeded, server, shares, simulate } from './test-helpers.ts';
import type { BalancingAlgorithm } from './types.ts';

describe('random', () => {
  it('draws by weight from the injected source', () => {
    const values = [0, 0.59, 0.61, 0.99];
    const random = createAlgorithm('random', {
      hashKey: { from: 'client-ip' },
      random: () => values.shift() ?? 0,
    });
    const list = [server('a', 3), server('b'), server('c')];
    expect([1, 2, 3, 4].map(() => random.pick(list, ctx())?.name)).toEqual(['a', 'a', 'b', 'c']);
  });
});

describe('power of two choices', () => {
  it('never picks a heavily loaded server, since it always loses its comparison', () => {
    const list = [server('a', 1, 50), server('b', 1, 0), server('c', 1, 0), server('d', 1, 0)];
    const got = shares(make('power-of-two-choices'), list, 4000);
    expect(got.a ?? 0).toBe(0);
    for (const n of ['b', 'c', 'd']) expect(got[n] ?? 0).toBeGreaterThan(0.25);
  });

  it('of two candidates always takes the less loaded per unit of weight', () => {
    const p2c = make('power-of-two-choices');
    for (let i = 0; i < 50; i++) {
      expect(p2c.pick([server('a', 1, 3), server('b', 2, 5)], ctx())?.name).toBe('b');
    }
  });
});

describe('latency (peak EWMA)', () => {
  it('sends less to a slow server and gives its share back after it recovers and decays', () => {
    let t = 0;
    const algorithm = make('latency', [], () => t);
    const list = [server('fast'), server('slow'), server('other')];
    const jitter = seeded(7);
    let slowMs = 200;
    const latencyOf = (name: string) => {
      t += 2; // every completion advances the clock 2 ms
      return (name === 'slow' ? slowMs : 5) + jitter() * 2;
    };
    const slowShare = simulate(algorithm, list, 3000, latencyOf).slow ?? 0;
    expect(slowShare).toBeLessThan(0.05);
    slowMs = 5;
    t += 60_000; // a minute later the slow server's peak has decayed and it is probed again
    const recovered = simulate(algorithm, list, 3000, latencyOf).slow ?? 0;
    expect(recovered).toBeGreaterThan(0.25);
  });

  it('one stall of the fast server is forgotten within its next answers, not over seconds', () => {
    let t = 0;
    const algorithm = make('latency', [], () => t);
    const list = [server('fast'), server('slow')];
    // Warm: the slow one answers in 100 ms, the fast one in 5 ms, 200 req/s.
    const latencyOf = (name: string) => {
      t += 5;
      return name === 'slow' ? 100 : 5;
    };
    simulate(algorithm, list, 1000, latencyOf);
    algorithm.observe?.('fast', 130, true); // one stall (a GC pause, a busy core)
    const after = simulate(algorithm, list, 1000, latencyOf); // the next 5 s
    // A few picks while the stall is forgotten, then its probes: not half the traffic for
    // seconds, as with time-weighted samples alone (51 % here).
    expect(after.slow ?? 0).toBeLessThan(0.03);
  });

  it('a failure counts as a penalty sample of at least the floor, even when it fails fast', () => {
    const algorithm = make('latency', [], () => 0);
    algorithm.observe?.('a', 2, false);
    algorithm.observe?.('b', 5, true);
    expect(shares(algorithm, [server('a'), server('b')], 500).a ?? 0).toBe(0);
  });

  it('repeated failures raise the penalty, so the server waits longer before it is probed again', () => {
    const probedAfter = (failures: number) => {
      let t = 0;
      const algorithm = make('latency', [], () => t);
      for (let i = 0; i < failures; i++) algorithm.observe?.('a', 2, false);
      const list = [server('a'), server('b')];
      const first = (): number => {
        for (; t < 600_000; t += 1000) {
          algorithm.observe?.('b', 5, true);
          if (algorithm.pick(list, ctx())?.name === 'a') return t;
        }
        return Number.POSITIVE_INFINITY;
      };
      return first();
    };
    const once = probedAfter(1);
    // One failure: the 1000 ms floor decays below 5 ms after 10 s × ln(200) ≈ 53 s.
    expect(once).toBeGreaterThan(40_000);
    expect(once).toBeLessThan(70_000);
    const many = probedAfter(10);
    expect(many).toBeGreaterThan(once + 20_000);
    expect(many).toBeLessThan(120_000); // capped, so it is still probed within minutes
  });

  it('probes a server once slow about every second instead of starving it until its estimate decays', () => {
    let t = 0;
    const algorithm = make('latency', [], () => t);
    algorithm.observe?.('a', 100, true); // one slow answer (a cold start, a fault since gone)
    algorithm.observe?.('b', 3, true);
    const list = [server('a'), server('b')];
    const picksOfA: number[] = [];
    for (; t < 5000; t += 5) {
      const picked = algorithm.pick(list, ctx())?.name as string;
      if (picked === 'a') picksOfA.push(t);
      // a answers slowly while t < 2500 (still faulty), then fast like b
      algorithm.observe?.(picked, picked === 'a' && t < 2500 ? 100 : 3, true);
    }
    // Probed once a second while slow: it costs one request a second, not its share.
    const whileSlow = picksOfA.filter((at) => at < 2500);
    expect(whileSlow.length).toBeGreaterThanOrEqual(2);
    expect(whileSlow.length).toBeLessThanOrEqual(3);
    // Fast again: the next probe finds out and it competes for traffic again within ~1s.
    expect(picksOfA.filter((at) => at >= 3600).length).toBeGreaterThan(50);
  });

  it('probes a new server once, without flooding it before its first answer', () => {
    let t = 0;
    const algorithm = make('latency', [], () => t);
    for (const n of ['a', 'b']) algorithm.observe?.(n, 5, true);
    let newInflight = 0;
    let newPicks = 0;
    const pickOnce = () => {
      const list = [server('a'), server('b'), server('new', 1, newInflight)];
      const name = algorithm.pick(list, ctx())?.name;
      t += 1;
      if (name === 'new') {
        newInflight++;
        newPicks++;
      } else if (name) algorithm.observe?.(name, 5, true);
    };
    for (let i = 0; i < 1000; i++) pickOnce();
    expect(newPicks).toBe(1); // its one request hangs: everything else goes elsewhere
    newInflight = 0;
    algorithm.observe?.('new', 5, true);
    const got = simulate(algorithm, [server('a'), server('b'), server('new')], 3000, () => 5);
    expect(Math.abs((got.new ?? 0) - 1 / 3)).toBeLessThan(0.05);
  });

  it('uses performance.now and Math.random when nothing is injected', () => {
    const algorithm: BalancingAlgorithm = createAlgorithm('latency', { hashKey: { from: 'client-ip' } });
    algorithm.observe?.('a', 500, true);
    algorithm.observe?.('b', 5, true);
    expect(shares(algorithm, [server('a'), server('b')], 200).a ?? 0).toBe(0);
  });
});
