import { describe, expect, it } from 'vitest';
import { ALGORITHM_NAMES, type AlgorithmName } from '../config/types.ts';
import { createAlgorithm } from './index.ts';
import type { BalancingAlgorithm, Candidate, PickContext } from './types.ts';

/** Deterministic PRNG (mulberry32) so distribution tests never flake. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const server = (name: string, weight = 1, inflight = 0): Candidate => ({ name, weight, inflight });
const ctx = (clientIp = '10.0.0.1', headers: PickContext['headers'] = {}): PickContext => ({
  clientIp,
  headers,
});

function make(name: AlgorithmName, all: readonly Candidate[] = [], clock?: () => number): BalancingAlgorithm {
  const algorithm = createAlgorithm(name, {
    hashKey: { from: 'client-ip' },
    random: seeded(42),
    ...(clock ? { clock } : {}),
  });
  algorithm.updateServers?.(all);
  return algorithm;
}

function shares(
  algorithm: BalancingAlgorithm,
  candidates: readonly Candidate[],
  picks: number,
  ip?: (i: number) => string,
) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < picks; i++) {
    const picked = algorithm.pick(candidates, ctx(ip ? ip(i) : '10.0.0.1'));
    if (picked) counts[picked.name] = (counts[picked.name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / picks]));
}

/**
 * Picks under a simulated load: each pick stays in flight for the next `window` picks, and
 * the algorithm hears back `latencyOf(name)` when it completes.
 */
function simulate(
  algorithm: BalancingAlgorithm,
  servers: readonly Candidate[],
  picks: number,
  latencyOf: (name: string) => number = () => 5,
  window = 6,
) {
  const inflight = new Map(servers.map((s) => [s.name, 0]));
  const outstanding: string[] = [];
  const counts: Record<string, number> = {};
  for (let i = 0; i < picks; i++) {
    const view = servers.map((s) => server(s.name, s.weight, inflight.get(s.name) ?? 0));
    const picked = algorithm.pick(view, ctx(ipOf(i)));
    if (!picked) continue;
    counts[picked.name] = (counts[picked.name] ?? 0) + 1;
    inflight.set(picked.name, (inflight.get(picked.name) ?? 0) + 1);
    outstanding.push(picked.name);
    if (outstanding.length > window) {
      const done = outstanding.shift() as string;
      inflight.set(done, (inflight.get(done) ?? 1) - 1);
      algorithm.observe?.(done, latencyOf(done), true);
    }
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / picks]));
}

const weighted = [server('a', 3), server('b', 1), server('c', 1)];
const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('distribution by weight', () => {
  it.each([
    ['weighted-round-robin', 0.001],
    ['random', 0.03],
    ['ip-hash', 0.03],
    ['consistent-hash', 0.05],
  ] as const)('%s gives shares proportional to weight', (name, tolerance) => {
    const got = shares(make(name, weighted), weighted, 10_000, ipOf);
    expect(got.a).toBeCloseTo(0.6, 0);
    expect(Math.abs((got.a ?? 0) - 0.6)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((got.b ?? 0) - 0.2)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((got.c ?? 0) - 0.2)).toBeLessThanOrEqual(tolerance);
  });

  it.each(['round-robin', 'least-connections', 'power-of-two-choices', 'latency'] as const)(
    '%s spreads evenly over idle equal servers',
    (name) => {
      const equal = [server('a'), server('b'), server('c')];
      const got = shares(make(name, equal), equal, 3000);
      for (const n of ['a', 'b', 'c']) expect(Math.abs((got[n] ?? 0) - 1 / 3)).toBeLessThan(0.05);
    },
  );
});

describe('every algorithm: servers leave and return', () => {
  it.each(ALGORITHM_NAMES)('%s never picks a missing server and takes a returning one back', (name) => {
    const all = [server('a', 2), server('b'), server('c')];
    const algorithm = make(name, all);
    expect(algorithm.pick([], ctx())).toBeUndefined();
    const without = all.filter((s) => s.name !== 'b');
    const during = simulate(algorithm, without, 2000);
    expect(during.b).toBeUndefined();
    expect(Object.keys(during).sort()).toEqual(['a', 'c']);
    const after = simulate(algorithm, all, 3000);
    expect(after.b ?? 0).toBeGreaterThan(0.1);
  });
});

describe('round-robin and smooth weighted round-robin', () => {
  it('round-robin rotates in order and keeps rotating when the list shrinks', () => {
    const rr = make('round-robin');
    const abc = [server('a'), server('b'), server('c')];
    expect([1, 2, 3, 4].map(() => rr.pick(abc, ctx())?.name)).toEqual(['a', 'b', 'c', 'a']);
    expect([1, 2, 3].map(() => rr.pick([server('a'), server('c')], ctx())?.name)).toEqual(['c', 'a', 'c']);
  });

  it('weighted round-robin interleaves like nginx (5:1:1 → a a b a c a a)', () => {
    const wrr = make('weighted-round-robin');
    const list = [server('a', 5), server('b'), server('c')];
    expect(Array.from({ length: 7 }, () => wrr.pick(list, ctx())?.name).join(' ')).toBe('a a b a c a a');
  });
});

describe('least connections', () => {
  it('picks the least loaded, rotating among ties', () => {
    const lc = make('least-connections');
    const list = [server('a', 1, 5), server('b', 1, 1), server('c', 1, 1)];
    const picks = Array.from({ length: 4 }, () => lc.pick(list, ctx())?.name);
    expect(new Set(picks)).toEqual(new Set(['b', 'c']));
  });

  it('weighted: in flight per weight (a has 4 on weight 4, b has 2 on weight 1)', () => {
    const wlc = make('weighted-least-connections');
    expect(wlc.pick([server('a', 4, 4), server('b', 1, 2)], ctx())?.name).toBe('a');
    expect(wlc.pick([server('a', 4, 0), server('b', 1, 0)], ctx())?.name).toBe('a');
  });
});

describe('power of two choices', () => {
  it('mostly avoids a heavily loaded server', () => {
    const list = [server('a', 1, 50), server('b', 1, 0), server('c', 1, 0), server('d', 1, 0)];
    const got = shares(make('power-of-two-choices'), list, 4000);
    // a wins only when drawn against itself, which never happens: it is never picked.
    expect(got.a ?? 0).toBe(0);
  });
});

describe('latency (peak EWMA)', () => {
  it('sends less to a slow server and recovers its share after decay', () => {
    let t = 0;
    const algorithm = make('latency', [], () => t);
    const list = [server('fast'), server('slow'), server('other')];
    const jitter = seeded(7);
    let slowMs = 200;
    const latencyOf = (name: string) => {
      t += 2; // every completion advances the clock 2ms
      return (name === 'slow' ? slowMs : 5) + jitter() * 2;
    };
    const slowShare = simulate(algorithm, list, 3000, latencyOf).slow ?? 0;
    expect(slowShare).toBeLessThan(0.1);
    slowMs = 5;
    t += 60_000; // a minute later the slow server's peak has decayed
    const recovered = simulate(algorithm, list, 3000, latencyOf).slow ?? 0;
    expect(recovered).toBeGreaterThan(0.2);
  });

  it('a failure counts as a penalty sample', () => {
    const algorithm = make('latency', [], () => 0);
    algorithm.observe?.('a', 2, false);
    algorithm.observe?.('b', 5, true);
    expect(shares(algorithm, [server('a'), server('b')], 500).a ?? 0).toBe(0);
  });
});

describe('consistent hash remapping', () => {
  const five = ['s1', 's2', 's3', 's4', 's5'].map((n) => server(n));
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  const assign = (algorithm: BalancingAlgorithm, candidates: readonly Candidate[]) =>
    keys.map((k) => algorithm.pick(candidates, ctx('127.0.0.1', { 'x-user': k }))?.name);
  const byHeader = (all: readonly Candidate[]) => {
    const a = createAlgorithm('consistent-hash', { hashKey: { from: 'header', name: 'X-User' } });
    a.updateServers?.(all);
    return a;
  };

  it('removing one of five servers moves only its keys (~1/5)', () => {
    const before = assign(byHeader(five), five);
    const four = five.filter((s) => s.name !== 's3');
    for (const algorithm of [byHeader(five), byHeader(four)]) {
      const after = assign(algorithm, four);
      let moved = 0;
      for (let i = 0; i < keys.length; i++) {
        if (before[i] !== after[i]) {
          moved++;
          expect(before[i]).toBe('s3'); // nobody else's key moves
        }
      }
      expect(moved / keys.length).toBeGreaterThan(0.12);
      expect(moved / keys.length).toBeLessThan(0.28);
    }
  });

  it('adding a sixth server takes ~1/6 of keys, all of them moving to it', () => {
    const before = assign(byHeader(five), five);
    const six = [...five, server('s6')];
    const after = assign(byHeader(six), six);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== after[i]) {
        moved++;
        expect(after[i]).toBe('s6');
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.24);
  });

  it('takes the key from a cookie, falling back to the client IP', () => {
    const a = createAlgorithm('consistent-hash', { hashKey: { from: 'cookie', name: 'sid' } });
    a.updateServers?.(five);
    const one = a.pick(five, ctx('1.1.1.1', { cookie: 'x=1; sid=abc' }))?.name;
    for (let i = 0; i < 20; i++)
      expect(a.pick(five, ctx(`2.2.2.${i}`, { cookie: 'sid=abc' }))?.name).toBe(one);
    const byIp = a.pick(five, ctx('9.9.9.9'))?.name;
    expect(a.pick(five, ctx('9.9.9.9', { cookie: 'other=1' }))?.name).toBe(byIp);
  });
});

describe('ip-hash', () => {
  it('keeps a client on its server, and only clients of a removed server move', () => {
    const all = [server('a'), server('b'), server('c')];
    const algorithm = make('ip-hash', all);
    const ips = Array.from({ length: 3000 }, (_, i) => ipOf(i));
    const before = ips.map((ip) => algorithm.pick(all, ctx(ip))?.name);
    expect(ips.map((ip) => algorithm.pick(all, ctx(ip))?.name)).toEqual(before);
    const without = all.filter((s) => s.name !== 'a');
    const after = ips.map((ip) => algorithm.pick(without, ctx(ip))?.name);
    for (let i = 0; i < ips.length; i++) {
      if (before[i] !== 'a') expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe('a');
    }
  });
});
