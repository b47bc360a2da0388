import { now } from '../../core/clock.ts';
import { FaultlineError } from '../../core/errors.ts';
import { createAlgorithm } from '../algorithms/index.ts';
import type { BalancingAlgorithm, PickContext } from '../algorithms/types.ts';
import type { PoolConfig } from '../config/types.ts';
import type { EventBus } from '../events.ts';
import { ActiveHealthChecker } from '../health/index.ts';
import { HedgeDelay } from '../resilience/hedge-delay.ts';
import type { TryOutcome } from '../resilience/outlier-detector.ts';
import { RetryBudget } from '../resilience/retry-budget.ts';
import { BackendServer } from './backend-server.ts';
import { RequestQueue } from './request-queue.ts';
import { planRotation, type RotationPlan, type Tier } from './rotation.ts';
import { type ServerSnapshot, snapshotServer } from './snapshot.ts';

export type { Tier } from './rotation.ts';
export type AcquireResult =
  | { ok: true; server: BackendServer }
  | { ok: false; code: 'no_healthy_server' | 'queue_full' | 'queue_timeout' | 'cancelled' };

/**
 * What a pool does in its process: `whole` (one process: everything), `control` (a cluster's
 * primary: active health checks and admin state, no traffic) or `traffic` (a cluster worker:
 * traffic and passive checks, active health and admin state applied from the primary).
 */
export type PoolRole = 'whole' | 'control' | 'traffic';

export class UnknownServerError extends FaultlineError {
  constructor(message: string) {
    super('FL_UNKNOWN_SERVER', message);
    this.name = 'UnknownServerError';
  }
}

/**
 * A pool of servers in two tiers. Traffic goes to the primaries in rotation; only while none is
 * in rotation does it go to the backups (active-passive), and it fails back as soon as a primary
 * returns. Passive checks never take more than the panic threshold allows out of a tier
 * (rotation.ts). Every state change is published on the event bus.
 */
export class Pool {
  readonly name: string;
  readonly servers: BackendServer[];
  readonly retryBudget: RetryBudget;
  readonly hedgeDelay: HedgeDelay;
  private readonly algorithm: BalancingAlgorithm;
  private readonly queue: RequestQueue<BackendServer>;
  private readonly health: ActiveHealthChecker | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private tier: Tier = 'primary';
  private cachedPlan: RotationPlan | undefined;
  private cachedPlanAt = 0;
  /** The tier in panic, if any (published as panic-enter / panic-exit). */
  private panicTier: 'primary' | 'backup' | undefined;

  constructor(
    readonly config: PoolConfig,
    private readonly events: EventBus,
    readonly role: PoolRole = 'whole',
  ) {
    this.name = config.name;
    this.servers = config.servers.map(
      (s) =>
        new BackendServer(s, config, (t) => {
          this.invalidatePlan();
          const ref = { pool: this.name, server: s.name };
          if (t.to === 'open') {
            this.events.publish({
              kind: 'breaker-open',
              ...ref,
              reason: t.reason,
              cooldownMs: config.breaker.cooldown,
            });
            this.after(config.breaker.cooldown, () => this.byName(s.name).breaker.current);
            this.moveWaitingOff(this.byName(s.name), `its circuit breaker opened (${t.reason})`);
          } else if (t.to === 'half-open') this.events.publish({ kind: 'breaker-half-open', ...ref });
          else this.events.publish({ kind: 'breaker-close', ...ref });
          this.stateChanged();
        }),
    );
    this.algorithm = createAlgorithm(config.algorithm, { hashKey: config.hashKey });
    this.algorithm.updateServers?.(this.servers);
    this.queue = new RequestQueue(config.queue);
    this.retryBudget = new RetryBudget(config.retry);
    this.hedgeDelay = new HedgeDelay(config.hedge);
    if (config.health && role !== 'traffic') {
      this.health = new ActiveHealthChecker({
        pool: this.name,
        config: config.health,
        onTransition: (server, healthy, reason) => this.setHealth(server, healthy, reason, 'active'),
      });
      for (const s of this.servers) this.health.add({ name: s.name, url: s.url.href });
    }
    this.tier = this.plan().tier;
  }

  start(): void {
    this.health?.start();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.rejectAll('cancelled');
    await this.health?.stop();
    for (const s of this.servers) s.close();
  }

  get activeTier(): Tier {
    return this.tier;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** True while a tier routes across all its live servers, passive state ignored. */
  get panicking(): boolean {
    return this.panicTier !== undefined;
  }

  byName(name: string): BackendServer {
    const server = this.servers.find((s) => s.name === name);
    if (!server) throw new UnknownServerError(`pool ${this.name} has no server named ${name}`);
    return server;
  }

  /**
   * Chooses a server for one try, preferring servers not yet tried for this request.
   * Waits in the pool's queue while every server in rotation is at its connection limit;
   * `cancelled` is asked for only then (most requests never wait: no signal is made for them).
   */
  acquire(
    ctx: PickContext,
    tried: readonly string[],
    cancelled?: () => AbortSignal,
  ): AcquireResult | Promise<AcquireResult> {
    // Synchronous when a server is free (almost always): no promise on the request path.
    const plan = this.plan();
    if (plan.servers.length === 0) return { ok: false, code: 'no_healthy_server' };
    const server = this.take(ctx, tried, plan);
    if (server) return { ok: true, server };
    return this.queue
      .wait(() => this.take(ctx, tried), cancelled?.())
      .then((outcome) =>
        outcome.ok ? { ok: true, server: outcome.value } : { ok: false, code: outcome.code },
      );
  }

  /**
   * A server for a hedge: free now, in rotation, and not tried yet for this request; never
   * waits in the queue (a hedge that has to wait is not worth sending).
   */
  acquireFresh(ctx: PickContext, tried: readonly string[]): BackendServer | undefined {
    const plan = this.plan();
    if (plan.servers.length === 0) return undefined;
    return this.take(ctx, tried, plan, true);
  }

  /** Ends one try on `server`. `aborted` means the client went away: no verdict on the server. */
  release(server: BackendServer, outcome: TryOutcome | 'aborted', latencyMs: number): void {
    server.inflight--;
    if (outcome !== 'aborted') this.recordOutcome(server, outcome, latencyMs);
    this.releaseSlot(server);
  }

  /**
   * The verdict on one try, for the breaker, outlier detection and latency-aware algorithms,
   * without ending it: a tunnel is judged by its handshake and holds its slot until it closes.
   */
  recordOutcome(server: BackendServer, outcome: TryOutcome, latencyMs: number): void {
    const stale = outcome !== 'success' && now() - latencyMs < server.returnedAt;
    if (stale) return;
    server.lastLatencyMs = latencyMs;
    if (outcome === 'success') this.hedgeDelay.record(latencyMs);
    this.algorithm.observe?.(server.name, latencyMs, outcome === 'success');
    server.breaker.record(outcome === 'success');
    const ejectFor = server.outlier.record(outcome);
    if (server.probation) {
      if (outcome === 'success') server.probation = false;
      else this.eject(server, `failed its trial request after ejection (${outcome})`);
    } else if (ejectFor) this.eject(server, ejectFor);
  }

  private releaseSlot(server: BackendServer): void {
    if (server.adminState === 'draining' && server.inflight === 0) {
      this.events.publish({ kind: 'server-drained', pool: this.name, server: server.name });
    }
    this.queue.drain();
  }

  setHealth(name: string, healthy: boolean, reason: string, source: 'active' | 'admin'): void {
    const server = this.byName(name);
    server.healthReason = reason;
    if (server.healthy === healthy) return;
    server.healthy = healthy;
    this.invalidatePlan();
    if (healthy) server.returnedAt = now();
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
    algorithm: string;
    activeTier: Tier;
    panic: boolean;
    queued: number;
    servers: ServerSnapshot[];
  } {
    return {
      name: this.name,
      algorithm: this.config.algorithm,
      activeTier: this.tier,
      panic: this.panicking,
      queued: this.queue.length,
      servers: this.servers.map((s) => snapshotServer(s, this.health?.status(s.name))),
    };
  }

  /**
   * `server` left rotation: the safe tries waiting on it move to the others, when there is
   * another to take them (else a slow answer beats none: they keep waiting).
   */
  private moveWaitingOff(server: BackendServer, reason: string): void {
    this.invalidatePlan();
    const plan = this.plan();
    if (plan.servers.some((s) => s !== server && s.acceptsNow(plan.panic))) server.redispatchWaiting(reason);
  }

  /**
   * The rotation plan, computed at most once per millisecond: every state change above drops
   * it at once, and what changes with time alone (an ejection or a breaker's cooldown ending)
   * is seen within the millisecond.
   */
  private plan(): RotationPlan {
    const ms = Date.now();
    if (this.cachedPlan === undefined || ms !== this.cachedPlanAt) {
      this.cachedPlan = planRotation(this.servers, this.config.panicThreshold);
      this.cachedPlanAt = ms;
    }
    return this.cachedPlan;
  }

  private invalidatePlan(): void {
    this.cachedPlan = undefined;
  }

  private take(
    ctx: PickContext,
    tried: readonly string[],
    plan = this.plan(),
    freshOnly = false,
  ): BackendServer | undefined {
    // The usual case allocates nothing: every server free, nothing tried yet.
    let ready = plan.servers;
    for (const s of plan.servers) {
      if (!s.acceptsNow(plan.panic)) {
        ready = plan.servers.filter((t) => t.acceptsNow(plan.panic));
        break;
      }
    }
    let fresh = tried.length === 0 ? ready : ready.filter((s) => !tried.includes(s.name));
    // A retry that has tried every primary in rotation goes to a backup before the health
    // checks notice (HAProxy's redispatch): when all primaries die at once, no request is lost.
    if (fresh.length === 0 && tried.length > 0 && ready.some((s) => !s.backup)) {
      fresh = this.servers.filter((s) => s.backup && s.acceptsNow() && !tried.includes(s.name));
    }
    if (freshOnly && fresh.length === 0) return undefined;
    const picked = this.algorithm.pick(fresh.length > 0 ? fresh : ready, ctx) as BackendServer | undefined;
    if (!picked) return undefined;
    picked.inflight++;
    picked.counters.requests++;
    picked.breaker.acquire();
    return picked;
  }

  private eject(server: BackendServer, reason: string): void {
    const ejectedNow = this.servers.filter((s) => s.ejected).length;
    const allowed = Math.max(
      1,
      Math.floor((this.servers.length * this.config.outlier.maxEjectionPercent) / 100),
    );
    // Already out: failures of requests that were in flight when it was ejected change nothing.
    if (server.ejected || ejectedNow >= allowed) return;
    // A server that stayed clean for a while starts again from the base ejection time.
    if (Date.now() - server.lastEjectionAt > 2 * this.config.outlier.maxEjectionTime)
      server.outlier.forgive();
    server.lastEjectionAt = Date.now();
    const durationMs = server.outlier.ejected();
    server.ejectedUntil = Date.now() + durationMs;
    this.invalidatePlan();
    server.ejectionReason = reason;
    server.probation = false;
    server.counters.ejections++;
    this.moveWaitingOff(server, `it was ejected (${reason})`);
    this.events.publish({ kind: 'ejected', pool: this.name, server: server.name, reason, durationMs });
    const until = server.ejectedUntil;
    this.after(durationMs, () => {
      // Skip if an active health check already ended this ejection, or a later one replaced it.
      if (server.ejectedUntil !== until) return;
      server.probation = true;
      server.returnedAt = now();
      this.events.publish({ kind: 'ejection-ended', pool: this.name, server: server.name });
    });
    this.stateChanged();
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
      this.stateChanged();
    }, ms + 1);
    timer.unref();
    this.timers.add(timer);
  }

  /** Re-evaluates the active tier after any state change and publishes failover/failback/panic. */
  private stateChanged(): void {
    this.invalidatePlan();
    const plan = this.plan();
    const next = plan.tier;
    const previous = this.tier;
    const panicTier = plan.panic && plan.tier !== 'none' ? plan.tier : undefined;
    if (this.panicTier !== undefined && this.panicTier !== panicTier) {
      const tier = this.panicTier;
      this.panicTier = undefined;
      this.events.publish({ kind: 'panic-exit', pool: this.name, tier });
    }
    if (next !== previous) {
      this.tier = next;
      if (next === 'backup') {
        const why = this.servers
          .filter((s) => !s.backup)
          .map((s) => `${s.name} ${s.state}`)
          .join(', ');
        const backups = plan.servers.map((s) => s.name);
        this.events.publish({
          kind: 'failover-to-backup',
          pool: this.name,
          backups,
          reason: `no primary in rotation (${why})`,
        });
      } else if (next === 'primary' && previous === 'backup') {
        const primaries = plan.servers.map((s) => s.name);
        this.events.publish({ kind: 'failback', pool: this.name, primaries });
      } else if (next === 'none') {
        this.events.publish({ kind: 'pool-empty', pool: this.name });
        this.queue.rejectAll('no_healthy_server');
      }
    }
    if (panicTier !== undefined && this.panicTier === undefined) {
      this.panicTier = panicTier;
      this.events.publish({
        kind: 'panic-enter',
        pool: this.name,
        tier: panicTier,
        live: plan.live,
        passing: plan.passing,
        thresholdPercent: this.config.panicThreshold,
      });
    }
    this.queue.drain();
  }
}
