import type { BalancerEvent } from '../balancer/index.ts';

/**
 * One request of the load, as the load generator saw it. Times are wall-clock milliseconds
 * (`performance.timeOrigin + performance.now()`), the same clock as the balancer's events.
 */
export interface RequestRecord {
  /** When the open model scheduled it to be sent; latency counts from here (no coordinated omission). */
  intended: number;
  /** When it was actually handed to the connection pool (lags `intended` when the client falls behind). */
  sent: number;
  /** Milliseconds from `intended` to the end of the response (or the error). */
  latencyMs: number;
  method: string;
  path: string;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  /**
   * Why it failed: the balancer's `x-faultline-error` code on a gateway error, or a client-side
   * code (`timeout`, `ECONNREFUSED`, `ECONNRESET`, ...). Undefined on success.
   */
  error?: string;
  /** The server that answered, from the balancer's `x-served-by` header. */
  servedBy?: string;
}

/** A request failed: no response, or a 5xx. */
export function isFailure(r: Pick<RequestRecord, 'status'>): boolean {
  return r.status === 0 || r.status >= 500;
}

/** When a request finished (response complete or error), on the shared clock. */
export function finishedAt(r: Pick<RequestRecord, 'intended' | 'latencyMs'>): number {
  return r.intended + r.latencyMs;
}

/** A time window on the shared clock, [start, end). */
export interface TimeWindow {
  start: number;
  end: number;
}

/** What SLAs need to know of the requests intended in one window: counts, never the requests. */
export interface WindowStats {
  readonly requests: number;
  /** Failed requests (see isFailure). */
  readonly errors: number;
  readonly latencySumMs: number;
  readonly maxMs: number;
  /** Successful requests by the server that answered. */
  readonly okBy: ReadonlyMap<string, number>;
  /** Every request a server answered, failed ones too. */
  readonly answeredBy: ReadonlyMap<string, number>;
  /** The earliest end (finishedAt) of a successful request, by the server that answered. */
  readonly firstOkEndBy: ReadonlyMap<string, number>;
  /** Latency percentile in ms (0 < p ≤ 100; 100 is the exact max); 0 when there are no requests. */
  percentile(p: number): number;
}

/** A bucket of `RequestSource.buckets`. */
export interface WindowBucket {
  window: TimeWindow;
  stats: WindowStats;
}

/**
 * The requests of a run as SLA evaluation reads them: aggregates per window. A plain array
 * (tests, short loads) answers by filtering; the runner's streaming recorder from bounded
 * aggregates, exactly on the windows the run marked.
 */
export interface RequestSource {
  /** The requests intended in [start, end); `end` may be Infinity. Throws when it cannot be resolved exactly. */
  window(w: TimeWindow): WindowStats;
  /** `bucketWindows(from, widthMs, end)`, each with its requests. */
  buckets(from: number, widthMs: number, end: number): WindowBucket[];
}

/** Consecutive windows of `widthMs` from `from`; the last one cut at `end`, kept when at least half as wide. */
export function bucketWindows(from: number, widthMs: number, end: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (let s = from; end - s >= widthMs / 2; s += widthMs) {
    windows.push({ start: s, end: Math.min(end, s + widthMs) });
  }
  return windows;
}

/** What an SLA or threshold is evaluated on. */
export interface Recording {
  /** Every request record (tests, short loads) or the runner's streaming aggregates. */
  requests: readonly RequestRecord[] | RequestSource;
  events: readonly BalancerEvent[];
}
