import { pickWeighted } from './random.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';

/** Two distinct servers drawn by weight; the lower cost wins (ties: the first drawn). */
export function pickTwo(
  candidates: readonly Candidate[],
  random: () => number,
  cost: (c: Candidate) => number,
): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  const a = pickWeighted(candidates, random) as Candidate;
  const b = pickWeighted(
    candidates.filter((c) => c !== a),
    random,
  ) as Candidate;
  return cost(b) < cost(a) ? b : a;
}

/** Mitzenmacher's power of two choices on in-flight requests per unit of weight. */
export function powerOfTwoChoices(random: () => number): BalancingAlgorithm {
  return {
    name: 'power-of-two-choices',
    pick: (candidates) => pickTwo(candidates, random, (c) => c.inflight / c.weight),
  };
}
