import type { BalancingAlgorithm, Candidate } from './types.ts';

/**
 * nginx's smooth weighted round-robin: each pick adds every candidate's weight to its current
 * weight, takes the largest, and subtracts the candidates' total weight from it. Weights 3:1:1
 * give a b a c a, not a a a b c.
 *
 * Current weights are kept by server name. A server that is not a candidate for a while keeps
 * its value (as in nginx); the values of all servers always sum to zero, so whatever credit or
 * debt it returns with is bounded by the total weight and the rotation stays smooth.
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
      // A server removed from the configuration forgets its state; re-added, it starts from zero.
      const names = new Set(all.map((c) => c.name));
      for (const name of current.keys()) if (!names.has(name)) current.delete(name);
    },
  };
}
