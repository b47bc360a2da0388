import type { HashKeySource } from '../config/types.ts';
import { fnv1a, hashKey, md5Points } from './hash.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';

/** Ring points per unit of weight (ketama uses 160 per server; 40 md5s × 4 points). */
const POINTS_PER_WEIGHT = 160;

interface Ring {
  points: Uint32Array;
  owners: string[];
}

function buildRing(all: readonly Candidate[]): Ring {
  const entries: { point: number; owner: string }[] = [];
  for (const c of all) {
    const hashes = Math.ceil((POINTS_PER_WEIGHT * Math.max(1, c.weight)) / 4);
    for (let i = 0; i < hashes; i++) {
      for (const point of md5Points(`${c.name}-${i}`)) entries.push({ point, owner: c.name });
    }
  }
  entries.sort((a, b) => a.point - b.point || (a.owner < b.owner ? -1 : 1));
  return { points: Uint32Array.from(entries.map((e) => e.point)), owners: entries.map((e) => e.owner) };
}

function firstAtOrAfter(points: Uint32Array, hash: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid] as number) < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === points.length ? 0 : lo;
}

/**
 * Ketama consistent hashing over all configured servers. The key (client IP, a header or a
 * cookie) lands on the ring and walks clockwise to the first server that may take traffic,
 * so a server leaving moves only its own keys, and one joining takes ~1/N of them.
 */
export function consistentHash(source: HashKeySource): BalancingAlgorithm {
  let ring: Ring | undefined;
  let ringKey = '';
  const ensure = (all: readonly Candidate[]) => {
    const key = all.map((c) => `${c.name}:${c.weight}`).join(',');
    if (key !== ringKey) {
      ring = buildRing(all);
      ringKey = key;
    }
  };
  return {
    name: 'consistent-hash',
    updateServers: ensure,
    pick(candidates: readonly Candidate[], ctx) {
      if (candidates.length === 0) return undefined;
      if (!ring) ensure(candidates);
      const current = ring as Ring;
      const byName = new Map(candidates.map((c) => [c.name, c]));
      const start = firstAtOrAfter(current.points, fnv1a(hashKey(source, ctx)));
      for (let i = 0; i < current.owners.length; i++) {
        const chosen = byName.get(current.owners[(start + i) % current.owners.length] as string);
        if (chosen) return chosen;
      }
      // Candidates outside the configured list (not expected): still answer.
      return candidates[0];
    },
  };
}
