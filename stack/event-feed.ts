import type { AdminClient, BalancerEvent } from '../balancer/index.ts';
import { now } from '../core/clock.ts';

type EventListener = (event: BalancerEvent) => void;

/** Events kept for late subscribers (a stack publishes a few per fault). */
const MAX_HISTORY = 10_000;
const RECONNECT_MS = 200;
const CONNECT_WAIT_MS = 5000;

/**
 * A stack's balancer events, on the wall clock, through one typed path: the admin API's event
 * stream, followed across balancer restarts (a fault may kill it, a revert or the compose stack
 * start it again on the same address). Each connection replays what the balancer retained, so
 * the events of a restarted balancer are not lost; one already delivered is not delivered twice.
 */
export class BalancerEventFeed {
  private readonly listeners = new Set<EventListener>();
  private readonly history: BalancerEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly stopped = new AbortController();
  private readonly since: number;
  /** Resolves once the first connection is open (or after 5 s: the balancer may be frozen). */
  readonly connected: Promise<void>;

  /** `since`: events before this wall-clock time are not the stack's (default: now). */
  constructor(
    private readonly admin: AdminClient,
    options: { since?: number } = {},
  ) {
    this.since = options.since ?? now();
    let onConnected = () => {};
    this.connected = new Promise<void>((resolve) => {
      onConnected = resolve;
      setTimeout(resolve, CONNECT_WAIT_MS).unref();
    });
    void this.follow(onConnected);
  }

  private async follow(onConnected: () => void): Promise<void> {
    while (!this.stopped.signal.aborted) {
      try {
        for await (const event of this.admin.events({ since: 0, signal: this.stopped.signal })) {
          onConnected();
          const key = `${event.seq}@${event.at}`;
          if (this.seen.has(key) || event.at < this.since) continue;
          this.seen.add(key);
          this.publish(event);
        }
      } catch {
        // the balancer is restarting, killed or frozen: try again
      }
      await new Promise((r) => setTimeout(r, RECONNECT_MS).unref());
    }
  }

  private publish(event: BalancerEvent): void {
    this.history.push(event);
    if (this.history.length > MAX_HISTORY) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }

  /**
   * Every event from now on (with `replay`, every one since the feed started first). Returns the
   * unsubscribe function.
   */
  subscribe(listener: EventListener, options: { replay?: boolean } = {}): () => void {
    if (options.replay) for (const event of this.history) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.stopped.abort();
    this.listeners.clear();
  }
}
