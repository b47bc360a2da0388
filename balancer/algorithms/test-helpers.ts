import type { AlgorithmName } from '../config/types.ts';
import { createAlgorithm } from './index.ts';
import type { BalancingAlgorithm, Candidate, PickContext } from './types.ts';

/** Deterministic PRNG (mulberry32) so distribution tests never flake. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const server = (name: string, weight = 1, inflight = 0): Candidate => ({ name, weight, inflight });

export const ctx = (clientIp = '10.0.0.1', headers: PickContext['headers'] = {}): PickContext => ({
  clientIp,
  headers,
});

/** A distinct IPv4 address per index. */
export const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

export function make(
  name: AlgorithmName,
  all: readonly Candidate[] = [],
  clock?: () => number,
): BalancingAlgorithm {
  const algorithm = createAlgorithm(name, {
    hashKey: { from: 'client-ip' },
    random: seeded(42),
    ...(clock ? { clock } : {}),
  });
  if (all.length > 0) algorithm.updateServers?.(all);
  return algorithm;
}

/** The names of `n` picks from an unchanging list. */
export function sequence(
  algorithm: BalancingAlgorithm,
  candidates: readonly Candidate[],
  n: number,
): string[] {
  return Array.from({ length: n }, () => algorithm.pick(candidates, ctx())?.name ?? '-');
}

export function tally(names: readonly (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of names) if (n !== undefined) counts[n] = (counts[n] ?? 0) + 1 / names.length;
  return counts;
}

/** Shares of `picks` picks with nothing in flight; `ip` varies the client per pick. */
export function shares(
  algorithm: BalancingAlgorithm,
  candidates: readonly Candidate[],
  picks: number,
  ip: (i: number) => string = () => '10.0.0.1',
): Record<string, number> {
  return tally(Array.from({ length: picks }, (_, i) => algorithm.pick(candidates, ctx(ip(i)))?.name));
}

/**
 * Shares of `picks` picks under simulated load: each pick stays in flight for the next `window`
 * picks, and the algorithm then hears `latencyOf(name)` back (as the pool reports it).
 */
export function simulate(
  algorithm: BalancingAlgorithm,
  servers: readonly Candidate[],
  picks: number,
  latencyOf: (name: string) => number = () => 5,
  window = 6,
): Record<string, number> {
  const inflight = new Map(servers.map((s) => [s.name, 0]));
  const outstanding: string[] = [];
  const picked: string[] = [];
  for (let i = 0; i < picks; i++) {
    const view = servers.map((s) => server(s.name, s.weight, inflight.get(s.name) ?? 0));
    const choice = algorithm.pick(view, ctx(ipOf(i)));
    if (!choice) throw new Error('no pick from a non-empty list');
    if (!view.includes(choice)) throw new Error(`picked ${choice.name}, not a candidate object`);
    picked.push(choice.name);
    inflight.set(choice.name, (inflight.get(choice.name) ?? 0) + 1);
    outstanding.push(choice.name);
    if (outstanding.length > window) {
      const done = outstanding.shift() as string;
      inflight.set(done, (inflight.get(done) ?? 1) - 1);
      algorithm.observe?.(done, latencyOf(done), true);
    }
  }
  return tally(picked);
}
