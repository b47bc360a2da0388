import type { BalancingAlgorithm, Candidate } from './types.ts';

/**
 * Plain rotation. The cursor remembers the last server picked and where it stood: the next pick
 * is the one after it, or, when it has left the list (down, or already tried by this request),
 * whoever moved into its old position. A list that shrinks or grows neither crashes the
 * rotation nor restarts it from the top.
 */
export function roundRobin(name = 'round-robin'): BalancingAlgorithm {
  let lastName: string | undefined;
  let lastIndex = -1;
  return {
    name,
    pick(candidates: readonly Candidate[]) {
      if (candidates.length === 0) return undefined;
      const found = lastName === undefined ? -1 : candidates.findIndex((c) => c.name === lastName);
      const index =
        found === -1 ? Math.max(0, lastIndex) % candidates.length : (found + 1) % candidates.length;
      const next = candidates[index] as Candidate;
      lastName = next.name;
      lastIndex = index;
      return next;
    },
  };
}
