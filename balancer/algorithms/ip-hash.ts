import { fnv1a } from './hash.ts';
import { type ConfiguredServer, ServerList } from './server-list.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';
import { weightedRoundRobin } from './weighted-round-robin.ts';

const REHASH_TRIES = 20;

/**
 * nginx's ip_hash: the client IP hashes onto the weighted list of *all* configured servers; if
 * that server cannot take traffic now, rehash up to 20 times, then fall back to (smooth
 * weighted) round-robin among the candidates, as nginx does. A client keeps its server as long
 * as that server is up, and only the clients of a server that leaves move. Unlike nginx, the
 * whole address is hashed (nginx uses an IPv4 address's first three octets), so clients behind
 * one /24 spread too.
 */
export function ipHash(): BalancingAlgorithm {
  let servers: readonly ConfiguredServer[] = [];
  let totalWeight = 0;
  const list = new ServerList((next) => {
    servers = next;
    totalWeight = next.reduce((sum, s) => sum + s.weight, 0);
  });
  const fallback = weightedRoundRobin();

  const serverAt = (hash: number): string | undefined => {
    let point = hash % totalWeight;
    for (const s of servers) {
      point -= s.weight;
      if (point < 0) return s.name;
    }
    return undefined;
  };

  return {
    name: 'ip-hash',
    updateServers: (all) => list.set(all),
    pick(candidates: readonly Candidate[], ctx) {
      if (candidates.length === 0) return undefined;
      list.learn(candidates);
      if (totalWeight > 0) {
        let hash = fnv1a(ctx.clientIp);
        for (let i = 0; i < REHASH_TRIES; i++) {
          const name = serverAt(hash);
          const chosen = candidates.find((c) => c.name === name);
          if (chosen) return chosen;
          hash = fnv1a(`${ctx.clientIp}#${i}`, hash);
        }
      }
      return fallback.pick(candidates, ctx);
    },
  };
}
