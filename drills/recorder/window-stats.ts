import {
  type Histogram,
  newLatencyHistogram,
  percentileFrom,
  percentileOf,
  toMicros,
} from '../load/latency-stats.ts';
import { finishedAt, isFailure, type RequestRecord, type WindowStats } from '../recording.ts';

/** The counters every aggregate keeps: no request is kept, whatever the count. */
abstract class Counters implements WindowStats {
  requests = 0;
  errors = 0;
  latencySumMs = 0;
  maxMs = 0;
  /** The earliest and latest intended time counted: tells whether a window boundary splits it. */
  minIntended = Number.POSITIVE_INFINITY;
  maxIntended = Number.NEGATIVE_INFINITY;
  readonly okBy = new Map<string, number>();
  readonly answeredBy = new Map<string, number>();
  readonly firstOkEndBy = new Map<string, number>();

  abstract percentile(p: number): number;

  protected count(r: RequestRecord): void {
    this.requests++;
    this.latencySumMs += r.latencyMs;
    if (r.latencyMs > this.maxMs) this.maxMs = r.latencyMs;
    if (r.intended < this.minIntended) this.minIntended = r.intended;
    if (r.intended > this.maxIntended) this.maxIntended = r.intended;
    const failed = isFailure(r);
    if (failed) this.errors++;
    if (r.servedBy === undefined) return;
    this.answeredBy.set(r.servedBy, (this.answeredBy.get(r.servedBy) ?? 0) + 1);
    if (failed) return;
    this.okBy.set(r.servedBy, (this.okBy.get(r.servedBy) ?? 0) + 1);
    const end = finishedAt(r);
    if (end < (this.firstOkEndBy.get(r.servedBy) ?? Number.POSITIVE_INFINITY))
      this.firstOkEndBy.set(r.servedBy, end);
  }

  protected countAll(o: Counters): void {
    this.requests += o.requests;
    this.errors += o.errors;
    this.latencySumMs += o.latencySumMs;
    this.maxMs = Math.max(this.maxMs, o.maxMs);
    this.minIntended = Math.min(this.minIntended, o.minIntended);
    this.maxIntended = Math.max(this.maxIntended, o.maxIntended);
    for (const [k, n] of o.okBy) this.okBy.set(k, (this.okBy.get(k) ?? 0) + n);
    for (const [k, n] of o.answeredBy) this.answeredBy.set(k, (this.answeredBy.get(k) ?? 0) + n);
    for (const [k, t] of o.firstOkEndBy)
      this.firstOkEndBy.set(k, Math.min(t, this.firstOkEndBy.get(k) ?? Number.POSITIVE_INFINITY));
  }
}

/**
 * Counters plus an HdrHistogram of latencies (fixed size, ~75 KB): mergeable, so a window is
 * the merge of the segments it covers, with the same percentiles as one histogram of its requests.
 */
export class HistogramStats extends Counters {
  private histogram: Histogram | undefined;

  add(r: RequestRecord): void {
    this.count(r);
    this.histogram ??= newLatencyHistogram();
    this.histogram.recordValue(toMicros(r.latencyMs));
  }

  merge(o: HistogramStats): void {
    this.countAll(o);
    if (!o.histogram) return;
    this.histogram ??= newLatencyHistogram();
    this.histogram.add(o.histogram);
  }

  percentile(p: number): number {
    return this.histogram ? percentileFrom(this.histogram, this.maxMs, p) : 0;
  }
}

/**
 * Counters plus the latencies of a short bucket (a few hundred values), until `freeze` keeps
 * only the percentiles asked for: the timeline and recovery buckets, closed as time passes.
 */
export class BucketStats extends Counters {
  private latencies: number[] | undefined = [];
  private frozen: Map<number, number> | undefined;

  add(r: RequestRecord): void {
    this.count(r);
    this.latencies?.push(r.latencyMs);
  }

  /** Keeps only these percentiles; later requests (past their timeout: rare) still count. */
  freeze(percentiles: readonly number[]): void {
    if (!this.latencies) return;
    const latencies = this.latencies;
    this.frozen = new Map(percentiles.map((p) => [p, percentileOf(latencies, p)]));
    this.latencies = undefined;
  }

  get isFrozen(): boolean {
    return this.latencies === undefined;
  }

  percentile(p: number): number {
    if (this.latencies) return percentileOf(this.latencies, p);
    if (p >= 100) return this.maxMs;
    const value = this.frozen?.get(p);
    if (value === undefined) throw new Error(`p(${p}) was not kept for this bucket`);
    return value;
  }
}
