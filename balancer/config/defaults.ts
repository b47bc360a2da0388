/**
 * Every default of the balancer config, in one place (docs/balancer.md documents this table).
 * Durations are in milliseconds.
 */
export const DEFAULTS = {
  /** Loopback only: exposing the balancer is a deliberate choice. */
  listen: '127.0.0.1:8080',
  admin: { listen: '127.0.0.1:9090', tokenMinLength: 16 },
  timeouts: { connect: 2000, responseHeaders: 15_000, idle: 60_000 },
  clientTimeouts: { clientHeaders: 10_000, clientRequest: 30_000 },
  limits: {
    maxBodySize: 1024 * 1024,
    oversizedBody: 'stream',
    replayBufferBudget: 64 * 1024 * 1024,
    /** Node's own default. */
    maxHeaderSize: 16 * 1024,
    maxConnections: 10_000,
  },
  shutdownTimeout: 10_000,
  workers: 1,
  algorithm: 'weighted-round-robin',
  /** A tcp pool's: connections last, so the count in flight is what to even out. */
  tcpAlgorithm: 'least-connections',
  /** Connections still open on a draining server of a tcp pool are closed after this. */
  drainTimeout: 30_000,
  tls: { minVersion: 'TLSv1.2' },
  tcpListener: { maxConnections: 10_000, idleTimeout: 3_600_000 },
  hashKey: { from: 'client-ip' },
  server: { weight: 1, backup: false, maxConnections: 0 },
  health: {
    path: '/health',
    expectStatus: { min: 200, max: 399 },
    interval: 2000,
    /** The timeout defaults to this or the interval, whichever is shorter. */
    timeout: 1000,
    /** fastInterval defaults to interval / 2, but at least this and never above the interval. */
    fastIntervalFloor: 100,
    rise: 2,
    fall: 3,
  },
  retry: { retries: 2, budgetPercent: 20, minRetriesPerSecond: 10 },
  outlier: {
    consecutive5xx: 5,
    consecutiveGatewayFailures: 3,
    baseEjectionTime: 5000,
    maxEjectionTime: 60_000,
    maxEjectionPercent: 50,
  },
  panicThreshold: 50,
  /** Off; `slowStart: 30s` ramps from minPercent (Envoy's min_weight_percent default) to all. */
  slowStart: { window: 0, minPercent: 10 },
  sticky: { cookie: 'FLSERVER', ttl: 0, path: '/', secure: false, httpOnly: true, sameSite: 'lax' },
  websocket: { handshakeTimeout: 10_000, idleTimeout: 300_000 },
  breaker: { enabled: true, failureRatio: 0.5, minRequests: 20, window: 10_000, cooldown: 5000 },
  queue: { size: 100, timeout: 5000 },
  /** A frozen server costs a request ~floor, not the header timeout (15 s). */
  hedge: { enabled: true, floor: 100, cap: 1000, factor: 3 },
} as const;
