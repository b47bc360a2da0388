import {
  bucketWindows,
  type RequestRecord,
  type RequestSource,
  type TimeWindow,
  type WindowBucket,
} from '../recording.ts';
import { BucketStats } from './window-stats.ts';

/** Aggregates of the records intended in the window, by filtering them all (tests, short loads). */
export function statsOf(records: readonly RequestRecord[], w: TimeWindow): BucketStats {
  const stats = new BucketStats();
  for (const r of records) if (r.intended >= w.start && r.intended < w.end) stats.add(r);
  return stats;
}

/** Every record in memory, every window answered by a full scan. */
export function recordsSource(records: readonly RequestRecord[]): RequestSource {
  return {
    window: (w) => statsOf(records, w),
    buckets: (from, widthMs, end): WindowBucket[] =>
      bucketWindows(from, widthMs, end).map((window) => ({ window, stats: statsOf(records, window) })),
  };
}

export function sourceOf(requests: readonly RequestRecord[] | RequestSource): RequestSource {
  return isRecordArray(requests) ? recordsSource(requests) : requests;
}

function isRecordArray(
  requests: readonly RequestRecord[] | RequestSource,
): requests is readonly RequestRecord[] {
  return Array.isArray(requests);
}
