import type { QueueConfig } from '../config/types.ts';

export type QueueOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'queue_full' | 'queue_timeout' | 'cancelled' | 'no_healthy_server' };

interface Waiter<T> {
  tryTake: () => T | undefined;
  resolve: (outcome: QueueOutcome<T>) => void;
  timer: NodeJS.Timeout;
}

/**
 * Bounded FIFO of requests waiting for a free connection slot (HAProxy's backend queue).
 * Each waiter brings its own `tryTake`, so a retry can still exclude the servers it tried.
 */
export class RequestQueue<T> {
  private waiters: Waiter<T>[] = [];

  constructor(private config: QueueConfig) {}

  /** New limits apply to requests that wait from now on. */
  configure(config: QueueConfig): void {
    this.config = config;
  }

  get length(): number {
    return this.waiters.length;
  }

  wait(tryTake: () => T | undefined, signal?: AbortSignal): Promise<QueueOutcome<T>> {
    if (this.waiters.length >= this.config.size) return Promise.resolve({ ok: false, code: 'queue_full' });
    return new Promise((resolve) => {
      const waiter: Waiter<T> = {
        tryTake,
        resolve,
        timer: setTimeout(
          () => this.settle(waiter, { ok: false, code: 'queue_timeout' }),
          this.config.timeout,
        ),
      };
      signal?.addEventListener('abort', () => this.settle(waiter, { ok: false, code: 'cancelled' }), {
        once: true,
      });
      this.waiters.push(waiter);
    });
  }

  /** Hands freed capacity to waiters, oldest first. */
  drain(): void {
    for (const waiter of [...this.waiters]) {
      const value = waiter.tryTake();
      if (value === undefined) continue;
      this.settle(waiter, { ok: true, value });
    }
  }

  /** Fails every waiter (pool shutting down or emptied). */
  rejectAll(code: 'queue_timeout' | 'cancelled' | 'no_healthy_server'): void {
    for (const waiter of [...this.waiters]) this.settle(waiter, { ok: false, code });
  }

  private settle(waiter: Waiter<T>, outcome: QueueOutcome<T>): void {
    const index = this.waiters.indexOf(waiter);
    if (index === -1) return;
    this.waiters.splice(index, 1);
    clearTimeout(waiter.timer);
    waiter.resolve(outcome);
  }
}
