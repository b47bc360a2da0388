import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AdminServer } from './admin/admin-server.ts';
import { BalancerMetrics } from './admin/metrics.ts';
import { formatListenAddress } from './config/index.ts';
import type { BalancerConfig, ListenAddress } from './config/types.ts';
import { FaultlineError } from './errors.ts';
import { EventBus } from './events.ts';
import { Pool } from './pool/pool.ts';
import { Forwarder } from './proxy/forwarder.ts';
import { Router } from './router.ts';

export interface StopOptions {
  /** Overrides the config's shutdownTimeout. */
  deadlineMs?: number;
}

function listen(server: http.Server, at: ListenAddress, what: string): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new FaultlineError(
          'FL_LISTEN_FAILED',
          `cannot listen for ${what} on ${formatListenAddress(at)}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      resolve({ host: at.host, port: address.port });
    });
  });
}

/**
 * The running balancer: the traffic listener, its pools with their health checkers, and the
 * admin API on its own listener. `stop()` drains gracefully.
 */
export class Balancer {
  readonly events = new EventBus();
  readonly pools: ReadonlyMap<string, Pool>;
  readonly metrics: BalancerMetrics;
  private readonly forwarder: Forwarder;
  private readonly http: http.Server;
  private admin: AdminServer | undefined;
  private listenAddress: ListenAddress | undefined;
  private inflight = 0;
  private readonly idle = new Set<() => void>();
  private stopping: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  private constructor(readonly config: BalancerConfig) {
    this.pools = new Map(Object.values(config.pools).map((p) => [p.name, new Pool(p, this.events)]));
    this.metrics = new BalancerMetrics(() => this.pools.values());
    this.metrics.attach(this.events);
    this.forwarder = new Forwarder(new Router(config.routes), this.pools, this.metrics);
    this.http = http.createServer({ keepAliveTimeout: 5000, requestTimeout: 0 }, (req, res) => {
      this.inflight++;
      res.once('close', () => {
        this.inflight--;
        if (this.inflight === 0) for (const notify of this.idle) notify();
      });
      this.forwarder.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    this.http.timeout = config.timeouts.idle;
    this.http.on('upgrade', (req, socket, head) => {
      this.countInflightUntilClosed(socket);
      this.forwarder.handleUpgrade(req, socket, head).catch(() => socket.destroy());
    });
    this.http.on('clientError', (_err, socket) => {
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  static async start(config: BalancerConfig): Promise<Balancer> {
    const balancer = new Balancer(config);
    try {
      balancer.listenAddress = await listen(balancer.http, config.listen, 'traffic');
      balancer.admin = await AdminServer.start({
        config: config.admin,
        pools: balancer.pools,
        events: balancer.events,
        metrics: balancer.metrics,
        info: () => balancer.info(),
      });
    } catch (err) {
      balancer.http.close();
      await Promise.all([...balancer.pools.values()].map((p) => p.stop()));
      throw err;
    }
    for (const pool of balancer.pools.values()) pool.start();
    balancer.events.publish({ kind: 'balancer-started', listen: balancer.url, admin: balancer.adminUrl });
    return balancer;
  }

  get address(): ListenAddress {
    if (!this.listenAddress) throw new Error('balancer is not listening');
    return this.listenAddress;
  }

  get url(): string {
    return `http://${formatListenAddress(this.address)}`;
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
    this.events.publish({ kind: 'balancer-stopping', inflight: this.inflight, deadlineMs });
    this.forwarder.shuttingDown = true;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
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
    this.http.closeAllConnections();
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
      listen: this.listenAddress ? this.url : null,
      pools: [...this.pools.keys()],
      routes: this.config.routes,
      startedAt: new Date(this.startedAt).toISOString(),
      inflight: this.inflight,
    };
  }
}
