import { now } from '../../core/clock.ts';
import { createAlgorithm } from '../algorithms/index.ts';
import type { PoolConfig } from '../config/types.ts';
import type { EventBus } from '../events.ts';
import { ActiveHealthChecker } from '../health/index.ts';
import { HedgeDelay } from '../resilience/hedge-delay.ts';
import { RetryBudget } from '../resilience/retry-budget.ts';
import { type BackendServer, sameSettings, upstreamTlsOptions } from './backend-server.ts';
import { changedPoolSettings, planMembership } from './membership.ts';
import type { Tier } from './rotation.ts';
import { type PoolRole, ServerPool } from './server-pool.ts';
import { beginSlowStart } from './slow-start.ts';
import { type ServerSnapshot, snapshotServer } from './snapshot.ts';

export type { Tier } from './rotation.ts';
export { type AcquireResult, type PoolRole, UnknownServerError } from './server-pool.ts';

/**
 * A pool of servers in two tiers. Traffic goes to the primaries in rotation; only while none is
 * in rotation does it go to the backups (active-passive), and it fails back as soon as a primary
 * returns. Passive checks never take more than the panic threshold allows out of a tier
 * (rotation.ts). Every state change is published on the event bus. This part: active health
 * checks, the admin API's operations and reloads; the request path is ServerPool's.
 */
export class Pool extends ServerPool {
  private health: ActiveHealthChecker | undefined;
  private started = false;

  constructor(config: PoolConfig, events: EventBus, role: PoolRole = 'whole') {
    super(config, events, role);
    this.health = this.createHealthChecker();
  }

  override async stop(): Promise<void> {
    await this.health?.stop();
    await super.stop();
  }

  /** Keeps each server's current health: a new checker starts from what the old one knew. */
  private createHealthChecker(): ActiveHealthChecker | undefined {
    const { health } = this.current;
    if (!health || this.role === 'traffic') return undefined;
    const checker = new ActiveHealthChecker({
      pool: this.name,
      config: health,
      onTransition: (server, healthy, reason) => this.setHealth(server, healthy, reason, 'active'),
      tls: upstreamTlsOptions(this.current),
    });
    for (const s of this.servers) checker.add({ name: s.name, url: s.url.href }, s.healthy);
    return checker;
  }

  start(): void {
    this.started = true;
    this.health?.start();
  }

  /**
   * Takes on a reloaded config of this pool; returns what changed. A server whose name and URL
   * stay keeps its state (health, ejection, connections); a removed one drains: no new
   * requests, and it is closed once its last request ends or `drainMs` passes.
   */
  reconfigure(next: PoolConfig, drainMs: number): string[] {
    const previous = this.current;
    this.current = next;
    const plan = planMembership(this.servers, next.servers);
    const changes = changedPoolSettings(previous, next);
    for (const gone of plan.removed) this.retire(gone, drainMs);
    const members = next.servers.map((config) => {
      const kept = plan.kept.get(config.name);
      if (!kept) return this.createServer(config);
      const from = kept.weight;
      changes.push(...kept.reconfigure(config, next, previous).map((c) => `${this.name}/${kept.name}: ${c}`));
      if (kept.weight !== from) {
        this.events.publish({
          kind: 'weight-changed',
          pool: this.name,
          server: kept.name,
          from,
          to: kept.weight,
        });
      }
      return kept;
    });
    const added = members.filter((s) => !this.servers.includes(s));
    this.servers.splice(0, this.servers.length, ...members);
    if (previous.algorithm !== next.algorithm || !sameSettings(previous.hashKey, next.hashKey)) {
      this.algorithm = createAlgorithm(next.algorithm, { hashKey: next.hashKey });
    }
    this.algorithm.updateServers?.(this.servers);
    this.queue.configure(next.queue);
    if (!sameSettings(previous.retry, next.retry)) this.retryBudget = new RetryBudget(next.retry);
    if (!sameSettings(previous.hedge, next.hedge)) this.hedgeDelay = new HedgeDelay(next.hedge);
    this.sticky = this.createSticky();
    if (!sameSettings(previous.health, next.health)) {
      void this.health?.stop();
      this.health = this.createHealthChecker();
      if (this.started) this.health?.start();
    } else {
      for (const s of plan.removed) this.health?.remove(s.name);
      for (const s of added) this.health?.add({ name: s.name, url: s.url.href }, true);
    }
    for (const s of added) {
      changes.push(`${this.name}/${s.name} added`);
      this.events.publish({ kind: 'server-added', pool: this.name, server: s.name });
      beginSlowStart(s, this.name, next.slowStart, this.events, 'added');
    }
    for (const s of plan.removed) changes.push(`${this.name}/${s.name} removed`);
    this.stateChanged();
    return changes;
  }

  /** Every server out of rotation at once (its pool was removed): each drains, then closes. */
  retireAll(drainMs: number): void {
    for (const s of this.servers.splice(0)) this.retire(s, drainMs);
    void this.health?.stop();
    this.stateChanged();
  }

  private retire(server: BackendServer, drainMs: number): void {
    server.retiring = true;
    server.adminState = 'draining';
    this.retiring.add(server);
    this.invalidatePlan();
    this.events.publish({ kind: 'server-draining', pool: this.name, server: server.name });
    if (server.inflight === 0) {
      this.removeRetired(server, false);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.removeRetired(server, true);
    }, drainMs);
    timer.unref();
    this.timers.add(timer);
  }

  setHealth(name: string, healthy: boolean, reason: string, source: 'active' | 'admin'): void {
    const server = this.byName(name);
    server.healthReason = reason;
    if (server.healthy === healthy) return;
    server.healthy = healthy;
    this.invalidatePlan();
    if (healthy) {
      server.returnedAt = now();
      beginSlowStart(server, this.name, this.config.slowStart, this.events, 'health-up');
    }
    if (!healthy) this.moveWaitingOff(server, `it failed its health checks (${reason})`);
    this.events.publish({
      kind: healthy ? 'server-up' : 'server-down',
      pool: this.name,
      server: name,
      reason,
      source,
    });
    // As Envoy's successful_active_health_check_uneject_host: a server that just passed its rise
    // checks is back, even if passive detection ejected it while it was down. Not a flapping one
    // (ejected again before its record was forgiven): it sits out its growing ejection time, or
    // every blip would swing traffic back and forth (flap damping).
    if (healthy && server.ejected && server.outlier.timesEjected <= 1) {
      server.ejectedUntil = 0;
      server.probation = false;
      this.invalidatePlan();
      this.events.publish({ kind: 'ejection-ended', pool: this.name, server: name });
    }
    this.stateChanged();
  }

  drain(name: string): void {
    const server = this.byName(name);
    if (server.adminState === 'draining') return;
    server.adminState = 'draining';
    this.invalidatePlan();
    this.events.publish({ kind: 'server-draining', pool: this.name, server: name });
    // The primary of a cluster carries no traffic: its workers say when they are drained.
    if (server.inflight === 0 && this.role !== 'control') {
      this.events.publish({ kind: 'server-drained', pool: this.name, server: name });
    }
    this.stateChanged();
  }

  enable(name: string): void {
    const server = this.byName(name);
    if (server.adminState === 'enabled') return;
    server.adminState = 'enabled';
    this.invalidatePlan();
    this.events.publish({ kind: 'server-enabled', pool: this.name, server: name });
    if (server.healthy) beginSlowStart(server, this.name, this.config.slowStart, this.events, 'enabled');
    this.stateChanged();
  }

  disable(name: string): void {
    const server = this.byName(name);
    if (server.adminState === 'disabled') return;
    server.adminState = 'disabled';
    this.invalidatePlan();
    this.moveWaitingOff(server, 'it was disabled');
    this.events.publish({ kind: 'server-disabled', pool: this.name, server: name });
    this.stateChanged();
  }

  setWeight(name: string, weight: number): void {
    const server = this.byName(name);
    if (server.weight === weight) return;
    const from = server.weight;
    server.weight = weight;
    this.algorithm.updateServers?.(this.servers);
    this.events.publish({ kind: 'weight-changed', pool: this.name, server: name, from, to: weight });
  }

  snapshot(): {
    name: string;
    mode: 'http' | 'tcp';
    algorithm: string;
    activeTier: Tier;
    panic: boolean;
    queued: number;
    servers: ServerSnapshot[];
  } {
    return {
      name: this.name,
      mode: this.config.mode,
      algorithm: this.config.algorithm,
      activeTier: this.tiers.tier,
      panic: this.panicking,
      queued: this.queue.length,
      servers: this.servers.map((s) => snapshotServer(s, this.health?.status(s.name))),
    };
  }
}
