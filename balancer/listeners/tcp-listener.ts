import net from 'node:net';
import type { ListenAddress, TcpListenerConfig } from '../config/types.ts';
import type { BalancerEvent, EventBus } from '../events.ts';
import type { Pool } from '../pool/pool.ts';
import { closeServer, listen } from './listen.ts';
import { type TcpObserver, TcpRelay } from './tcp-relay.ts';

/**
 * An L4 listener: each connection is relayed to one server of its pool (tcp-relay.ts). A server
 * that starts draining (an operator, or a reload that removed it) takes no new connection; the
 * ones it has are closed once the pool's drainTimeout passes, unless they ended by then.
 */
export class TcpListener {
  readonly server: net.Server;
  private readonly relays = new Set<TcpRelay>();
  private readonly drainTimers = new Map<string, NodeJS.Timeout>();
  private bound: ListenAddress | undefined;
  private readonly unsubscribe: () => void;
  private accepting = true;

  constructor(
    private config: TcpListenerConfig,
    private readonly pools: ReadonlyMap<string, Pool>,
    events: EventBus,
    private readonly observer: TcpObserver,
    private readonly hooks: { opened(): void; closed(): void },
  ) {
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      this.accept(socket),
    );
    this.server.maxConnections = config.maxConnections;
    this.unsubscribe = events.subscribe((e) => this.onEvent(e));
  }

  get name(): string {
    return this.config.name;
  }

  get poolName(): string {
    return this.config.pool;
  }

  async listen(address: ListenAddress = this.config.listen): Promise<void> {
    this.bound = await listen(this.server, address, `TCP traffic (listener ${this.config.name})`);
  }

  get address(): ListenAddress | undefined {
    return this.bound;
  }

  set address(address: ListenAddress | undefined) {
    this.bound = address;
  }

  get open(): number {
    return this.relays.size;
  }

  /** A reload: the pool (for new connections), the connection cap, the idle timeout (new connections). */
  apply(config: TcpListenerConfig): void {
    this.config = config;
    this.server.maxConnections = config.maxConnections;
  }

  private accept(socket: net.Socket): void {
    const pool = this.pools.get(this.config.pool);
    if (!this.accepting || !pool) {
      socket.destroy();
      return;
    }
    this.hooks.opened();
    const relay = new TcpRelay(socket, pool, this.config, this.observer, (r) => {
      if (this.relays.delete(r)) this.hooks.closed();
    });
    this.relays.add(relay);
    void relay.start();
  }

  private onEvent(e: BalancerEvent): void {
    if (!('server' in e) || e.pool !== this.config.pool) return;
    const key = e.server;
    if (e.kind === 'server-draining') {
      const pool = this.pools.get(e.pool);
      const deadline = pool?.config.drainTimeout ?? 0;
      clearTimeout(this.drainTimers.get(key));
      const timer = setTimeout(() => {
        this.drainTimers.delete(key);
        for (const relay of this.relays)
          if (relay.server?.name === key && relay.server.adminState === 'draining') relay.close();
      }, deadline);
      timer.unref();
      this.drainTimers.set(key, timer);
    } else if (e.kind === 'server-enabled') {
      clearTimeout(this.drainTimers.get(key));
      this.drainTimers.delete(key);
    }
  }

  /** No new connections; the open ones go on until they end or `closeAll`. */
  stopAccepting(): Promise<void> {
    this.accepting = false;
    this.unsubscribe();
    for (const timer of this.drainTimers.values()) clearTimeout(timer);
    return closeServer(this.server);
  }

  closeAll(): void {
    for (const relay of [...this.relays]) relay.close();
  }
}
