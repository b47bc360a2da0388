import type { BalancingAlgorithm, Candidate } from './types.ts';

/** One candidate drawn with probability proportional to its weight. */
export function pickWeighted(candidates: readonly Candidate[], random: () => number): Candidate | undefined {
  let total = 0;
  for (const c of candidates) total += c.weight;
  let point = random() * total;
  for (const c of candidates) {
    point -= c.weight;
    if (point < 0) return c;
  }
  return candidates.at(-1);
}

export function randomPick(random: () => number): BalancingAlgorithm {
  return { name: 'random', pick: (candidates) => pickWeighted(candidates, random) };
}
