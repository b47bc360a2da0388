import { formatListenAddress } from '../config/index.ts';
import type { BalancerConfig, ListenAddress } from '../config/types.ts';
import type { EventBus } from '../events.ts';
import type { Pool } from '../pool/pool.ts';
import { HttpListener, type HttpTraffic } from './http-listener.ts';
import { TcpListener } from './tcp-listener.ts';
import type { TcpObserver } from './tcp-relay.ts';

export interface ListenerUrl {
  name: string;
  mode: 'http' | 'tcp';
  url: string;
}

/** Everything a balancer's listeners share: where http traffic and tcp connections go. */
export interface ListenerWiring {
  http: HttpTraffic;
  pools: ReadonlyMap<string, Pool>;
  events: EventBus;
  tcpObserver: TcpObserver;
  /** A tcp connection opened or closed (a graceful stop waits for them as for requests). */
  tcpOpened(): void;
  tcpClosed(): void;
}

/** A balancer's listeners, in config order: http ones (with the routes) and tcp ones (one pool each). */
export class ListenerSet {
  private readonly http: HttpListener[] = [];
  private readonly tcp: TcpListener[] = [];

  constructor(config: BalancerConfig, wiring: ListenerWiring) {
    for (const listener of config.listeners) {
      if (listener.mode === 'http') this.http.push(new HttpListener(listener, config, wiring.http));
      else {
        this.tcp.push(
          new TcpListener(listener, wiring.pools, wiring.events, wiring.tcpObserver, {
            opened: wiring.tcpOpened,
            closed: wiring.tcpClosed,
          }),
        );
      }
    }
  }

  /** Binds each; a cluster's primary binds none and is told where its workers listen instead. */
  async listen(elsewhere?: Record<string, ListenAddress>): Promise<void> {
    if (elsewhere) {
      for (const l of this.http) l.assign(elsewhere);
      for (const l of this.tcp) l.address = elsewhere[l.name];
      return;
    }
    for (const l of [...this.http, ...this.tcp]) await l.listen();
  }

  /** A reload's settings for each listener (the same listeners: reload.ts refuses others). */
  apply(config: BalancerConfig): void {
    for (const l of this.http) {
      const next = config.listeners.find((n) => n.name === l.name);
      if (next?.mode === 'http') l.apply(next, config);
    }
    for (const l of this.tcp) {
      const next = config.listeners.find((n) => n.name === l.name);
      if (next?.mode === 'tcp') l.apply(next);
    }
  }

  get firstHttp(): HttpListener | undefined {
    return this.http[0];
  }

  /** Every listener's address by name (a redirect listener as `<name>/redirect`), as bound. */
  addresses(): Record<string, ListenAddress> {
    const out: Record<string, ListenAddress> = {};
    for (const l of [...this.http, ...this.tcp]) if (l.address) out[l.name] = l.address;
    for (const l of this.http) if (l.redirectAddress) out[`${l.name}/redirect`] = l.redirectAddress;
    return out;
  }

  /** Each listener with its URL: `http://`, `https://` or `tcp://`; redirect listeners last. */
  urls(): ListenerUrl[] {
    return [
      ...this.http.flatMap((l) => (l.address ? [{ name: l.name, mode: 'http' as const, url: l.url() }] : [])),
      ...this.tcp.flatMap((l) =>
        l.address
          ? [{ name: l.name, mode: 'tcp' as const, url: `tcp://${formatListenAddress(l.address)}` }]
          : [],
      ),
      // Last: the plain listeners that only redirect to https (never where load goes).
      ...this.http.flatMap((l) =>
        l.redirectAddress
          ? [
              {
                name: `${l.name}/redirect`,
                mode: 'http' as const,
                url: `http://${formatListenAddress(l.redirectAddress)}`,
              },
            ]
          : [],
      ),
    ];
  }

  /** Every listener stops accepting (idle keep-alive connections close); resolves once all are gone. */
  stopAccepting(): Promise<void> {
    return Promise.all([
      ...this.http.map((l) => l.stopAccepting()),
      ...this.tcp.map((l) => l.stopAccepting()),
    ]).then(() => {});
  }

  /** The stop deadline: every connection still open is cut. */
  closeAll(): void {
    for (const l of this.http) l.closeAllConnections();
    for (const l of this.tcp) l.closeAll();
  }
}
