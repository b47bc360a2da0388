import { pickWeighted } from './random.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';

/**
 * Two distinct candidates drawn at random *by weight*; the lower cost wins, a tie goes to the
 * first drawn. Drawing by weight lets a heavy server be considered more often, and the cost
 * (load per unit of weight) lets it carry more before it loses a comparison.
 */
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

/** Mitzenmacher's power of two choices on requests in flight per unit of weight. */
export function powerOfTwoChoices(random: () => number): BalancingAlgorithm {
  return {
    name: 'power-of-two-choices',
    pick: (candidates) => pickTwo(candidates, random, (c) => c.inflight / c.weight),
  };
}
