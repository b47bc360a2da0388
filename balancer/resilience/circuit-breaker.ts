import type { BreakerConfig } from '../config/types.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerTransition {
  to: BreakerState;
  reason: string;
}

/**
 * Failure-ratio breaker over a sliding window of one-second buckets. Open: no traffic for
 * `cooldown`; then half-open: one trial request at a time; its success closes the breaker,
 * its failure opens it again.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private trialInFlight = false;
  private buckets: { second: number; ok: number; failed: number }[] = [];

  constructor(
    private readonly config: BreakerConfig,
    private readonly onTransition: (t: BreakerTransition) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  get current(): BreakerState {
    if (this.state === 'open' && this.clock() - this.openedAt >= this.config.cooldown) {
      this.state = 'half-open';
      this.trialInFlight = false;
      this.onTransition({ to: 'half-open', reason: 'cooldown elapsed' });
    }
    return this.state;
  }

  /** True when a new request may go to this server now. */
  allows(): boolean {
    const state = this.current;
    return state === 'closed' || (state === 'half-open' && !this.trialInFlight);
  }

  /** Marks the start of a request; in half-open state it becomes the trial. */
  acquire(): void {
    if (this.current === 'half-open') this.trialInFlight = true;
  }

  record(ok: boolean): void {
    if (!this.config.enabled) return;
    if (this.state === 'half-open') {
      this.trialInFlight = false;
      if (ok) this.close();
      else this.open('trial request failed');
      return;
    }
    if (this.state === 'open') return;
    const bucket = this.bucketFor(this.clock());
    if (ok) bucket.ok++;
    else bucket.failed++;
    if (!ok) this.evaluate();
  }

  /** Admin reset. */
  reset(): void {
    if (this.state !== 'closed') this.close();
  }

  private evaluate(): void {
    let ok = 0;
    let failed = 0;
    for (const b of this.buckets) {
      ok += b.ok;
      failed += b.failed;
    }
    const total = ok + failed;
    if (total < this.config.minRequests) return;
    const ratio = failed / total;
    if (ratio >= this.config.failureRatio) {
      this.open(
        `${failed}/${total} requests failed (${Math.round(ratio * 100)}%) within ${this.config.window}ms`,
      );
    }
  }

  private open(reason: string): void {
    this.state = 'open';
    this.openedAt = this.clock();
    this.buckets = [];
    this.onTransition({ to: 'open', reason });
  }

  private close(): void {
    this.state = 'closed';
    this.buckets = [];
    this.onTransition({ to: 'closed', reason: 'trial request succeeded' });
  }

  private bucketFor(nowMs: number): { second: number; ok: number; failed: number } {
    const second = Math.floor(nowMs / 1000);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.second === second) return last;
    // A new second: drop the buckets that left the window (once a second, not per request).
    const oldest = second - Math.ceil(this.config.window / 1000) + 1;
    this.buckets = this.buckets.filter((b) => b.second >= oldest);
    const bucket = { second, ok: 0, failed: 0 };
    this.buckets.push(bucket);
    return bucket;
  }
}
