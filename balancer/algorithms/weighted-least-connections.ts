import { leastBy } from './least-connections.ts';
import type { BalancingAlgorithm } from './types.ts';

/**
 * Fewest requests in flight per unit of weight, compared as a.inflight × b.weight against
 * b.inflight × a.weight (no division, exact for integers). Equal load goes to the heavier server,
 * then round-robin.
 */
export function weightedLeastConnections(): BalancingAlgorithm {
  return leastBy('weighted-least-connections', (a, b) => {
    const diff = a.inflight * b.weight - b.inflight * a.weight;
    return diff !== 0 ? diff : b.weight - a.weight;
  });
}
