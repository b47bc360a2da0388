import { pickTwo } from './power-of-two-choices.ts';
import type { BalancingAlgorithm, Candidate } from './types.ts';

export const DEFAULT_DECAY_MS = 10_000;
/** A failed try counts as a sample of at least this, so a server that fails fast is not "fast". */
export const FAILURE_FLOOR_MS = 1000;
/** Repeated failures double the estimate up to this, so a failing server is re-probed later. */
export const FAILURE_CAP_MS = 30_000;
/**
 * Cost of a server with requests outstanding but no answer yet (Finagle's penalty): above any
 * measured cost, so a new server gets one probe at a time instead of every request until its
 * first answer comes back.
 */
const UNMEASURED_PENALTY = 1e9;
/**
 * A server not measured for decay / 10 (1s by default), idle, and whose last try succeeded costs
 * 0: it gets one probe (a failing one waits for its penalty to decay instead).
 * Without it, two servers leave power of two choices no choice, and one slow answer (a cold
 * start, a fault long gone) starves a server until its estimate decays below the other's: ~35s
 * for 100ms against 3ms with a 10s decay. A probe a second costs a slow server one request.
 */
const PROBE_AFTER_FRACTION = 0.1;
/**
 * A faster sample pulls the estimate down by at least this much of the gap, however close it
 * follows the last one. Time-weighted alone (Finagle's rule), at 200 req/s each sample weighs
 * 1 - e^(-5ms/10s) = 0.0005: one 130 ms stall of a 5 ms server kept it looking as slow as a
 * 100 ms one for ~20 s, and a slow neighbour got 5 % of the traffic instead of its probes
 * (seen in the slow-backend drill). With a 10 % floor the stall is forgotten after ~30 answers.
 */
const MIN_SAMPLE_WEIGHT = 0.1;

interface Estimate {
  value: number;
  at: number;
  /** The last try failed: no early probe, the failure penalty's decay decides (backoff). */
  failing: boolean;
}

/**
 * Peak EWMA (Finagle, linkerd): each server's latency estimate jumps to any slower sample at
 * once; faster samples pull it down with weight 1 - e^(-Δt/decay), and between samples it decays
 * toward zero, so a server once slow is probed again eventually. Cost = estimate × (in flight
 * + 1), in flight as the pool counts it; the cheaper of two random candidates wins. A server
 * never measured costs 0 while idle, so it gets probed; after its first answer it competes like
 * the rest. One not measured for a tenth of the decay is probed again the same way.
 */
export function latency(
  random: () => number,
  clock: () => number,
  decayMs = DEFAULT_DECAY_MS,
): BalancingAlgorithm {
  const estimates = new Map<string, Estimate>();
  const decayed = (e: Estimate, nowMs: number) => e.value * Math.exp(-Math.max(0, nowMs - e.at) / decayMs);
  const probeAfterMs = decayMs * PROBE_AFTER_FRACTION;

  return {
    name: 'latency',
    pick(candidates: readonly Candidate[]) {
      const nowMs = clock();
      return pickTwo(candidates, random, (c) => {
        const e = estimates.get(c.name);
        if (!e) return c.inflight === 0 ? 0 : UNMEASURED_PENALTY + c.inflight;
        if (c.inflight === 0 && !e.failing && nowMs - e.at >= probeAfterMs) return 0;
        return decayed(e, nowMs) * (c.inflight + 1);
      });
    },
    observe(server, latencyMs, ok) {
      const nowMs = clock();
      const e = estimates.get(server);
      const sample = ok
        ? latencyMs
        : Math.min(FAILURE_CAP_MS, Math.max(latencyMs, FAILURE_FLOOR_MS, 2 * (e ? decayed(e, nowMs) : 0)));
      // An answer to a probe (nothing measured for probeAfterMs) replaces the stale estimate:
      // blended in at a tenth of its weight it would take ~35 probes to clear one slow spell.
      const stale = e !== undefined && ok && nowMs - e.at >= probeAfterMs;
      if (!e || stale || sample >= e.value) {
        estimates.set(server, { value: sample, at: nowMs, failing: !ok });
        return;
      }
      const w = Math.min(Math.exp(-Math.max(0, nowMs - e.at) / decayMs), 1 - MIN_SAMPLE_WEIGHT);
      estimates.set(server, { value: e.value * w + sample * (1 - w), at: nowMs, failing: !ok });
    },
    updateServers(all) {
      const names = new Set(all.map((c) => c.name));
      for (const name of estimates.keys()) if (!names.has(name)) estimates.delete(name);
    },
  };
}
