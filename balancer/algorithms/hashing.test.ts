import { describe, expect, it } from 'vitest';
import type { HashKeySource } from '../config/types.ts';
import { createAlgorithm } from './index.ts';
import { ctx, ipOf, make, server, tally } from './test-helpers.ts';
import type { BalancingAlgorithm, Candidate, PickContext } from './types.ts';

const assign = (algorithm: BalancingAlgorithm, candidates: readonly Candidate[], contexts: PickContext[]) =>
  contexts.map((c) => algorithm.pick(candidates, c)?.name);

/** Keys that moved, and whether every one of them moved from (or to) `only`. */
function moves(before: (string | undefined)[], after: (string | undefined)[]) {
  const moved = before.flatMap((b, i) => (b === after[i] ? [] : [{ from: b, to: after[i] }]));
  return {
    fraction: moved.length / before.length,
    from: new Set(moved.map((m) => m.from)),
    to: new Set(moved.map((m) => m.to)),
  };
}

describe('ip-hash', () => {
  const all = [server('a'), server('b'), server('c')];
  const clients = Array.from({ length: 3000 }, (_, i) => ctx(ipOf(i)));

  it('keeps a client on its server; only the clients of a removed server move, and they return', () => {
    const algorithm = make('ip-hash', all);
    const before = assign(algorithm, all, clients);
    expect(assign(algorithm, all, clients)).toEqual(before);
    const during = assign(
      algorithm,
      all.filter((s) => s.name !== 'a'),
      clients,
    );
    const { fraction, from } = moves(before, during);
    expect(from).toEqual(new Set(['a']));
    expect(fraction).toBeGreaterThan(0.28);
    expect(fraction).toBeLessThan(0.39);
    expect(during).not.toContain('a');
    expect(assign(algorithm, all, clients)).toEqual(before);
  });

  it('hashes over the configured list even when the candidates differ from it', () => {
    const configured = make('ip-hash', all);
    const learned = make('ip-hash');
    const twoOfThree = all.filter((s) => s.name !== 'c');
    // Never told the full list, it learns names from candidates: c is unknown at first.
    assign(learned, twoOfThree, clients.slice(0, 10));
    assign(learned, all, clients.slice(0, 10));
    expect(assign(learned, all, clients)).toEqual(assign(configured, all, clients));
  });

  it('falls back to weighted round-robin when rehashing finds no candidate', () => {
    const algorithm = make('ip-hash', all);
    const strangers = [server('x', 3), server('y')];
    expect([1, 2, 3, 4].map(() => algorithm.pick(strangers, ctx())?.name)).toEqual(['x', 'x', 'y', 'x']);
  });
});

describe('consistent hash', () => {
  const five = ['s1', 's2', 's3', 's4', 's5'].map((n) => server(n));
  const users = Array.from({ length: 10_000 }, (_, i) => ctx('127.0.0.1', { 'x-user': `user-${i}` }));
  const ring = (all: readonly Candidate[], hashKey: HashKeySource = { from: 'header', name: 'X-User' }) => {
    const algorithm = createAlgorithm('consistent-hash', { hashKey });
    algorithm.updateServers?.(all);
    return algorithm;
  };

  it('spreads keys evenly and by weight', () => {
    const even = tally(assign(ring(five), five, users));
    for (const s of five) expect(Math.abs((even[s.name] ?? 0) - 0.2)).toBeLessThan(0.04);
    const heavy = [server('a', 3), server('b')];
    expect(Math.abs((tally(assign(ring(heavy), heavy, users)).a ?? 0) - 0.75)).toBeLessThan(0.04);
  });

  it('removing one of five servers moves only its keys (~1/5), from candidates or from the configuration', () => {
    const before = assign(ring(five), five, users);
    const four = five.filter((s) => s.name !== 's3');
    for (const algorithm of [ring(five), ring(four)]) {
      const after = assign(algorithm, four, users);
      const { fraction, from } = moves(before, after);
      expect(from).toEqual(new Set(['s3']));
      expect(fraction).toBeGreaterThan(0.16);
      expect(fraction).toBeLessThan(0.24);
    }
  });

  it('a returning server gets exactly its keys back', () => {
    const algorithm = ring(five);
    const before = assign(algorithm, five, users);
    assign(
      algorithm,
      five.filter((s) => s.name !== 's2'),
      users,
    );
    expect(assign(algorithm, five, users)).toEqual(before);
  });

  it('adding a sixth server takes ~1/6 of keys, all of them moving to it', () => {
    const before = assign(ring(five), five, users);
    const six = [...five, server('s6')];
    const { fraction, to } = moves(before, assign(ring(six), six, users));
    expect(to).toEqual(new Set(['s6']));
    expect(fraction).toBeGreaterThan(0.13);
    expect(fraction).toBeLessThan(0.21);
  });

  it('keeps the property with large weights, and builds such a ring quickly', () => {
    const heavy = Array.from({ length: 10 }, (_, i) => server(`h${i}`, 1000));
    const started = performance.now();
    const algorithm = ring(heavy);
    expect(performance.now() - started).toBeLessThan(1000);
    const before = assign(algorithm, heavy, users);
    const nine = heavy.slice(1);
    algorithm.updateServers?.(nine);
    const { fraction, from } = moves(before, assign(algorithm, nine, users));
    expect(from).toEqual(new Set(['h0']));
    expect(fraction).toBeGreaterThan(0.06);
    expect(fraction).toBeLessThan(0.14);
  });

  it('takes the key from a header (case-insensitive name, first of several values)', () => {
    const algorithm = ring(five);
    const one = algorithm.pick(five, ctx('1.1.1.1', { 'x-user': 'alice' }))?.name;
    for (let i = 0; i < 20; i++) {
      expect(algorithm.pick(five, ctx(`2.2.2.${i}`, { 'x-user': ['alice', 'bob'] }))?.name).toBe(one);
    }
  });

  it('takes the key from a cookie, falling back to the client IP when it is missing', () => {
    const algorithm = ring(five, { from: 'cookie', name: 'sid' });
    const one = algorithm.pick(five, ctx('1.1.1.1', { cookie: 'x=1; sid=abc' }))?.name;
    for (let i = 0; i < 20; i++) {
      expect(algorithm.pick(five, ctx(`2.2.2.${i}`, { cookie: 'sid=abc; y=2' }))?.name).toBe(one);
    }
    const byIp = ring(five, { from: 'client-ip' });
    const ips = Array.from({ length: 200 }, (_, i) => ipOf(i));
    for (const ip of ips) {
      const expected = byIp.pick(five, ctx(ip))?.name;
      expect(algorithm.pick(five, ctx(ip, { cookie: 'other=1' }))?.name).toBe(expected);
      expect(algorithm.pick(five, ctx(ip))?.name).toBe(expected);
    }
    expect(new Set(ips.map((ip) => algorithm.pick(five, ctx(ip))?.name)).size).toBe(5);
  });

  it('learns the server list from candidates when never told it', () => {
    const learned = createAlgorithm('consistent-hash', { hashKey: { from: 'header', name: 'x-user' } });
    assign(learned, five.slice(0, 2), users.slice(0, 5));
    assign(learned, five, users.slice(0, 5));
    expect(assign(learned, five, users)).toEqual(assign(ring(five), five, users));
  });
});
