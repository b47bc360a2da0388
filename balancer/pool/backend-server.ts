import { Pool as UpstreamPool } from 'undici';
import { cachedLookup } from '../../core/net/cached-lookup.ts';
import type { PoolConfig, ServerConfig, SlowStartConfig } from '../config/types.ts';
import { type BreakerTransition, CircuitBreaker } from '../resilience/circuit-breaker.ts';
import { OutlierDetector } from '../resilience/outlier-detector.ts';
import { WaitingTries } from './waiting-tries.ts';

export type AdminState = 'enabled' | 'draining' | 'disabled';

export interface ServerCounters {
  requests: number;
  responses: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Tries that ended without a response: refused, reset, timed out. */
  failures: number;
  /** Tries on this server that were retries of a try elsewhere (or here). */
  retries: number;
  ejections: number;
}

function upstreamPool(url: URL, config: ServerConfig, pool: PoolConfig): UpstreamPool {
  return new UpstreamPool(url.origin, {
    connections: config.maxConnections > 0 ? config.maxConnections : null,
    pipelining: 1,
    // Below Node's default server keep-alive timeout (5s), so we close idle sockets first.
    keepAliveTimeout: 4000,
    keepAliveMaxTimeout: 4000,
    connect: {
      timeout: pool.timeouts.connect,
      lookup: cachedLookup,
      ...(url.protocol === 'https:' ? upstreamTlsOptions(pool) : {}),
    },
  });
}

/** TLS options for the pool's https:// servers: its extra CA, whether to verify, the SNI name. */
export function upstreamTlsOptions(pool: PoolConfig): {
  ca?: string;
  rejectUnauthorized: boolean;
  servername?: string;
} {
  const { ca, verify, serverName } = pool.tls;
  return {
    ...(ca !== undefined ? { ca } : {}),
    rejectUnauthorized: verify,
    ...(serverName !== undefined ? { servername: serverName } : {}),
  };
}

/** Two settings objects of the config (plain data) are the same. */
export function sameSettings(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One backend as the balancer sees it: config, health, passive state, breaker, counters. */
export class BackendServer {
  readonly name: string;
  readonly url: URL;
  backup: boolean;
  maxConnections: number;
  /** Made on first use: a tcp pool's servers and a cluster primary's never need one. */
  private connections: UpstreamPool | undefined;
  private connectionSettings: { config: ServerConfig; pool: PoolConfig };
  breaker: CircuitBreaker;
  outlier: OutlierDetector;
  weight: number;
  /** Removed from the config by a reload: no new requests, gone once its last one ends. */
  retiring = false;
  adminState: AdminState = 'enabled';
  /** Active health state; a server without active checks is always healthy here. */
  healthy = true;
  healthReason = 'initial';
  ejectedUntil = 0;
  ejectionReason = '';
  lastEjectionAt = 0;
  /** After an ejection ends, one trial request at a time until one succeeds. */
  probation = false;
  /**
   * When it last came back (passed its rise checks, or its ejection ended). A try that began
   * before then and failed says how the server was, not how it is: it is not held against it.
   */
  returnedAt = 0;
  inflight = 0;
  /** When its slow start began (Date.now()); 0: none running. */
  slowStartFrom = 0;
  /**
   * Tries on this server still waiting for response headers whose request may be replayed
   * elsewhere; called with the reason when the server leaves rotation.
   */
  readonly waiting = new WaitingTries();
  lastLatencyMs: number | undefined;
  readonly counters: ServerCounters = {
    requests: 0,
    responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    failures: 0,
    retries: 0,
    ejections: 0,
  };

  constructor(
    config: ServerConfig,
    pool: PoolConfig,
    private readonly onBreaker: (t: BreakerTransition) => void,
  ) {
    this.name = config.name;
    this.url = new URL(config.url);
    this.backup = config.backup;
    this.weight = config.weight;
    this.maxConnections = config.maxConnections;
    this.breaker = new CircuitBreaker(pool.breaker, onBreaker);
    this.outlier = new OutlierDetector(pool.outlier);
    this.connectionSettings = { config, pool };
  }

  /** Keep-alive connections to this server (undici: the request path's upstream client). */
  get upstream(): UpstreamPool {
    return this.connections ?? this.connect();
  }

  private connect(): UpstreamPool {
    const { config, pool } = this.connectionSettings;
    this.connections = upstreamPool(this.url, config, pool);
    return this.connections;
  }

  /**
   * Takes on a reloaded config for the same name and URL; returns what changed, for the reload
   * event. New connection settings get a new connection pool (the old one finishes its requests
   * first); new breaker or outlier settings start their state afresh.
   */
  reconfigure(config: ServerConfig, pool: PoolConfig, previous: PoolConfig): string[] {
    const changed: string[] = [];
    if (config.weight !== this.weight) changed.push(`weight ${this.weight} -> ${config.weight}`);
    if (config.backup !== this.backup) changed.push(config.backup ? 'now a backup' : 'now a primary');
    if (
      config.maxConnections !== this.maxConnections ||
      pool.timeouts.connect !== previous.timeouts.connect ||
      !sameSettings(pool.tls, previous.tls)
    ) {
      if (config.maxConnections !== this.maxConnections) {
        changed.push(`maxConnections ${this.maxConnections} -> ${config.maxConnections}`);
      }
      // The old connections finish their requests; new ones use the new settings.
      void this.connections?.close().catch(() => {});
      this.connections = undefined;
    }
    this.weight = config.weight;
    this.backup = config.backup;
    this.maxConnections = config.maxConnections;
    this.connectionSettings = { config, pool };
    if (!sameSettings(pool.breaker, previous.breaker))
      this.breaker = new CircuitBreaker(pool.breaker, this.onBreaker);
    if (!sameSettings(pool.outlier, previous.outlier)) this.outlier = new OutlierDetector(pool.outlier);
    return changed;
  }

  get ejected(): boolean {
    return this.ejectedUntil > Date.now();
  }

  /** Really there: enabled by the operator and passing active checks (or none configured). */
  get live(): boolean {
    return this.adminState === 'enabled' && this.healthy;
  }

  /** Neither ejected by outlier detection nor cut off by an open breaker. */
  get passesPassiveChecks(): boolean {
    return !this.ejected && this.breaker.current !== 'open';
  }

  get inRotation(): boolean {
    return this.live && this.passesPassiveChecks;
  }

  /**
   * May take one more request right now. In panic, passive state is ignored (ejection, open or
   * half-open breaker, probation): only liveness and the connection limit count.
   */
  acceptsNow(panic = false): boolean {
    if (panic) {
      if (!this.live) return false;
    } else {
      if (!this.inRotation || !this.breaker.allows()) return false;
      if (this.probation && this.inflight > 0) return false;
    }
    return this.maxConnections === 0 || this.inflight < this.maxConnections;
  }

  /**
   * Its share of new requests during a slow start, 0..1: from `minPercent` rising linearly to
   * all of it at the end of the window.
   */
  rampFactor(slowStart: SlowStartConfig, at = Date.now()): number {
    if (this.slowStartFrom === 0) return 1;
    const elapsed = at - this.slowStartFrom;
    if (slowStart.window <= 0 || elapsed >= slowStart.window) {
      this.slowStartFrom = 0;
      return 1;
    }
    return Math.max(slowStart.minPercent / 100, elapsed / slowStart.window);
  }

  get state(): 'up' | 'down' | 'ejected' | 'breaker-open' | 'draining' | 'disabled' {
    if (this.adminState !== 'enabled') return this.adminState;
    if (!this.healthy) return 'down';
    if (this.ejected) return 'ejected';
    if (this.breaker.current === 'open') return 'breaker-open';
    return 'up';
  }

  /** Out of rotation: every safe try still waiting on this server goes elsewhere at once. */
  redispatchWaiting(reason: string): void {
    this.waiting.moveAll(reason);
  }

  countResponse(status: number): void {
    const cls =
      `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` as keyof ServerCounters['responses'];
    this.counters.responses[cls]++;
  }

  close(): void {
    void this.connections?.destroy().catch(() => {});
  }

  /** Closes its connections once the requests on them are done. */
  closeGracefully(): void {
    void this.connections?.close().catch(() => {});
  }
}
