import { describe, expect, it } from 'vitest';
import { ctx, make, sequence, server, shares } from './test-helpers.ts';

const abc = [server('a'), server('b'), server('c')];

describe('round-robin', () => {
  it('rotates in order', () => {
    expect(sequence(make('round-robin'), abc, 7).join('')).toBe('abcabca');
  });

  it('continues from the gap when the last-picked server leaves, and resumes when it returns', () => {
    const rr = make('round-robin');
    const abcd = [...abc, server('d')];
    expect(sequence(rr, abcd, 2).join('')).toBe('ab');
    const withoutB = abcd.filter((s) => s.name !== 'b');
    expect(sequence(rr, withoutB, 4).join('')).toBe('cdac');
    expect(sequence(rr, abcd, 5).join('')).toBe('dabcd');
  });

  it('takes a new server into the rotation at its place', () => {
    const rr = make('round-robin');
    expect(sequence(rr, abc, 2).join('')).toBe('ab');
    const grown = [server('a'), server('b'), server('x'), server('c')];
    expect(sequence(rr, grown, 5).join('')).toBe('xcabx');
  });

  it('a retry that excludes the server just tried goes on to the next one', () => {
    const rr = make('round-robin');
    expect(rr.pick(abc, ctx())?.name).toBe('a');
    expect(rr.pick(abc, ctx())?.name).toBe('b');
    expect(rr.pick([server('a'), server('c')], ctx())?.name).toBe('c');
    expect(rr.pick([server('a')], ctx())?.name).toBe('a');
    expect(rr.pick([], ctx())).toBeUndefined();
    expect(rr.pick(abc, ctx())?.name).toBe('b');
  });
});

describe('smooth weighted round-robin', () => {
  it('interleaves like nginx: 3:1:1 → a b a c a, 5:1:1 → a a b a c a a', () => {
    const three = [server('a', 3), server('b'), server('c')];
    expect(sequence(make('weighted-round-robin'), three, 10).join(' ')).toBe('a b a c a a b a c a');
    const five = [server('a', 5), server('b'), server('c')];
    expect(sequence(make('weighted-round-robin'), five, 7).join(' ')).toBe('a a b a c a a');
  });

  it('stays smooth and exact while a server is away and after it returns', () => {
    const all = [server('a', 3), server('b'), server('c')];
    const wrr = make('weighted-round-robin', all);
    sequence(wrr, all, 4);
    const away = sequence(
      wrr,
      all.filter((s) => s.name !== 'c'),
      400,
    );
    expect(away.filter((n) => n === 'a')).toHaveLength(300);
    expect(away.join('')).not.toMatch(/aaaa|bb/);
    const back = sequence(wrr, all, 500);
    expect(back.filter((n) => n === 'a').length).toBeGreaterThanOrEqual(299);
    expect(back.filter((n) => n === 'a').length).toBeLessThanOrEqual(301);
    expect(back.filter((n) => n === 'c').length).toBeGreaterThanOrEqual(99);
    // Smooth: never three in a row of the weight-3 server, never b or c twice in a row.
    expect(back.join('')).not.toMatch(/aaa|bb|cc/);
    // Each window of 5 consecutive picks serves c at most twice (no catch-up burst).
    for (let i = 0; i + 5 <= back.length; i++) {
      expect(back.slice(i, i + 5).filter((n) => n === 'c').length).toBeLessThanOrEqual(2);
    }
  });

  it('follows a weight change', () => {
    const wrr = make('weighted-round-robin');
    sequence(wrr, [server('a', 3), server('b')], 8);
    const changed = [server('a', 1), server('b', 3)];
    wrr.updateServers?.(changed);
    const got = shares(wrr, changed, 400);
    expect(got.b).toBeCloseTo(0.75, 2);
  });
});

describe('least connections', () => {
  it('picks the least loaded server', () => {
    const lc = make('least-connections');
    expect(lc.pick([server('a', 1, 5), server('b', 1, 2), server('c', 1, 3)], ctx())?.name).toBe('b');
    expect(lc.pick([server('a', 9, 1), server('b', 1, 0)], ctx())?.name).toBe('b');
  });

  it('rotates among equally loaded servers instead of always taking the first', () => {
    const lc = make('least-connections');
    const list = [server('a', 1, 5), server('b', 1, 1), server('c', 1, 1), server('d', 1, 1)];
    expect(sequence(lc, list, 6).join('')).toBe('bcdbcd');
  });
});

describe('weighted least connections', () => {
  it('compares in flight per unit of weight', () => {
    const wlc = make('weighted-least-connections');
    // a: 4 per weight 4 = 1; b: 2 per weight 1 = 2.
    expect(wlc.pick([server('a', 4, 4), server('b', 1, 2)], ctx())?.name).toBe('a');
    // a: 9/4 > b: 2/1.
    expect(wlc.pick([server('a', 4, 9), server('b', 1, 2)], ctx())?.name).toBe('b');
  });

  it('breaks ties by higher weight, then round-robin', () => {
    const wlc = make('weighted-least-connections');
    expect(wlc.pick([server('a', 1, 0), server('b', 4, 0)], ctx())?.name).toBe('b');
    expect(wlc.pick([server('a', 1, 1), server('b', 2, 2)], ctx())?.name).toBe('b');
    const even = [server('a', 2, 2), server('b', 2, 2), server('c', 1, 1)];
    expect(sequence(wlc, even, 4).join('')).toBe('abab');
  });
});
