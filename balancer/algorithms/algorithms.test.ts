import { describe, expect, it } from 'vitest';
import { ALGORITHM_NAMES } from '../config/types.ts';
import { createAlgorithm } from './index.ts';
import { ctx, ipOf, make, server, shares, simulate } from './test-helpers.ts';

const weighted = [server('a', 3), server('b', 1), server('c', 1)];

describe('registry', () => {
  it.each(ALGORITHM_NAMES)('%s is registered and answers undefined for no candidates', (name) => {
    const algorithm = createAlgorithm(name, { hashKey: { from: 'client-ip' } });
    expect(algorithm.name).toBe(name);
    expect(algorithm.pick([], ctx())).toBeUndefined();
    expect(algorithm.pick([server('only')], ctx())?.name).toBe('only');
  });
});

describe('distribution', () => {
  it.each([
    ['weighted-round-robin', 0.001],
    ['random', 0.02],
    ['power-of-two-choices', 0.02],
    ['latency', 0.02],
    ['ip-hash', 0.02],
    ['consistent-hash', 0.04],
  ] as const)('%s gives idle servers shares proportional to weight 3:1:1', (name, tolerance) => {
    const got = shares(make(name, weighted), weighted, 10_000, ipOf);
    expect(Math.abs((got.a ?? 0) - 0.6)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((got.b ?? 0) - 0.2)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((got.c ?? 0) - 0.2)).toBeLessThanOrEqual(tolerance);
  });

  it.each([
    'round-robin',
    'least-connections',
    'weighted-least-connections',
    'power-of-two-choices',
    'latency',
  ] as const)('%s spreads evenly over idle equal servers', (name) => {
    const equal = [server('a'), server('b'), server('c')];
    const got = shares(make(name, equal), equal, 3000);
    for (const n of ['a', 'b', 'c']) expect(Math.abs((got[n] ?? 0) - 1 / 3)).toBeLessThan(0.03);
  });

  it.each(['weighted-least-connections', 'power-of-two-choices'] as const)(
    '%s under load gives the weight-3 server the larger share',
    (name) => {
      const got = simulate(make(name, weighted), weighted, 10_000, () => 5, 20);
      expect(got.a ?? 0).toBeGreaterThan(0.45);
      expect(got.b ?? 0).toBeGreaterThan(0.12);
      expect(got.c ?? 0).toBeGreaterThan(0.12);
    },
  );
});

describe('every algorithm: servers leave and return', () => {
  it.each(ALGORITHM_NAMES)('%s never picks a missing server and takes a returning one back', (name) => {
    const all = [server('a', 2), server('b'), server('c')];
    const algorithm = make(name, all);
    const before = simulate(algorithm, all, 2000);
    expect(before.b ?? 0).toBeGreaterThan(0.1);
    const during = simulate(
      algorithm,
      all.filter((s) => s.name !== 'b'),
      2000,
    );
    expect(during.b).toBeUndefined();
    expect(Object.keys(during).sort()).toEqual(['a', 'c']);
    const after = simulate(algorithm, all, 3000);
    expect(after.b ?? 0).toBeGreaterThan(0.1);
    expect(Math.abs((after.b ?? 0) - (before.b ?? 0))).toBeLessThan(0.05);
  });

  it.each(ALGORITHM_NAMES)(
    '%s copes with a server removed from, then re-added to, the configuration',
    (name) => {
      const all = [server('a'), server('b'), server('c')];
      const algorithm = make(name, all);
      const two = all.filter((s) => s.name !== 'c');
      algorithm.updateServers?.(two);
      expect(Object.keys(simulate(algorithm, two, 600)).sort()).toEqual(['a', 'b']);
      algorithm.updateServers?.(all);
      expect(simulate(algorithm, all, 3000).c ?? 0).toBeGreaterThan(0.2);
    },
  );
});
