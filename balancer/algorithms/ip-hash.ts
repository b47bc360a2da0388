import { fnv1a } from './hash.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';
import { weightedRoundRobin } from './weighted-round-robin.ts';

const REHASH_TRIES = 20;

/**
 * nginx's ip_hash: the client IP hashes onto the weighted list of *all* configured servers; if
 * that server cannot take traffic now, rehash up to 20 times, then fall back to weighted
 * round-robin. A client keeps its server as long as that server is up.
 */
export function ipHash(): BalancingAlgorithm {
  let slots: string[] = [];
  const fallback = weightedRoundRobin();
  const rebuild = (all: readonly Candidate[]) => {
    slots = all.flatMap((c) => Array.from({ length: Math.max(1, c.weight) }, () => c.name));
  };
  return {
    name: 'ip-hash',
    updateServers: rebuild,
    pick(candidates: readonly Candidate[], ctx) {
      if (candidates.length === 0) return undefined;
      if (slots.length === 0) rebuild(candidates);
      const byName = new Map(candidates.map((c) => [c.name, c]));
      let hash = fnv1a(ctx.clientIp);
      for (let i = 0; i < REHASH_TRIES; i++) {
        const chosen = byName.get(slots[hash % slots.length] as string);
        if (chosen) return chosen;
        hash = fnv1a(`${ctx.clientIp}#${i}`, hash);
      }
      return fallback.pick(candidates, ctx);
    },
  };
}
