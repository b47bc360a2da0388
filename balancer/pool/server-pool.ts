import { now } from '../../core/clock.ts';
import { FaultlineError } from '../../core/errors.ts';
import { createAlgorithm } from '../algorithms/index.ts';
import type { BalancingAlgorithm, PickContext } from '../algorithms/types.ts';
import type { PoolConfig, ServerConfig } from '../config/types.ts';
import type { EventBus } from '../events.ts';
import { HedgeDelay } from '../resilience/hedge-delay.ts';
import type { TryOutcome } from '../resilience/outlier-detector.ts';
import { RetryBudget } from '../resilience/retry-budget.ts';
import { BackendServer } from './backend-server.ts';
import { RequestQueue } from './request-queue.ts';
import { planRotation, type RotationPlan, type Tier } from './rotation.ts';
import { beginSlowStart, rampedPick } from './slow-start.ts';
import { StickyCookie } from './sticky-cookie.ts';
import { TierWatch } from './tier-watch.ts';

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
 * A pool's servers and the request path over them: the rotation plan, picking a server (sticky
 * pin, algorithm, slow start), the queue, and the passive checks' verdicts on each try. `Pool`
 * (pool.ts) adds what acts on it from outside: active health, the admin API, reloads.
 */
export class ServerPool {
  readonly name: string;
  /** In config order; a reload changes the members of this same array. */
  readonly servers: BackendServer[] = [];
  retryBudget: RetryBudget;
  hedgeDelay: HedgeDelay;
  /** Cookie affinity, when the pool has `sticky`. */
  sticky: StickyCookie | undefined;
  protected current: PoolConfig;
  protected algorithm: BalancingAlgorithm;
  protected readonly queue: RequestQueue<BackendServer>;
  /** Servers a reload removed, until their last request ends. */
  protected readonly retiring = new Set<BackendServer>();
  protected readonly timers = new Set<NodeJS.Timeout>();
  protected readonly tiers: TierWatch;
  private cachedPlan: RotationPlan | undefined;
  private cachedPlanAt = 0;

  constructor(
    config: PoolConfig,
    protected readonly events: EventBus,
    readonly role: PoolRole = 'whole',
  ) {
    this.name = config.name;
    this.current = config;
    for (const s of config.servers) this.servers.push(this.createServer(s));
    this.algorithm = createAlgorithm(config.algorithm, { hashKey: config.hashKey });
    this.algorithm.updateServers?.(this.servers);
    this.queue = new RequestQueue(config.queue);
    this.retryBudget = new RetryBudget(config.retry);
    this.hedgeDelay = new HedgeDelay(config.hedge);
    this.sticky = this.createSticky();
    this.tiers = new TierWatch(this.name, events, this.plan());
  }

  get config(): PoolConfig {
    return this.current;
  }

  protected createServer(config: ServerConfig): BackendServer {
    const server: BackendServer = new BackendServer(config, this.current, (t) => {
      this.invalidatePlan();
      const ref = { pool: this.name, server: server.name };
      if (t.to === 'open') {
        const cooldownMs = this.current.breaker.cooldown;
        this.events.publish({ kind: 'breaker-open', ...ref, reason: t.reason, cooldownMs });
        this.after(cooldownMs, () => server.breaker.current);
        this.moveWaitingOff(server, `its circuit breaker opened (${t.reason})`);
      } else if (t.to === 'half-open') this.events.publish({ kind: 'breaker-half-open', ...ref });
      else this.events.publish({ kind: 'breaker-close', ...ref });
      this.stateChanged();
    });
    return server;
  }

  protected createSticky(): StickyCookie | undefined {
    const { sticky } = this.current;
    return sticky
      ? new StickyCookie(
          this.name,
          sticky,
          this.servers.map((s) => s.name),
        )
      : undefined;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.rejectAll('cancelled');
    for (const s of [...this.servers, ...this.retiring]) s.close();
    this.retiring.clear();
  }

  get activeTier(): Tier {
    return this.tiers.tier;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** True while a tier routes across all its live servers, passive state ignored. */
  get panicking(): boolean {
    return this.tiers.panicTier !== undefined;
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
    if (server.retiring) {
      if (server.inflight === 0) this.removeRetired(server, false);
      this.queue.drain();
      return;
    }
    if (outcome !== 'aborted') this.recordOutcome(server, outcome, latencyMs);
    this.releaseSlot(server);
  }

  /**
   * The verdict on one try, for the breaker, outlier detection and latency-aware algorithms,
   * without ending it: a tunnel is judged by its handshake and holds its slot until it closes.
   */
  recordOutcome(server: BackendServer, outcome: TryOutcome, latencyMs: number): void {
    if (server.retiring) return;
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

  protected removeRetired(server: BackendServer, forced: boolean): void {
    if (!this.retiring.delete(server)) return;
    if (forced) server.close();
    else server.closeGracefully();
    // A cluster's primary carries no traffic: its workers say when they are drained.
    if (!forced && this.role !== 'control') {
      this.events.publish({ kind: 'server-drained', pool: this.name, server: server.name });
    }
    this.events.publish({ kind: 'server-removed', pool: this.name, server: server.name, forced });
  }

  /**
   * `server` left rotation: the safe tries waiting on it move to the others, when there is
   * another to take them (else a slow answer beats none: they keep waiting).
   */
  protected moveWaitingOff(server: BackendServer, reason: string): void {
    this.invalidatePlan();
    const plan = this.plan();
    if (plan.servers.some((s) => s !== server && s.acceptsNow(plan.panic))) server.redispatchWaiting(reason);
  }

  /**
   * The rotation plan, computed at most once per millisecond: every state change above drops
   * it at once, and what changes with time alone (an ejection or a breaker's cooldown ending)
   * is seen within the millisecond.
   */
  protected plan(): RotationPlan {
    const ms = Date.now();
    if (this.cachedPlan === undefined || ms !== this.cachedPlanAt) {
      this.cachedPlan = planRotation(this.servers, this.config.panicThreshold);
      this.cachedPlanAt = ms;
    }
    return this.cachedPlan;
  }

  protected invalidatePlan(): void {
    this.cachedPlan = undefined;
  }

  private take(
    ctx: PickContext,
    tried: readonly string[],
    plan = this.plan(),
    freshOnly = false,
  ): BackendServer | undefined {
    if (ctx.pinned !== undefined && tried.length === 0) {
      // A pinned client keeps its server while that server is in rotation and free; otherwise
      // it is balanced as usual and re-pinned by its answer.
      const pinned = plan.servers.find((s) => s.name === ctx.pinned);
      if (pinned?.acceptsNow(plan.panic)) return this.occupy(pinned);
    }
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
    const candidates = fresh.length > 0 ? fresh : ready;
    let picked = this.algorithm.pick(candidates, ctx) as BackendServer | undefined;
    if (!picked) return undefined;
    if (picked.slowStartFrom !== 0) {
      picked = rampedPick(
        picked,
        candidates,
        this.config.slowStart,
        (others) => this.algorithm.pick(others, ctx) as BackendServer | undefined,
      );
    }
    return this.occupy(picked);
  }

  private occupy(server: BackendServer): BackendServer {
    server.inflight++;
    server.counters.requests++;
    server.breaker.acquire();
    return server;
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
      beginSlowStart(server, this.name, this.config.slowStart, this.events, 'ejection-ended');
    });
    this.stateChanged();
  }

  protected after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
      this.stateChanged();
    }, ms + 1);
    timer.unref();
    this.timers.add(timer);
  }

  /** Re-evaluates the active tier after any state change and publishes failover/failback/panic. */
  protected stateChanged(): void {
    this.invalidatePlan();
    if (this.tiers.update(this.plan(), this.servers, this.config.panicThreshold)) {
      this.queue.rejectAll('no_healthy_server');
    }
    this.queue.drain();
  }
}
