import type { BalancingAlgorithm, Candidate } from './types.ts';

/** Plain rotation. The cursor follows the last pick by name, so a shrinking list skips nobody. */
export function roundRobin(): BalancingAlgorithm {
  let last: string | undefined;
  return {
    name: 'round-robin',
    pick(candidates: readonly Candidate[]) {
      if (candidates.length === 0) return undefined;
      const lastIndex = last === undefined ? -1 : candidates.findIndex((c) => c.name === last);
      const next = candidates[(lastIndex + 1) % candidates.length];
      last = next?.name;
      return next;
    },
  };
}
