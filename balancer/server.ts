import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { FaultlineError } from '../core/errors.ts';
import { AdminServer } from './admin/admin-server.ts';
import { BalancerMetrics } from './admin/metrics.ts';
import { loadConfigSource } from './config/index.ts';
import type { BalancerConfig, ListenAddress } from './config/types.ts';
import { EventBus } from './events.ts';
import type { HttpTraffic } from './listeners/http-listener.ts';
import { ListenerSet, type ListenerUrl } from './listeners/listener-set.ts';
import type { TcpObserver } from './listeners/tcp-relay.ts';
import { Pool, type PoolRole } from './pool/pool.ts';
import { answerClientError } from './proxy/client-errors.ts';
import { RequestErrorLog } from './proxy/error-log.ts';
import { rawErrorResponse } from './proxy/error-response.ts';
import { Forwarder } from './proxy/forwarder.ts';
import { clientAddress, requestIdOf } from './proxy/headers.ts';
import { ReplayBudget } from './proxy/replay-budget.ts';
import { normaliseRequestTarget } from './proxy/request-target.ts';
import { reloadFailureReason, reloadRefusals, topLevelChanges } from './reload.ts';
import { Router } from './router.ts';

export interface StartOptions {
  /**
   * `whole` (the default): one process does everything. In a cluster (config `workers` > 1) the
   * primary runs a `control` balancer (admin API, active health checks, no traffic listener;
   * `trafficAddresses` is where its workers listen, by listener name) and each worker a
   * `traffic` one (no admin API, no active checks: their verdicts come from the primary).
   */
  role?: PoolRole;
  trafficAddresses?: Record<string, ListenAddress>;
  /**
   * The config file, for reloads (SIGHUP, `POST /reload`); `adjust` applies the command line's
   * overrides (`--workers`) to each new version as it did to the first.
   */
  source?: { file: string; adjust?: (config: BalancerConfig) => BalancerConfig };
  /** Replaces the admin API's reload (a cluster's primary reloads its workers too). */
  reload?: () => Promise<string[]>;
}

export interface StopOptions {
  /** Overrides the config's shutdownTimeout. */
  deadlineMs?: number;
}

/**
 * The running balancer: its listeners (http and https with the routes, tcp with one pool each),
 * its pools with their health checkers, and the admin API on its own listener. `stop()` drains
 * gracefully.
 */
export class Balancer {
  readonly events = new EventBus();
  /** Why the balancer answered requests itself, with the detail clients are not shown. */
  readonly requestErrors = new RequestErrorLog();
  readonly replayBudget: ReplayBudget;
  readonly pools = new Map<string, Pool>();
  readonly metrics: BalancerMetrics;
  private current: BalancerConfig;
  private source: StartOptions['source'];
  private readonly forwarder: Forwarder;
  private readonly listeners: ListenerSet;
  private admin: AdminServer | undefined;
  private inflight = 0;
  private readonly idle = new Set<() => void>();
  private stopping: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  private constructor(
    config: BalancerConfig,
    readonly role: PoolRole,
  ) {
    this.current = config;
    for (const p of Object.values(config.pools)) this.pools.set(p.name, new Pool(p, this.events, role));
    this.metrics = new BalancerMetrics(() => this.pools.values());
    this.metrics.attach(this.events);
    this.replayBudget = new ReplayBudget(config.limits.replayBufferBudget);
    this.forwarder = new Forwarder(new Router(config.routes), this.pools, this.metrics, {
      limits: config.limits,
      replayBudget: this.replayBudget,
      errors: this.requestErrors,
    });
    const traffic: HttpTraffic = {
      request: (req, res, expectsContinue) => this.onRequest(req, res, expectsContinue),
      upgrade: (req, socket, head) => this.onUpgrade(req, socket, head),
      clientError: answerClientError(this.requestErrors),
    };
    this.listeners = new ListenerSet(config, {
      http: traffic,
      pools: this.pools,
      events: this.events,
      tcpObserver: this.tcpObserver(),
      tcpOpened: () => this.inflight++,
      tcpClosed: () => this.requestClosed(),
    });
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = normaliseRequestTarget(req.url);
    if (!target.ok) {
      socket.on('error', () => socket.destroy());
      const requestId = requestIdOf(req);
      this.requestErrors.publish({
        code: 'bad_path',
        status: 400,
        client: clientAddress(req),
        requestId,
        detail: `${target.reason}: ${JSON.stringify(req.url)}`,
      });
      socket.end(rawErrorResponse('bad_path', requestId));
      return;
    }
    req.url = target.path;
    if (target.host !== undefined) req.headers.host = target.host;
    this.countInflightUntilClosed(socket);
    this.forwarder.handleUpgrade(req, socket, head).catch(() => socket.destroy());
  }

  private tcpObserver(): TcpObserver {
    return {
      connected: (pool, server) => this.metrics.countTcpConnection(pool, server),
      bytes: (pool, server, fromClient, fromServer) =>
        this.metrics.countTcpBytes(pool, server, fromClient, fromServer),
      refused: ({ code, ...entry }) => {
        this.metrics.countProxyError(entry.pool, code);
        this.requestErrors.publish({ code, status: 0, ...entry });
      },
    };
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): void {
    this.inflight++;
    res.on('close', this.requestClosed);
    this.forwarder.handle(req, res, expectsContinue).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  }

  private readonly requestClosed = (): void => {
    this.inflight--;
    if (this.inflight === 0) for (const notify of this.idle) notify();
  };

  static async start(config: BalancerConfig, options: StartOptions = {}): Promise<Balancer> {
    const role = options.role ?? 'whole';
    if (role === 'whole' && config.workers > 1) {
      throw new FaultlineError(
        'FL_CONFIG_INVALID',
        `workers: ${config.workers} needs the \`faultline balancer\` command (it forks the workers); a balancer started in-process runs one`,
      );
    }
    const balancer = new Balancer(config, role);
    balancer.source = options.source;
    try {
      await balancer.listeners.listen(role === 'control' ? (options.trafficAddresses ?? {}) : undefined);
      if (role !== 'traffic') {
        balancer.admin = await AdminServer.start({
          config: config.admin,
          pools: balancer.pools,
          events: balancer.events,
          metrics: balancer.metrics,
          info: () => balancer.info(),
          ...(options.reload
            ? { reload: options.reload }
            : options.source
              ? { reload: () => balancer.reloadFile() }
              : {}),
        });
      }
    } catch (err) {
      await balancer.listeners.stopAccepting();
      await Promise.all([...balancer.pools.values()].map((p) => p.stop()));
      throw err;
    }
    for (const pool of balancer.pools.values()) pool.start();
    if (role !== 'traffic') {
      balancer.events.publish({
        kind: 'balancer-started',
        listen: balancer
          .listenerUrls()
          .map((l) => l.url)
          .join(', '),
        admin: balancer.adminUrl,
      });
    }
    return balancer;
  }

  get config(): BalancerConfig {
    return this.current;
  }

  /** Reads the config file again and applies it (see `reload`); the file as the source. */
  async reloadFile(): Promise<string[]> {
    return (await this.reloadSource()).changes;
  }

  /** `reloadFile`, with the text it applied (a cluster's primary hands it to its workers). */
  async reloadSource(): Promise<{ changes: string[]; text: string }> {
    const source = this.source;
    if (!source)
      throw new FaultlineError('FL_RELOAD_REFUSED', 'this balancer was not started from a config file');
    let loaded: { text: string; config: BalancerConfig };
    try {
      loaded = await loadConfigSource(source.file);
    } catch (err) {
      this.reloadFailed(source.file, err);
      throw err;
    }
    const next = source.adjust ? source.adjust(loaded.config) : loaded.config;
    return { changes: this.reload(next, source.file), text: loaded.text };
  }

  /**
   * Applies a new config without dropping a request or a connection: pools and servers added,
   * changed and removed (a removed server drains first, for at most shutdownTimeout), routes,
   * timeouts and limits replaced. A change that needs a restart (reload.ts) refuses the whole
   * reload: the running config stays. Returns what changed; publishes config-reloaded, or
   * config-reload-failed with the reason.
   */
  reload(next: BalancerConfig, source = 'a new config'): string[] {
    const refusals = reloadRefusals(this.current, next, this.role, this.listeners.addresses());
    if (refusals.length > 0) {
      const err = new FaultlineError('FL_RELOAD_REFUSED', refusals.join('; '));
      this.reloadFailed(source, err);
      throw err;
    }
    const previous = this.current;
    const changes = topLevelChanges(previous, next);
    this.current = next;
    const drainMs = next.shutdownTimeout;
    for (const [name, pool] of this.pools) {
      if (next.pools[name]) continue;
      this.pools.delete(name);
      const deadline = pool.config.mode === 'tcp' ? pool.config.drainTimeout : drainMs;
      pool.retireAll(deadline);
      // Its timers and checks end once its servers are gone.
      setTimeout(() => void pool.stop(), deadline + 100).unref();
    }
    for (const poolConfig of Object.values(next.pools)) {
      const pool = this.pools.get(poolConfig.name);
      // A tcp pool's connections last: its own drainTimeout bounds them, as for an operator's drain.
      const deadline = poolConfig.mode === 'tcp' ? poolConfig.drainTimeout : drainMs;
      if (pool) changes.push(...pool.reconfigure(poolConfig, deadline));
      else {
        const added = new Pool(poolConfig, this.events, this.role);
        this.pools.set(poolConfig.name, added);
        if (!this.stopping) added.start();
      }
    }
    this.forwarder.reconfigure(new Router(next.routes), next.limits);
    this.replayBudget.capacity = next.limits.replayBufferBudget;
    this.listeners.apply(next);
    this.admin?.setToken(next.admin.token);
    if (this.role !== 'traffic') this.events.publish({ kind: 'config-reloaded', source, changes });
    return changes;
  }

  private reloadFailed(source: string, err: unknown): void {
    if (this.role === 'traffic') return;
    const reason = reloadFailureReason(err);
    this.events.publish({ kind: 'config-reload-failed', source, reason });
  }

  /** The first http listener's address (a cluster's primary: where its workers listen). */
  get address(): ListenAddress {
    const address = this.listeners.firstHttp?.address;
    if (!address) throw new Error('the balancer has no http listener listening');
    return address;
  }

  /** The first http listener's URL (`https://` with TLS): where drills send their load. */
  get url(): string {
    const first = this.listeners.firstHttp;
    if (!first?.address) throw new Error('the balancer has no http listener listening');
    return first.url();
  }

  /** Every listener's address by name (a redirect listener as `<name>/redirect`), as bound. */
  listenerAddresses(): Record<string, ListenAddress> {
    return this.listeners.addresses();
  }

  /** Each listener with its URL: `http://`, `https://` or `tcp://`. */
  listenerUrls(): ListenerUrl[] {
    return this.listeners.urls();
  }

  get adminUrl(): string {
    if (!this.admin) throw new Error('admin API is not listening');
    return this.admin.url;
  }

  pool(name: string): Pool {
    const pool = this.pools.get(name);
    if (!pool) throw new Error(`no pool named ${name}`);
    return pool;
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  /**
   * Graceful stop: no new connections, idle keep-alive connections closed, in-flight requests
   * finish (answered with `Connection: close`) until the deadline; then everything is cut.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.doStop(options.deadlineMs ?? this.config.shutdownTimeout);
    return this.stopping;
  }

  private async doStop(deadlineMs: number): Promise<void> {
    if (this.role !== 'traffic') {
      this.events.publish({ kind: 'balancer-stopping', inflight: this.inflight, deadlineMs });
    }
    this.forwarder.shuttingDown = true;
    const closed = this.listeners.stopAccepting();
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        const notify = () => {
          clearTimeout(timer);
          resolve();
        };
        this.idle.add(notify);
      });
    }
    this.forwarder.closeTunnels();
    this.listeners.closeAll();
    await closed;
    this.forwarder.close();
    await this.admin?.close();
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
  }

  /** An upgraded connection (WebSocket tunnel) is in flight until it closes: stop waits for it. */
  private countInflightUntilClosed(socket: Duplex): void {
    this.inflight++;
    socket.once('close', () => {
      this.inflight--;
      if (this.inflight === 0) for (const notify of this.idle) notify();
    });
  }

  private info(): Record<string, unknown> {
    return {
      listen: this.listeners.firstHttp?.address ? this.url : null,
      listeners: this.listenerUrls(),
      pools: [...this.pools.keys()],
      routes: this.config.routes,
      startedAt: new Date(this.startedAt).toISOString(),
      inflight: this.inflight,
      workers: this.config.workers,
    };
  }
}
