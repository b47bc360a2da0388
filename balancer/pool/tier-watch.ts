import type { EventBus } from '../events.ts';
import type { BackendServer } from './backend-server.ts';
import type { RotationPlan, Tier } from './rotation.ts';

/**
 * The pool's active tier and panic state, and the events that say when they change:
 * failover-to-backup, failback, pool-empty, panic-enter, panic-exit.
 */
export class TierWatch {
  tier: Tier;
  /** The tier in panic, if any. */
  panicTier: 'primary' | 'backup' | undefined;

  constructor(
    private readonly pool: string,
    private readonly events: EventBus,
    initial: RotationPlan,
  ) {
    this.tier = initial.tier;
  }

  /** Publishes what changed since the last plan; true when the pool just became empty. */
  update(plan: RotationPlan, servers: readonly BackendServer[], panicThreshold: number): boolean {
    const next = plan.tier;
    const previous = this.tier;
    const panicTier = plan.panic && plan.tier !== 'none' ? plan.tier : undefined;
    let emptied = false;
    if (this.panicTier !== undefined && this.panicTier !== panicTier) {
      const tier = this.panicTier;
      this.panicTier = undefined;
      this.events.publish({ kind: 'panic-exit', pool: this.pool, tier });
    }
    if (next !== previous) {
      this.tier = next;
      if (next === 'backup') {
        const why = servers
          .filter((s) => !s.backup)
          .map((s) => `${s.name} ${s.state}`)
          .join(', ');
        this.events.publish({
          kind: 'failover-to-backup',
          pool: this.pool,
          backups: plan.servers.map((s) => s.name),
          reason: `no primary in rotation (${why})`,
        });
      } else if (next === 'primary' && previous === 'backup') {
        this.events.publish({
          kind: 'failback',
          pool: this.pool,
          primaries: plan.servers.map((s) => s.name),
        });
      } else if (next === 'none') {
        this.events.publish({ kind: 'pool-empty', pool: this.pool });
        emptied = true;
      }
    }
    if (panicTier !== undefined && this.panicTier === undefined) {
      this.panicTier = panicTier;
      this.events.publish({
        kind: 'panic-enter',
        pool: this.pool,
        tier: panicTier,
        live: plan.live,
        passing: plan.passing,
        thresholdPercent: panicThreshold,
      });
    }
    return emptied;
  }
}
