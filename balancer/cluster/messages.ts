import type { FaultlineErrorCode } from '../../core/errors.ts';
import type { WorkerMetrics } from '../admin/metrics.ts';
import type { ListenAddress } from '../config/types.ts';
import type { BalancerEventBody } from '../events.ts';
import type { PoolControlState } from '../pool/control-state.ts';
import type { RequestErrorEntry } from '../proxy/error-log.ts';

/** The primary's messages to a worker, over the cluster's IPC channel. */
export type ToWorker =
  /** The config text the primary loaded (a worker never reads the file: both run the same config). */
  | { t: 'start'; configText: string; configFile: string; state: PoolControlState }
  | { t: 'state'; state: PoolControlState }
  /** The primary reloaded this config: take it on (the primary checked it already). */
  | { t: 'reload'; configText: string; configFile: string }
  | { t: 'metrics'; id: number }
  | { t: 'stop'; deadlineMs: number };

/** A worker's messages to the primary. */
export type ToPrimary =
  /** Listening for messages (cluster's own 'online' comes before the worker's module has run). */
  | { t: 'hello' }
  /** Listening: each listener's address by name (as Balancer.listenerAddresses). */
  | { t: 'ready'; listeners: Record<string, ListenAddress> }
  | { t: 'failed'; code: FaultlineErrorCode | undefined; message: string }
  | { t: 'event'; body: BalancerEventBody }
  | { t: 'request-error'; entry: RequestErrorEntry }
  | { t: 'reload-failed'; message: string }
  | { t: 'metrics'; id: number; metrics: WorkerMetrics };

/**
 * What a worker reports of its own events: what its passive checks and its own traffic saw.
 * The rest (health verdicts, admin actions, the tier they imply) the primary publishes itself.
 */
export const WORKER_EVENT_KINDS: ReadonlySet<BalancerEventBody['kind']> = new Set([
  'ejected',
  'ejection-ended',
  'breaker-open',
  'breaker-half-open',
  'breaker-close',
  'panic-enter',
  'panic-exit',
  'server-drained',
]);

export function isMessage<T extends { t: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string';
}
