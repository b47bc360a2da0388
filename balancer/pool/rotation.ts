import type { BackendServer } from './backend-server.ts';

export type Tier = 'primary' | 'backup' | 'none';

/** Which servers may take traffic now, and why. */
export interface RotationPlan {
  tier: Tier;
  servers: BackendServer[];
  /** True when the tier routes across all its live servers, passive state ignored. */
  panic: boolean;
  /** In the chosen tier: servers enabled and passing active checks... */
  live: number;
  /** ...and of those, the ones outlier ejection and the breaker leave in. */
  passing: number;
}

/**
 * The pool's routing rule (docs/balancer.md, "Panic threshold"):
 *
 * - Only *live* servers count or take traffic: enabled by the operator and passing active
 *   health checks. Those checks are the ground truth; a server they mark down stays out, panic
 *   or not.
 * - Passive checks (outlier ejection, breaker) take servers out only while at least
 *   `panicThresholdPercent` of the tier's live servers pass them. Below that the tier is in
 *   panic and routes across all its live servers (Envoy's healthy panic threshold).
 * - Primaries first. The backups take over when no live primary passes the passive checks
 *   (active-passive failover, as Envoy spills to a lower priority); when no server of either
 *   tier passes them, the primaries panic, so backups are never flooded by a panic.
 */
export function planRotation(servers: readonly BackendServer[], panicThresholdPercent: number): RotationPlan {
  const tiers = [servers.filter((s) => !s.backup && s.live), servers.filter((s) => s.backup && s.live)];
  const names: Tier[] = ['primary', 'backup'];
  for (const [i, live] of tiers.entries()) {
    const passing = live.filter((s) => s.passesPassiveChecks);
    if (passing.length === 0) continue;
    const panic = (passing.length / live.length) * 100 < panicThresholdPercent;
    const tier = names[i] as Tier;
    return { tier, servers: panic ? live : passing, panic, live: live.length, passing: passing.length };
  }
  if (panicThresholdPercent > 0) {
    for (const [i, live] of tiers.entries()) {
      if (live.length > 0)
        return { tier: names[i] as Tier, servers: live, panic: true, live: live.length, passing: 0 };
    }
  }
  return { tier: 'none', servers: [], panic: false, live: 0, passing: 0 };
}
