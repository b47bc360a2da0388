import type { Journal, TimelineBucket } from '../journal/types.ts';
import {
  bucketWindows,
  type RequestRecord,
  type RequestSource,
  type TimeWindow,
  type WindowBucket,
} from '../recording.ts';
import { TimeGrid } from './time-grid.ts';
import { BucketStats, HistogramStats } from './window-stats.ts';

export interface RecorderOptions {
  /** The load's per-request timeout: no request ends later than this after its intended time. */
  timeoutMs: number;
  /**
   * A finished request waits this long (after its intended time) before it is folded into its
   * segment: a mark set up to this far in the past still splits the requests exactly.
   */
  holdMs?: number;
  now?: () => number;
}

/** Sweeps (folding held requests, closing buckets) at most this often. */
const SWEEP_MS = 100;
const DEFAULT_HOLD_MS = 3000;
/** A request later than this behind its schedule counts as late in the load summary. */
const LATE_MS = 10;

/**
 * Every request of a run, in bounded memory: each finished request is folded into counters and
 * a latency histogram of the segment of time it was intended in. Segments are cut at marks —
 * the boundaries of phases and steps, set by the runner as they happen — so an SLA window on
 * marks is a merge of whole segments: exact counts, the same percentiles as a histogram of its
 * requests. A window that would split a segment's requests throws instead of guessing. Requests
 * of the last `holdMs` stay unfolded (a few thousand at most), so recent windows (abort
 * conditions, "the last second") are exact at any boundary. Time grids keep the timeline and
 * each tracked fault's recovery buckets.
 *
 * Memory: O(marks) histograms + O(rate × (holdMs + timeout)) recent requests + a few counters
 * per closed grid bucket; nothing per request.
 */
export class StreamingRecorder implements RequestSource {
  private readonly now: () => number;
  private readonly holdMs: number;
  private readonly closeAfterMs: number;
  /** Sorted; segment i holds the requests intended in [marks[i-1], marks[i]). */
  private readonly marks: number[] = [];
  private readonly segments: HistogramStats[] = [new HistogramStats()];
  /** Finished requests intended at or after `horizon`, not folded yet. */
  private recent: RequestRecord[] = [];
  private horizon = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private readonly grids: TimeGrid[] = [];
  private readonly total = new HistogramStats();
  private late = 0;
  /** Marks set after requests beyond them were folded: windows on them throw (see window). */
  lateMarks = 0;

  constructor(options: RecorderOptions) {
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
    this.closeAfterMs = this.holdMs + options.timeoutMs + 1000;
  }

  /** A finished request. */
  add(r: RequestRecord): void {
    this.total.add(r);
    if (r.sent - r.intended > LATE_MS) this.late++;
    if (r.intended < this.horizon) this.fold(r);
    else this.recent.push(r);
    this.sweep(false);
  }

  /** A window boundary, as it happens (or up to `holdMs` later, or any time in the future). */
  mark(at: number): void {
    let i = 0;
    while (i < this.marks.length && (this.marks[i] as number) < at) i++;
    if (this.marks[i] === at) return;
    const split = this.segments[i] as HistogramStats;
    if (split.maxIntended >= at) this.lateMarks++;
    this.marks.splice(i, 0, at);
    this.segments.splice(i + 1, 0, new HistogramStats());
  }

  /** Buckets of `widthMs` from `origin` (call at `origin` or later by at most `holdMs`). */
  trackBuckets(origin: number, widthMs: number, percentiles: readonly number[]): TimeGrid {
    const existing = this.grids.find((g) => g.origin === origin && g.widthMs === widthMs);
    if (existing) return existing;
    const grid = new TimeGrid(origin, widthMs, percentiles);
    this.grids.push(grid);
    return grid;
  }

  /** No more requests: fold every held one. */
  finish(): void {
    this.sweep(true);
  }

  window(w: TimeWindow): HistogramStats {
    this.sweep(false);
    const out = new HistogramStats();
    if (!(w.end > w.start)) return out;
    for (const s of this.segments) {
      if (s.requests === 0 || s.maxIntended < w.start || s.minIntended >= w.end) continue;
      if (s.minIntended < w.start || s.maxIntended >= w.end) {
        throw new Error(
          `the window [${w.start}, ${w.end}) cuts through requests aggregated together (a boundary the run did not mark)`,
        );
      }
      out.merge(s);
    }
    for (const r of this.recent) if (r.intended >= w.start && r.intended < w.end) out.add(r);
    return out;
  }

  buckets(from: number, widthMs: number, end: number): WindowBucket[] {
    this.sweep(false);
    const grid = this.grids.find((g) => g.origin === from && g.widthMs === widthMs);
    if (!grid) throw new Error(`no ${widthMs}ms buckets were kept from ${from}`);
    return bucketWindows(from, widthMs, end).map((window, k) => {
      const stats = k < grid.length ? grid.bucket(k) : new BucketStats();
      if (stats.maxIntended >= window.end)
        throw new Error(`the bucket from ${window.start} holds requests after ${window.end}`);
      return { window, stats };
    });
  }

  /** The timeline chart's buckets over [start, end) (a grid tracked from `start`). */
  timeline(start: number, end: number, bucketMs: number): TimelineBucket[] {
    this.sweep(false);
    const grid = this.grids.find((g) => g.origin === start && g.widthMs === bucketMs);
    const count = Math.max(1, Math.ceil((end - start) / bucketMs));
    return Array.from({ length: count }, (_, k) => {
      const b = grid && k < grid.length ? grid.bucket(k) : new BucketStats();
      return {
        t: start + k * bucketMs,
        requests: b.requests,
        errors: b.errors,
        p99: b.requests ? round(b.percentile(99)) : 0,
        servedBy: Object.fromEntries(b.okBy),
      };
    });
  }

  /**
   * Totals of the whole run's load. With `warmupEnd` (a mark), the achieved rate is the judged
   * part's, after the warm-up ramp, and `warmupRequests` counts the ramp's requests.
   */
  loadSummary(rate: number, warmupEnd?: number): Journal['load'] {
    const t = this.total;
    const judged =
      warmupEnd === undefined ? t : this.window({ start: warmupEnd, end: Number.POSITIVE_INFINITY });
    const spanS = judged.requests > 0 ? (judged.maxIntended - judged.minIntended) / 1000 : 0;
    return {
      rate,
      sent: t.requests,
      ...(warmupEnd === undefined ? {} : { warmupRequests: t.requests - judged.requests }),
      achievedRps: spanS > 0 ? round((judged.requests - 1) / spanS) : 0,
      errors: t.errors,
      latency: {
        p50: round(t.percentile(50)),
        p90: round(t.percentile(90)),
        p99: round(t.percentile(99)),
        max: round(t.maxMs),
      },
      servedBy: Object.fromEntries(t.okBy),
      late: this.late,
    };
  }

  /** Requests that arrived after their grid bucket closed (past their timeout): 0 in practice. */
  get lateRequests(): number {
    return this.grids.reduce((n, g) => n + g.lateRequests, 0);
  }

  /** Held (not yet folded) requests: bounded by rate × holdMs. */
  get held(): number {
    return this.recent.length;
  }

  private fold(r: RequestRecord): void {
    let i = 0;
    while (i < this.marks.length && r.intended >= (this.marks[i] as number)) i++;
    (this.segments[i] as HistogramStats).add(r);
    for (const g of this.grids) g.add(r);
  }

  private sweep(all: boolean): void {
    const t = this.now();
    if (!all && t - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = t;
    this.horizon = all ? Number.POSITIVE_INFINITY : Math.max(this.horizon, t - this.holdMs);
    const keep: RequestRecord[] = [];
    for (const r of this.recent) {
      if (r.intended < this.horizon) this.fold(r);
      else keep.push(r);
    }
    this.recent = keep;
    if (!all) for (const g of this.grids) g.close(t - this.closeAfterMs);
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
