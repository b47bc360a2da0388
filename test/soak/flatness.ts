import type { ProcessSample } from './process-sampler.ts';

export interface FlatnessLimits {
  /** Samples before this (warm-up: JIT, pools filling) are not judged. */
  warmupMs: number;
  /** Allowed RSS growth from the first to the last quarter of the judged samples... */
  rssGrowthBytes: number;
  /** ...or this share of the first quarter's RSS, whichever is larger. */
  rssGrowthRatio: number;
  /** Allowed growth of the live heap after a full GC (judged where samples carry it)... */
  liveHeapGrowthBytes: number;
  /** ...or this share of the first quarter's, whichever is larger. */
  liveHeapGrowthRatio: number;
}

export interface FlatnessVerdict {
  ok: boolean;
  /** One line per measure: what was compared and against which limit. */
  lines: string[];
}

const MiB = 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Flat means: the median of the last quarter of the samples taken after warm-up is within the
 * limit of the median of the first quarter. Medians keep one GC pause from deciding; a leak grows
 * every quarter and shows. Open fds are judged at rest instead (judgeFdsAtRest): under load their
 * count follows the fault of the moment (a frozen backend holds every connection sent to it).
 */
export function judgeFlatness(samples: readonly ProcessSample[], limits: FlatnessLimits): FlatnessVerdict {
  const judged = samples.filter((s) => s.atMs >= limits.warmupMs);
  if (judged.length < 8) {
    return {
      ok: false,
      lines: [`only ${judged.length} samples after the ${limits.warmupMs} ms warm-up; at least 8 are needed`],
    };
  }
  const quarter = Math.floor(judged.length / 4);
  const first = judged.slice(0, quarter);
  const last = judged.slice(-quarter);
  const rssFirst = median(first.map((s) => s.rssBytes));
  const rssLast = median(last.map((s) => s.rssBytes));
  const rssAllowed = Math.max(limits.rssGrowthBytes, rssFirst * limits.rssGrowthRatio);
  const rssOk = rssLast - rssFirst <= rssAllowed;
  const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
  const lines = [
    `RSS ${mib(rssFirst)} → ${mib(rssLast)} (growth ${mib(rssLast - rssFirst)}, limit ${mib(rssAllowed)}): ${rssOk ? 'flat' : 'GROWING'}`,
  ];
  let heapOk = true;
  const heapOf = (s: ProcessSample[]) =>
    s.flatMap((x) => (x.liveHeapBytes === undefined ? [] : [x.liveHeapBytes]));
  const [heapFirst, heapLast] = [heapOf(first), heapOf(last)];
  if (heapFirst.length > 0 && heapLast.length > 0) {
    const from = median(heapFirst);
    const to = median(heapLast);
    const allowed = Math.max(limits.liveHeapGrowthBytes, from * limits.liveHeapGrowthRatio);
    heapOk = to - from <= allowed;
    lines.push(
      `live memory after GC ${mib(from)} → ${mib(to)} (growth ${mib(to - from)}, limit ${mib(allowed)}): ${heapOk ? 'flat' : 'GROWING'}`,
    );
  }
  return { ok: rssOk && heapOk, lines };
}

/**
 * Open fds with the balancer idle before the load and again after it (its keep-alive sockets
 * closed by their idle timeouts): every descriptor the soak opened must have been closed.
 */
export function judgeFdsAtRest(
  before: number,
  after: number,
  limit: number,
  peakUnderLoad: number,
): FlatnessVerdict {
  const ok = after - before <= limit;
  return {
    ok,
    lines: [
      `open fds at rest ${before} → ${after} (growth ${after - before}, limit ${limit}; peak under load ${peakUnderLoad}): ${ok ? 'flat' : 'GROWING'}`,
    ],
  };
}
