import { pickTwo } from './power-of-two-choices.ts';
import type { BalancingAlgorithm } from './types.ts';

export const DEFAULT_DECAY_MS = 10_000;
/** A failed try counts as at least this slow, so a failing server's cost rises even if it fails fast. */
export const FAILURE_PENALTY_MS = 1000;

interface Ewma {
  value: number;
  at: number;
}

/**
 * Peak EWMA (Finagle, linkerd): each server's latency average jumps up to any slower sample at
 * once and decays toward faster ones with time constant `decayMs`. Cost = average × (in flight
 * + 1); the cheaper of two random servers wins. A server without samples costs 0, so it gets
 * probed; after its first answer it competes like the rest.
 */
export function latency(
  random: () => number,
  clock: () => number,
  decayMs = DEFAULT_DECAY_MS,
): BalancingAlgorithm {
  const stats = new Map<string, Ewma>();
  return {
    name: 'latency',
    pick(candidates) {
      const nowMs = clock();
      return pickTwo(candidates, random, (c) => {
        const s = stats.get(c.name);
        if (!s) return 0;
        // Decay toward zero while idle, so a once-slow server is retried eventually.
        const decayed = s.value * Math.exp(-(nowMs - s.at) / decayMs);
        return decayed * (c.inflight + 1);
      });
    },
    observe(server, latencyMs, ok) {
      const nowMs = clock();
      const sample = ok ? latencyMs : Math.max(latencyMs, FAILURE_PENALTY_MS);
      const s = stats.get(server);
      if (!s || sample > s.value) {
        stats.set(server, { value: sample, at: nowMs });
        return;
      }
      const w = Math.exp(-(nowMs - s.at) / decayMs);
      stats.set(server, { value: s.value * w + sample * (1 - w), at: nowMs });
    },
  };
}
