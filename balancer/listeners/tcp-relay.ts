import net from 'node:net';
import { now } from '../../core/clock.ts';
import type { ProxyErrorCode } from '../../core/errors.ts';
import type { TcpListenerConfig } from '../config/types.ts';
import { socketHost, socketPort } from '../health/probe-result.ts';
import type { BackendServer } from '../pool/backend-server.ts';
import type { Pool } from '../pool/pool.ts';
import { isConnectFailure } from '../proxy/connect-errors.ts';

/** What a relay reports: the balancer's metrics and error log. */
export interface TcpObserver {
  connected(pool: string, server: string): void;
  bytes(pool: string, server: string, fromClient: number, fromServer: number): void;
  /** A connection closed unserved: its listener, pool and client, the servers tried, why. */
  refused(refusal: {
    listener: string;
    pool: string;
    code: ProxyErrorCode;
    client: string;
    tried: string[];
    detail: string;
  }): void;
}

/**
 * One client connection through a tcp listener: a server from the pool (its queue when every
 * server is full), a connection to it within `timeouts.connect` or the next server (a connect
 * failure is a retry paid from the budget, as for HTTP), then bytes both ways with half-close
 * passed on, until either side closes or nothing moves for `idleTimeout`. The connection holds
 * its server's slot while open, so least-connections sees open connections.
 */
export class TcpRelay {
  server: BackendServer | undefined;
  private upstream: net.Socket | undefined;
  private closed = false;
  private readonly client: string;

  constructor(
    private readonly socket: net.Socket,
    private readonly pool: Pool,
    private readonly config: TcpListenerConfig,
    private readonly observer: TcpObserver,
    private readonly onClose: (relay: TcpRelay) => void,
  ) {
    const address = socket.remoteAddress ?? '';
    this.client = address.startsWith('::ffff:') ? address.slice(7) : address;
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  async start(): Promise<void> {
    const pool = this.pool;
    // Each connection counts toward the retry budget, as each HTTP request does.
    pool.retryBudget.recordRequest();
    const tried: string[] = [];
    let lastFailure: { code: ProxyErrorCode; detail: string } | undefined;
    const leaving = new AbortController();
    this.socket.once('close', () => leaving.abort());
    for (let attempt = 0; attempt <= pool.config.retry.retries; attempt++) {
      if (this.closed) return;
      if (attempt > 0 && !pool.retryBudget.tryWithdraw()) {
        this.refuse('retry_budget_exhausted', tried, lastFailure?.detail ?? '');
        return;
      }
      const pending = pool.acquire({ clientIp: this.client, headers: {} }, tried, () => leaving.signal);
      const acquired = pending instanceof Promise ? await pending : pending;
      if (!acquired.ok) {
        if (acquired.code !== 'cancelled') {
          const code = lastFailure?.code ?? acquired.code;
          this.refuse(code, tried, lastFailure?.detail ?? `no server of pool ${pool.name} takes connections`);
        }
        return;
      }
      const server = acquired.server;
      tried.push(server.name);
      if (this.closed) {
        pool.release(server, 'aborted', 0);
        return;
      }
      const started = now();
      const outcome = await this.connect(server);
      if (outcome.ok) {
        pool.recordOutcome(server, 'success', now() - started);
        if (this.closed) {
          outcome.socket.destroy();
          pool.release(server, 'aborted', 0);
          return;
        }
        this.relay(server, outcome.socket);
        return;
      }
      server.counters.failures++;
      pool.release(server, 'gateway-failure', now() - started);
      lastFailure = { code: outcome.code, detail: `${server.name} (${server.url.host}): ${outcome.detail}` };
    }
    if (lastFailure) this.refuse(lastFailure.code, tried, lastFailure.detail);
  }

  private connect(
    server: BackendServer,
  ): Promise<{ ok: true; socket: net.Socket } | { ok: false; code: ProxyErrorCode; detail: string }> {
    const timeoutMs = this.pool.config.timeouts.connect;
    return new Promise((resolve) => {
      const socket = net.connect({
        host: socketHost(server.url),
        port: socketPort(server.url),
        allowHalfOpen: true,
      });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({
          ok: false,
          code: 'upstream_connect_timeout',
          detail: `no connection within ${timeoutMs}ms`,
        });
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve({ ok: true, socket });
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        const code = isConnectFailure(err.code) ? 'upstream_connect_failed' : 'upstream_reset';
        resolve({ ok: false, code, detail: `${err.code ?? 'error'}: ${err.message}` });
      });
    });
  }

  private relay(server: BackendServer, upstream: net.Socket): void {
    this.server = server;
    this.upstream = upstream;
    server.counters.requests++;
    this.observer.connected(this.pool.name, server.name);
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      // A reset by the server (it died, or cut us off) counts against it, as a reset request would.
      if (!this.closed && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        this.pool.recordOutcome(server, 'gateway-failure', 0);
      }
      this.close();
    });
    upstream.on('close', () => this.close());
    for (const side of [this.socket, upstream]) {
      side.setTimeout(this.config.idleTimeout, () => this.close());
      side.setNoDelay(true);
    }
    // pipe() passes on a half-close (end) and back-pressure both ways.
    this.socket.pipe(upstream);
    upstream.pipe(this.socket);
  }

  /** Closes both sides (a drain deadline, the balancer's stop, an error or the other side gone). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const upstream = this.upstream;
    if (upstream && this.server) {
      upstream.destroy();
      this.observer.bytes(this.pool.name, this.server.name, upstream.bytesWritten, upstream.bytesRead);
      this.pool.release(this.server, 'aborted', 0);
    }
    this.onClose(this);
  }

  private refuse(code: ProxyErrorCode, tried: string[], detail: string): void {
    const { name: listener } = this.config;
    this.observer.refused({ listener, pool: this.pool.name, code, client: this.client, tried, detail });
    this.close();
  }
}
