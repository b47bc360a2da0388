import type { BalancingAlgorithm, Candidate } from './types.ts';

/**
 * nginx's smooth weighted round-robin: each pick adds every candidate's weight to its current
 * weight, takes the largest, and subtracts the total from it. Weights 5:1:1 give
 * a a b a c a a, not a a a a a b c.
 */
export function weightedRoundRobin(): BalancingAlgorithm {
  const current = new Map<string, number>();
  return {
    name: 'weighted-round-robin',
    pick(candidates: readonly Candidate[]) {
      let total = 0;
      let best: Candidate | undefined;
      let bestWeight = Number.NEGATIVE_INFINITY;
      for (const c of candidates) {
        const weight = (current.get(c.name) ?? 0) + c.weight;
        current.set(c.name, weight);
        total += c.weight;
        if (weight > bestWeight) {
          best = c;
          bestWeight = weight;
        }
      }
      if (best) current.set(best.name, bestWeight - total);
      return best;
    },
    updateServers(all: readonly Candidate[]) {
      // A returning server starts from zero instead of a stale credit or debt.
      const names = new Set(all.map((c) => c.name));
      for (const name of current.keys()) if (!names.has(name)) current.delete(name);
    },
  };
}
