import { roundRobin } from './round-robin.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';

/**
 * The candidates that sort first under `compare` (negative: a before b), tie-broken by a
 * round-robin rotation so idle servers share the load instead of the first one taking it all.
 */
export function leastBy(name: string, compare: (a: Candidate, b: Candidate) => number): BalancingAlgorithm {
  const rotation = roundRobin();
  return {
    name,
    pick(candidates: readonly Candidate[], ctx) {
      let ties: Candidate[] = [];
      for (const c of candidates) {
        const best = ties[0];
        const order = best === undefined ? -1 : compare(c, best);
        if (order < 0) ties = [c];
        else if (order === 0) ties.push(c);
      }
      return ties.length === 1 ? ties[0] : rotation.pick(ties, ctx);
    },
  };
}

/** Fewest requests in flight. */
export function leastConnections(): BalancingAlgorithm {
  return leastBy('least-connections', (a, b) => a.inflight - b.inflight);
}
