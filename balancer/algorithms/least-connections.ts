import type { BalancingAlgorithm, Candidate } from './types.ts';

/**
 * Fewest requests in flight; with `weighted`, fewest in flight per unit of weight
 * (compared as a.inflight × b.weight vs b.inflight × a.weight). Ties rotate, so idle
 * servers share the load instead of the first one taking it all.
 */
export function leastConnections(weighted: boolean): BalancingAlgorithm {
  let turn = 0;
  return {
    name: weighted ? 'weighted-least-connections' : 'least-connections',
    pick(candidates: readonly Candidate[]) {
      let ties: Candidate[] = [];
      for (const c of candidates) {
        const best = ties[0];
        const order = best === undefined ? -1 : compare(c, best, weighted);
        if (order < 0) ties = [c];
        else if (order === 0) ties.push(c);
      }
      if (ties.length === 0) return undefined;
      turn = (turn + 1) % 1_000_000;
      return ties[turn % ties.length];
    },
  };
}

function compare(a: Candidate, b: Candidate, weighted: boolean): number {
  if (!weighted) return a.inflight - b.inflight;
  const diff = a.inflight * b.weight - b.inflight * a.weight;
  return diff !== 0 ? diff : b.weight - a.weight;
}
