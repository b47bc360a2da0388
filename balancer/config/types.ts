/**
 * The balancer's config after validation and normalisation: every duration in milliseconds,
 * every default filled in. `loadConfig` is the only producer of this shape.
 */

export interface ListenAddress {
  host: string;
  port: number;
}

export const ALGORITHM_NAMES = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'weighted-least-connections',
  'ip-hash',
  'consistent-hash',
  'random',
  'power-of-two-choices',
  'latency',
] as const;

export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

/** Where consistent-hash takes its key from. ip-hash always uses the client IP. */
export type HashKeySource =
  | { from: 'client-ip' }
  | { from: 'header'; name: string }
  | { from: 'cookie'; name: string };

export interface ServerConfig {
  name: string;
  /** `http://host:port` or `https://host:port` in an http pool, `tcp://host:port` in a tcp pool. */
  url: string;
  weight: number;
  backup: boolean;
  /** Concurrent requests to this server; beyond it requests wait in the queue. 0 = unlimited. */
  maxConnections: number;
}

export interface HttpHealthConfig {
  type: 'http';
  path: string;
  /** Inclusive status range that counts as healthy. */
  expectStatus: { min: number; max: number };
  interval: number;
  /** Interval used while a server is between states (some but not all of rise/fall seen). */
  fastInterval: number;
  timeout: number;
  rise: number;
  fall: number;
}

export interface TcpHealthConfig {
  type: 'tcp';
  interval: number;
  fastInterval: number;
  timeout: number;
  rise: number;
  fall: number;
}

export type HealthConfig = HttpHealthConfig | TcpHealthConfig;

/** Passive health (Envoy outlier detection / nginx max_fails). */
export interface OutlierConfig {
  /** Consecutive 5xx answers that eject a server. 0 disables. */
  consecutive5xx: number;
  /** Consecutive connect failures / resets / timeouts that eject a server. 0 disables. */
  consecutiveGatewayFailures: number;
  /** First ejection lasts this long; each repeated ejection multiplies it (capped by maxEjectionTime). */
  baseEjectionTime: number;
  maxEjectionTime: number;
  /** Never eject more than this share of a pool's servers at once. */
  maxEjectionPercent: number;
}

/**
 * Per-server circuit breaker on the failure *ratio* (outlier detection reacts to consecutive
 * failures; the breaker catches a server that fails often but not in a row).
 */
export interface BreakerConfig {
  enabled: boolean;
  /** Opens when failures / requests within `window` reach this ratio (0..1)... */
  failureRatio: number;
  /** ...and at least this many requests were seen in the window. */
  minRequests: number;
  window: number;
  /** How long the breaker stays open before letting one trial request through (half-open). */
  cooldown: number;
}

export interface RetryConfig {
  /** Additional tries after the first. */
  retries: number;
  /** Retries may add at most this share of the pool's recent request rate... */
  budgetPercent: number;
  /** ...but at least this many retries per second are always allowed. */
  minRetriesPerSecond: number;
}

/**
 * A second try of an idempotent request on another server when the first has not answered
 * within `factor` × the pool's recent p99 time to response headers, kept within
 * [floor, cap]; the first answer wins, and the retry budget pays for each hedge.
 */
export interface HedgeConfig {
  enabled: boolean;
  floor: number;
  cap: number;
  factor: number;
}

export interface QueueConfig {
  /** Requests allowed to wait for a free connection slot, per pool. */
  size: number;
  timeout: number;
}

export interface TimeoutsConfig {
  connect: number;
  /** From request sent to the backend until its response headers arrive. */
  responseHeaders: number;
  /** Socket inactivity, both to the client and to the backend. */
  idle: number;
}

/** Limits on what a client may send; they hold before any pool is chosen. */
export interface ClientTimeoutsConfig {
  /**
   * From connection (on a kept-alive connection: from the first byte of the next request) until
   * the request headers are complete.
   */
  clientHeaders: number;
  /** From the same start until the whole request, body included, is read. */
  clientRequest: number;
}

export interface LimitsConfig {
  /** Bodies up to this size are buffered so a retry can replay them. */
  maxBodySize: number;
  /** A larger body: `stream` it through once (no retry), or `reject` it with 413. */
  oversizedBody: 'stream' | 'reject';
  /** Memory all replay buffers together may hold; beyond it new bodies are streamed. */
  replayBufferBudget: number;
  /** Request line plus headers; larger requests get 431. */
  maxHeaderSize: number;
  /** Open client connections; further connections are closed at once. */
  maxConnections: number;
}

/** Upgraded connections (WebSocket tunnels). */
export interface WebSocketConfig {
  /** From the upgrade request sent to the backend until its answer (101 or any status). */
  handshakeTimeout: number;
  /** No bytes either way for this long closes both sides of the tunnel. */
  idleTimeout: number;
}

/**
 * A server that comes back into rotation takes a growing share of new requests over `window`
 * (HAProxy slowstart, Envoy slow start): `minPercent` of its share at first, all of it at the end.
 */
export interface SlowStartConfig {
  /** 0 disables. */
  window: number;
  minPercent: number;
}

/** Session affinity by a cookie the balancer sets (HAProxy `cookie … insert`). */
export interface StickyConfig {
  cookie: string;
  /** Max-Age of the cookie; 0 makes it a session cookie. */
  ttl: number;
  path: string;
  domain: string | undefined;
  secure: boolean;
  httpOnly: boolean;
  sameSite: 'strict' | 'lax' | 'none';
}

/** TLS to a pool's `https://` servers. */
export interface UpstreamTlsConfig {
  /** Extra trusted CA certificates (PEM, read from `caFile`), besides the system's. */
  ca: string | undefined;
  caFile: string | undefined;
  /** Check the server's certificate (chain and name); false only for a test bed. */
  verify: boolean;
  /** The name sent in SNI and checked against the certificate; default the URL's host. */
  serverName: string | undefined;
}

export interface PoolConfig {
  name: string;
  /** `http` (L7: requests) or `tcp` (L4: connections, reached through a tcp listener). */
  mode: 'http' | 'tcp';
  algorithm: AlgorithmName;
  hashKey: HashKeySource;
  servers: ServerConfig[];
  health: HealthConfig | null;
  outlier: OutlierConfig;
  breaker: BreakerConfig;
  /**
   * Percent (0..100) of a tier's live servers (enabled, passing active checks) that passive
   * checks (outlier ejection, breaker) must leave in rotation; below it the tier routes across
   * all its live servers (Envoy's healthy panic threshold). 0 disables.
   */
  panicThreshold: number;
  slowStart: SlowStartConfig;
  /** Absent: no cookie affinity. */
  sticky: StickyConfig | undefined;
  websocket: WebSocketConfig;
  retry: RetryConfig;
  queue: QueueConfig;
  hedge: HedgeConfig;
  timeouts: TimeoutsConfig;
  /** Connections still open on a draining or removed server are closed after this (tcp pools). */
  drainTimeout: number;
  tls: UpstreamTlsConfig;
}

export interface RouteConfig {
  /** `*`, an exact host, or `*.suffix`. Matched case-insensitively, port ignored. */
  host: string;
  /** Path prefix, matched on segment boundaries (`/api` matches `/api` and `/api/x`, not `/apix`). */
  path: string;
  pool: string;
}

/** One certificate and its key, read from their PEM files when the config loads. */
export interface TlsCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  /** DNS names SNI selects it by (lower case; `*.example.com` matches one label): from its SAN, or given. */
  names: string[];
}

export interface TlsConfig {
  /** The first is the default: for clients that send no SNI or a name no certificate has. */
  certificates: TlsCertificate[];
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** An L7 listener: every route applies to it. With `tls`, it speaks HTTPS. */
export interface HttpListenerConfig {
  name: string;
  mode: 'http';
  listen: ListenAddress;
  tls: TlsConfig | undefined;
  /** A plain-HTTP listener beside a TLS one that answers every request with 308 to https. */
  redirectHttp: ListenAddress | undefined;
}

/** An L4 listener: every connection goes to one server of `pool`, bytes relayed both ways. */
export interface TcpListenerConfig {
  name: string;
  mode: 'tcp';
  listen: ListenAddress;
  pool: string;
  /** Open client connections; beyond it new ones are closed at once. */
  maxConnections: number;
  /** No bytes either way for this long closes both sides. */
  idleTimeout: number;
}

export type ListenerConfig = HttpListenerConfig | TcpListenerConfig;

export interface AdminConfig {
  listen: ListenAddress;
  token: string | undefined;
}

export interface BalancerConfig {
  /** In config order; `listen` (and `tls`) at the top is the shorthand for one http listener. */
  listeners: ListenerConfig[];
  admin: AdminConfig;
  timeouts: TimeoutsConfig & ClientTimeoutsConfig;
  limits: LimitsConfig;
  /** Graceful shutdown: how long in-flight requests may run after SIGTERM. */
  shutdownTimeout: number;
  /** Traffic worker processes; 1 runs everything in one process (docs/balancer.md, Workers). */
  workers: number;
  pools: Record<string, PoolConfig>;
  routes: RouteConfig[];
}
