import type { ProxyErrorCode } from '../../core/errors.ts';

/**
 * Why the balancer answered a request itself, with the detail the client is not shown:
 * backend addresses, errno text, the path it refused. The CLI prints these on stderr.
 */
export interface RequestErrorEntry {
  at: number;
  code: ProxyErrorCode;
  /** The HTTP status it answered with; 0 for a TCP connection (closed instead). */
  status: number;
  /** A tcp listener's connection (`listener` names it), not an HTTP request. */
  listener?: string;
  /** The client's address. */
  client: string;
  requestId?: string;
  pool?: string;
  tried?: string[];
  detail?: string;
  /** The cluster worker that answered (docs/balancer.md, Workers). */
  worker?: number;
}

export class RequestErrorLog {
  private readonly listeners = new Set<(entry: RequestErrorEntry) => void>();

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: (entry: RequestErrorEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(entry: Omit<RequestErrorEntry, 'at'>): void {
    if (this.listeners.size === 0) return;
    const full = { at: Date.now(), ...entry };
    for (const listener of this.listeners) listener(full);
  }
}

/** One line of text for a log. */
export function describeRequestError(e: RequestErrorEntry): string {
  const parts = [
    e.listener ? `tcp ${e.code} (listener ${e.listener})` : `${e.status} ${e.code}`,
    `client ${e.client}`,
  ];
  if (e.requestId) parts.push(`request ${e.requestId}`);
  if (e.pool) parts.push(`pool ${e.pool}`);
  if (e.tried?.length) parts.push(`tried ${e.tried.join(',')}`);
  if (e.worker !== undefined) parts.push(`worker ${e.worker}`);
  if (e.detail) parts.push(e.detail);
  return parts.join(' · ');
}
