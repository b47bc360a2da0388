import type { AlgorithmName } from './types.ts';

/**
 * The config as a person or a program writes it (the input of `normalizeConfig`): durations as
 * `'250ms'`, `'1.5s'`, `'2m'` or whole milliseconds, every default optional.
 * `normalizeConfig` validates it at run time anyway, so a config may come from anywhere.
 */
export type RawDuration = string | number;

export interface RawTimeouts {
  connect?: RawDuration;
  responseHeaders?: RawDuration;
  idle?: RawDuration;
}

export interface RawServer {
  name: string;
  url: string;
  weight?: number;
  backup?: boolean;
  maxConnections?: number;
}

interface RawHealthCommon {
  interval?: RawDuration;
  fastInterval?: RawDuration;
  timeout?: RawDuration;
  rise?: number;
  fall?: number;
}

export type RawHealth =
  | (RawHealthCommon & {
      type: 'http';
      path?: string;
      expectStatus?: number | string | [number, number];
    })
  | (RawHealthCommon & { type: 'tcp' });

export interface RawPool {
  /** `http` (default) or `tcp`: a pool of TCP servers behind a tcp listener. */
  mode?: 'http' | 'tcp';
  algorithm?: AlgorithmName;
  hash?: { key: 'client-ip' } | { key: 'header' | 'cookie'; name: string };
  servers: RawServer[];
  /** `null`, `false` or absent: no active checks (passive outlier detection still runs). */
  health?: RawHealth | null | false;
  /** Shorthand for `retry.retries`. */
  retries?: number;
  retry?: { retries?: number; budgetPercent?: number; minRetriesPerSecond?: number };
  outlier?: {
    consecutive5xx?: number;
    consecutiveGatewayFailures?: number;
    baseEjectionTime?: RawDuration;
    maxEjectionTime?: RawDuration;
    maxEjectionPercent?: number;
  };
  breaker?: {
    enabled?: boolean;
    failureRatio?: number;
    minRequests?: number;
    window?: RawDuration;
    cooldown?: RawDuration;
  };
  panicThreshold?: number;
  /** A window (`30s`) or `{ window, minPercent }`; absent or 0: off. */
  slowStart?: RawDuration | { window?: RawDuration; minPercent?: number };
  /** `true` for the defaults, or the cookie's settings. */
  sticky?:
    | boolean
    | null
    | {
        cookie?: string;
        ttl?: RawDuration;
        path?: string;
        domain?: string;
        secure?: boolean;
        httpOnly?: boolean;
        sameSite?: 'strict' | 'lax' | 'none';
      };
  websocket?: { handshakeTimeout?: RawDuration; idleTimeout?: RawDuration };
  queue?: { size?: number; timeout?: RawDuration };
  hedge?: { enabled?: boolean; floor?: RawDuration; cap?: RawDuration; factor?: number };
  timeouts?: RawTimeouts;
  /** tcp pools: how long a draining server's open connections may run. */
  drainTimeout?: RawDuration;
  /** TLS to the pool's https:// servers. */
  tls?: { ca?: string; verify?: boolean; serverName?: string };
}

export interface RawTls {
  /** One certificate: PEM files, relative to the config file. */
  cert?: string;
  key?: string;
  /** Several, chosen by SNI; the first is the default. */
  certificates?: { cert: string; key: string; names?: string[] }[];
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** A plain listener that redirects to https. */
  redirectHttp?: string | number;
}

export interface RawListener {
  name?: string;
  mode?: 'http' | 'tcp';
  listen: string | number;
  tls?: RawTls;
  /** tcp listeners: the pool they balance, and their limits. */
  pool?: string;
  maxConnections?: number;
  idleTimeout?: RawDuration;
}

export interface RawRoute {
  host?: string;
  path?: string;
  pool: string;
}

export interface RawBalancerConfig {
  /** `"host:port"`, `"[::1]:port"`, `":port"` (all interfaces) or a port number (loopback). */
  listen?: string | number;
  /** Makes `listen` an HTTPS listener. */
  tls?: RawTls;
  /** Instead of listen/tls: every listener, http and tcp. */
  listeners?: RawListener[];
  admin?: { listen?: string | number; token?: string | null };
  timeouts?: RawTimeouts & { clientHeaders?: RawDuration; clientRequest?: RawDuration };
  /** Sizes as whole bytes or `64KiB`, `1MiB`, `1GiB`. */
  limits?: {
    maxBodySize?: number | string;
    oversizedBody?: 'stream' | 'reject';
    replayBufferBudget?: number | string;
    maxHeaderSize?: number | string;
    maxConnections?: number;
  };
  shutdownTimeout?: RawDuration;
  /** Traffic worker processes (node:cluster): 1 to 64 or "auto" (one per core). */
  workers?: number | 'auto';
  pools: Record<string, RawPool>;
  /** Optional with exactly one http pool (everything goes to it). */
  routes?: RawRoute[];
}
