import {
  type Aggregator,
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import type { BalancerEventKind, EventBus } from '../events.ts';
import type { Pool } from '../pool/pool.ts';
import type { ServerSnapshot } from '../pool/snapshot.ts';

/** A pool as the admin API shows it. */
export type PoolSnapshot = ReturnType<Pool['snapshot']>;

/** Label value for `server` when the balancer answered without reaching any server. */
export const NO_SERVER_LABEL = 'none';

/** Request durations from 1ms to 30s, in seconds. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const TIERS = ['primary', 'backup', 'none'] as const;

/** One worker's metrics, as `getMetricsAsJSON()` gives them (what a cluster's primary adds up). */
export type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** HTTP status → bounded class label ("1xx".."5xx"). */
export function statusClass(status: number): string {
  return `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;
}

/**
 * The balancer's Prometheus metrics, in a registry of its own (several balancers may run in
 * one process). Counters are fed by the request path; server and pool state is read from the
 * pools' snapshots when scraped.
 */
export class BalancerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'pool' | 'server' | 'code'>;
  private readonly duration: Histogram<'pool'>;
  private readonly retries: Counter<'pool' | 'server'>;
  private readonly proxyErrors: Counter<'pool' | 'code'>;
  private readonly events: Counter<'kind'>;
  private readonly tcpConnections: Counter<'pool' | 'server'>;
  private readonly tcpBytes: Counter<'pool' | 'server' | 'direction'>;
  /** Label children by joined label values: the request path skips prom-client's label hashing. */
  private readonly requestChildren = new Map<string, Counter.Internal>();
  private readonly durationChildren = new Map<string, Histogram.Internal<'pool'>>();
  /** Snapshots taken once per scrape and shared by every gauge's collect(). */
  private scrapeSnapshots: PoolSnapshot[] | undefined;
  private workerMetrics: (() => Promise<WorkerMetrics[]>) | undefined;

  constructor(private readonly pools: () => Iterable<Pool>) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'faultline_requests_total',
      help: 'Requests answered, by pool, serving server ("none" when the balancer answered itself) and status class',
      labelNames: ['pool', 'server', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'faultline_request_duration_seconds',
      help: 'Time from request received to response headers sent, in seconds',
      labelNames: ['pool'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'faultline_retries_total',
      help: 'Retries, by pool and the server the retry went to',
      labelNames: ['pool', 'server'],
      registers,
    });
    this.proxyErrors = new Counter({
      name: 'faultline_proxy_errors_total',
      help: 'Answers the balancer made itself (502/503/504), by pool and error code',
      labelNames: ['pool', 'code'],
      registers,
    });
    this.tcpConnections = new Counter({
      name: 'faultline_tcp_connections_total',
      help: 'TCP connections relayed by tcp listeners, by pool and server',
      labelNames: ['pool', 'server'],
      registers,
    });
    this.tcpBytes = new Counter({
      name: 'faultline_tcp_bytes_total',
      help: 'Bytes relayed by tcp listeners, counted when a connection closes (direction: from the client to the server, or back)',
      labelNames: ['pool', 'server', 'direction'],
      registers,
    });
    this.events = new Counter({
      name: 'faultline_events_total',
      help: 'Balancer events published, by kind',
      labelNames: ['kind'],
      registers,
      // Counted where events are published: a cluster's primary publishes its workers' too.
      aggregator: 'omit',
    });
    // Across a cluster's workers (aggregator): in rotation only if in every worker's; ejected or
    // breaker open if in any worker; in flight summed; what the primary decides is the same in all.
    this.serverGauge(
      'faultline_server_up',
      'Server in rotation (1) or not (0)',
      (s) => (s.state === 'up' ? 1 : 0),
      'min',
      true,
    );
    this.serverGauge(
      'faultline_server_healthy',
      'Active health check verdict (1 healthy)',
      (s) => (s.healthy ? 1 : 0),
      'first',
    );
    this.serverGauge(
      'faultline_server_inflight',
      'Requests in flight to the server',
      (s) => s.inflight,
      'sum',
    );
    this.serverGauge('faultline_server_weight', 'Current balancing weight', (s) => s.weight, 'first');
    this.serverGauge(
      'faultline_server_ejected',
      'Ejected by outlier detection (1) or not',
      (s) => (s.ejectedUntil === null ? 0 : 1),
      'max',
    );
    this.serverGauge(
      'faultline_server_breaker_open',
      'Circuit breaker open (1) or not',
      (s) => (s.breaker === 'open' ? 1 : 0),
      'max',
    );
    this.serverGauge(
      'faultline_server_draining',
      'Drained by an operator (1) or not',
      (s) => (s.adminState === 'draining' ? 1 : 0),
      'first',
    );
    this.serverGauge(
      'faultline_server_disabled',
      'Disabled by an operator (1) or not',
      (s) => (s.adminState === 'disabled' ? 1 : 0),
      'first',
    );
    const snapshots = () => this.snapshots();
    new Gauge({
      name: 'faultline_pool_queue_length',
      help: 'Requests waiting for a free connection slot',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const p of snapshots()) this.set({ pool: p.name }, p.queued);
      },
    });
    new Gauge({
      name: 'faultline_pool_panic',
      help: 'A tier of the pool routes across all its live servers, passive state ignored (1) or not (0)',
      labelNames: ['pool'],
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        for (const p of snapshots()) this.set({ pool: p.name }, p.panic ? 1 : 0);
      },
    });
    new Gauge({
      name: 'faultline_pool_active_tier',
      help: 'The tier taking traffic (1) per pool: primary, backup, or none',
      labelNames: ['pool', 'tier'],
      registers,
      // 1 for a tier some worker routes to.
      aggregator: 'max',
      collect() {
        this.reset();
        for (const p of snapshots()) {
          for (const tier of TIERS) this.set({ pool: p.name, tier }, p.activeTier === tier ? 1 : 0);
        }
      },
    });
  }

  /** The Prometheus exposition format's content type, for the `/metrics` answer. */
  get contentType(): string {
    return this.registry.contentType;
  }

  observeRequest(pool: string, server: string | undefined, status: number, durationMs: number): void {
    const serverLabel = server ?? NO_SERVER_LABEL;
    const code = statusClass(status);
    const key = `${pool}\u0000${serverLabel}\u0000${code}`;
    let counter = this.requestChildren.get(key);
    if (!counter) {
      counter = this.requests.labels(pool, serverLabel, code);
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let histogram = this.durationChildren.get(pool);
    if (!histogram) {
      histogram = this.duration.labels(pool);
      this.durationChildren.set(pool, histogram);
    }
    histogram.observe(durationMs / 1000);
  }

  countRetry(pool: string, server: string): void {
    this.retries.labels(pool, server).inc();
  }

  countTcpConnection(pool: string, server: string): void {
    this.tcpConnections.inc({ pool, server });
  }

  countTcpBytes(pool: string, server: string, fromClient: number, fromServer: number): void {
    this.tcpBytes.inc({ pool, server, direction: 'to-server' }, fromClient);
    this.tcpBytes.inc({ pool, server, direction: 'to-client' }, fromServer);
  }

  countProxyError(pool: string, code: string): void {
    this.proxyErrors.labels(pool, code).inc();
  }

  countEvent(kind: BalancerEventKind): void {
    this.events.labels(kind).inc();
  }

  /** Counts every event published on `events`; returns the unsubscribe function. */
  attach(events: EventBus): () => void {
    return events.subscribe((e) => this.countEvent(e.kind));
  }

  /**
   * In a cluster's primary: request metrics and server state come from the workers (added up by
   * each metric's aggregator), event counts from the primary, where every event is published.
   */
  aggregateWorkers(fetch: () => Promise<WorkerMetrics[]>): void {
    this.workerMetrics = fetch;
  }

  /** All metrics in the Prometheus text format. */
  async text(): Promise<string> {
    if (this.workerMetrics) {
      const workers = AggregatorRegistry.aggregate(await this.workerMetrics());
      const events = await this.registry.getSingleMetricAsString('faultline_events_total');
      return `${await workers.metrics()}${events}\n`;
    }
    return this.scrape(() => this.registry.metrics());
  }

  /** This process's metrics as JSON: what a cluster worker sends its primary. */
  async json(): Promise<WorkerMetrics> {
    return this.scrape(async () => (await this.registry.getMetricsAsJSON()) as WorkerMetrics);
  }

  /** Runs one scrape with the pools' snapshots taken once, shared by every gauge's collect(). */
  private async scrape<T>(read: () => Promise<T>): Promise<T> {
    this.scrapeSnapshots = [...this.pools()].map((p) => p.snapshot());
    try {
      return await read();
    } finally {
      this.scrapeSnapshots = undefined;
    }
  }

  private snapshots(): PoolSnapshot[] {
    return this.scrapeSnapshots ?? [...this.pools()].map((p) => p.snapshot());
  }

  private serverGauge(
    name: string,
    help: string,
    value: (s: ServerSnapshot) => number,
    aggregator: Aggregator,
    withBackup = false,
  ): void {
    const snapshots = () => this.snapshots();
    new Gauge({
      name,
      help,
      aggregator,
      labelNames: withBackup ? ['pool', 'server', 'backup'] : ['pool', 'server'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of snapshots()) {
          for (const s of p.servers) {
            const labels = {
              pool: p.name,
              server: s.name,
              ...(withBackup ? { backup: String(s.backup) } : {}),
            };
            this.set(labels, value(s));
          }
        }
      },
    });
  }
}
