import type { RequestRecord } from '../recording.ts';
import { BucketStats } from './window-stats.ts';

/**
 * Fixed-width buckets of requests by intended time from `origin` (the timeline, a fault's
 * recovery). A bucket keeps its latencies until no request of it can still arrive, then only
 * the percentiles asked for: memory per bucket is a few counters once it is closed.
 */
export class TimeGrid {
  private readonly buckets: BucketStats[] = [];
  private firstOpen = 0;
  /** Requests intended from here on are not counted (the end of the run's last phase). */
  private end = Number.POSITIVE_INFINITY;
  /** Requests that arrived after their bucket was closed: counted, but not in its percentiles. */
  lateRequests = 0;

  constructor(
    readonly origin: number,
    readonly widthMs: number,
    private readonly percentiles: readonly number[],
  ) {}

  cutAt(end: number): void {
    this.end = end;
  }

  add(r: RequestRecord): void {
    if (r.intended < this.origin || r.intended >= this.end) return;
    const bucket = this.bucket(Math.floor((r.intended - this.origin) / this.widthMs));
    if (bucket.isFrozen) this.lateRequests++;
    bucket.add(r);
  }

  /** Freezes every bucket that ends at or before `before`. */
  close(before: number): void {
    while (this.origin + (this.firstOpen + 1) * this.widthMs <= before) {
      this.buckets[this.firstOpen]?.freeze(this.percentiles);
      this.firstOpen++;
    }
  }

  /** Bucket `k` ([origin + k·width, +width)); an empty one when nothing was intended in it. */
  bucket(k: number): BucketStats {
    let b = this.buckets[k];
    if (!b) {
      for (let i = this.buckets.length; i <= k; i++) this.buckets.push(new BucketStats());
      b = this.buckets[k] as BucketStats;
    }
    return b;
  }

  get length(): number {
    return this.buckets.length;
  }
}
