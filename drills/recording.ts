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

/** What an SLA or threshold is evaluated on. */
export interface Recording {
  requests: readonly RequestRecord[];
  events: readonly BalancerEvent[];
}
