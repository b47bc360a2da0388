import type { RetryConfig } from '../config/types.ts';

const WINDOW_SECONDS = 10;

/**
 * Finagle-style retry budget: over the last ten seconds, retries may add `budgetPercent` of the
 * requests seen, plus a floor of `minRetriesPerSecond` so a quiet pool can still retry.
 * Stops a failing backend from turning every request into `retries + 1` requests.
 */
export class RetryBudget {
  private buckets: { second: number; requests: number; retries: number }[] = [];

  constructor(
    private readonly config: RetryConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  recordRequest(): void {
    this.bucket().requests++;
  }

  /** Withdraws one retry if the budget allows it. */
  tryWithdraw(): boolean {
    const current = this.bucket();
    let requests = 0;
    let retries = 0;
    for (const b of this.buckets) {
      requests += b.requests;
      retries += b.retries;
    }
    const allowed =
      this.config.minRetriesPerSecond * WINDOW_SECONDS + (requests * this.config.budgetPercent) / 100;
    if (retries + 1 > allowed) return false;
    current.retries++;
    return true;
  }

  private bucket(): { second: number; requests: number; retries: number } {
    const second = Math.floor(this.clock() / 1000);
    const oldest = second - WINDOW_SECONDS + 1;
    if (this.buckets.length && (this.buckets[0]?.second ?? second) < oldest) {
      this.buckets = this.buckets.filter((b) => b.second >= oldest);
    }
    let bucket = this.buckets.at(-1);
    if (!bucket || bucket.second !== second) {
      bucket = { second, requests: 0, retries: 0 };
      this.buckets.push(bucket);
    }
    return bucket;
  }
}
