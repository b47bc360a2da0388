import { latencySummary } from '../load/latency-stats.ts';
import { isFailure, type RequestRecord } from '../recording.ts';
import type { Journal, TimelineBucket } from './types.ts';

/** Requests bucketed by intended send time, for the timeline chart. */
export function buildTimeline(
  requests: readonly RequestRecord[],
  start: number,
  end: number,
  bucketMs: number,
): TimelineBucket[] {
  const count = Math.max(1, Math.ceil((end - start) / bucketMs));
  const buckets = Array.from({ length: count }, (_, i) => ({
    t: start + i * bucketMs,
    latencies: [] as number[],
    errors: 0,
    servedBy: {} as Record<string, number>,
  }));
  for (const r of requests) {
    const i = Math.floor((r.intended - start) / bucketMs);
    const b = buckets[i];
    if (!b) continue;
    b.latencies.push(r.latencyMs);
    if (isFailure(r)) b.errors++;
    else if (r.servedBy) b.servedBy[r.servedBy] = (b.servedBy[r.servedBy] ?? 0) + 1;
  }
  return buckets.map((b) => ({
    t: b.t,
    requests: b.latencies.length,
    errors: b.errors,
    p99: b.latencies.length ? round(latencySummary(b.latencies).p99) : 0,
    servedBy: b.servedBy,
  }));
}

/** Totals of the whole run's load. */
export function summarizeLoad(requests: readonly RequestRecord[], rate: number): Journal['load'] {
  const servedBy: Record<string, number> = {};
  let errors = 0;
  let late = 0;
  for (const r of requests) {
    if (isFailure(r)) errors++;
    else if (r.servedBy) servedBy[r.servedBy] = (servedBy[r.servedBy] ?? 0) + 1;
    if (r.sent - r.intended > 10) late++;
  }
  const first = requests[0]?.intended ?? 0;
  const last = requests.at(-1)?.intended ?? first;
  const spanS = (last - first) / 1000;
  const latency = requests.length
    ? latencySummary(requests.map((r) => r.latencyMs))
    : { p50: 0, p90: 0, p99: 0, max: 0 };
  return {
    rate,
    sent: requests.length,
    achievedRps: spanS > 0 ? round((requests.length - 1) / spanS) : 0,
    errors,
    latency: {
      p50: round(latency.p50),
      p90: round(latency.p90),
      p99: round(latency.p99),
      max: round(latency.max),
    },
    servedBy,
    late,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
