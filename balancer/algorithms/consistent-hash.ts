import type { HashKeySource } from '../config/types.ts';
import { fnv1a, hashKey, ringPoints } from './hash.ts';
import { type ConfiguredServer, ServerList } from './server-list.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';

/** Ring points per unit of weight (ketama: 160 per server, four per md5). */
const POINTS_PER_WEIGHT = 160;
/** Beyond this the first ring is scaled down (weights go up to 1000); see `scale` below. */
const MAX_RING_POINTS = 160 * 256;

interface Ring {
  points: Uint32Array;
  owners: string[];
}

function buildRing(servers: readonly ConfiguredServer[], scale: number): Ring {
  // Sorted by name, so a collision between two servers' points resolves the same way whatever
  // the configured order or membership.
  const byName = [...servers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // point × 2^16 + owner index fits a double exactly, and a Float64Array sorts numerically and fast.
  const packed: number[] = [];
  byName.forEach((s, owner) => {
    const count = Math.max(4, Math.round((POINTS_PER_WEIGHT * s.weight) / scale));
    for (const point of ringPoints(s.name, count)) packed.push(point * 65536 + owner);
  });
  const sorted = Float64Array.from(packed).sort();
  const points = new Uint32Array(sorted.length);
  const owners = new Array<string>(sorted.length);
  sorted.forEach((value, i) => {
    points[i] = Math.floor(value / 65536);
    owners[i] = (byName[value % 65536] as ConfiguredServer).name;
  });
  return { points, owners };
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
 * cookie; see `hashKey` for the fallback to the client IP) lands on the ring and walks clockwise
 * to the first point of a server that may take traffic now. A server leaving, by health or by
 * configuration, moves only its own keys; one joining takes ~1/(N+1) of them.
 */
export function consistentHash(source: HashKeySource): BalancingAlgorithm {
  let ring: Ring = { points: new Uint32Array(0), owners: [] };
  // Fixed by the first ring: a scale derived from the current membership would change every
  // server's point count on each change and move keys between servers that stayed.
  let scale = 0;
  const list = new ServerList((servers) => {
    if (scale === 0) {
      const total = servers.reduce((sum, s) => sum + s.weight, 0);
      scale = Math.max(1, (total * POINTS_PER_WEIGHT) / MAX_RING_POINTS);
    }
    ring = buildRing(servers, scale);
  });

  return {
    name: 'consistent-hash',
    updateServers: (all) => list.set(all),
    pick(candidates: readonly Candidate[], ctx) {
      if (candidates.length === 0) return undefined;
      list.learn(candidates);
      const byName = new Map(candidates.map((c) => [c.name, c]));
      const hash = fnv1a(hashKey(source, ctx));
      const { points, owners } = ring;
      const start = firstAtOrAfter(points, hash);
      for (let i = 0; i < owners.length; i++) {
        const chosen = byName.get(owners[(start + i) % owners.length] as string);
        if (chosen) return chosen;
      }
      // Only candidates the pool never configured: still spread them by key.
      return candidates[hash % candidates.length];
    },
  };
}
