import { readdirSync, readFileSync } from 'node:fs';

/** One reading of a process's resident memory and open file descriptors, from /proc. */
export interface ProcessSample {
  /** Milliseconds since the soak started. */
  atMs: number;
  rssBytes: number;
  openFds: number;
  /** Live heap after a full GC, where a heap probe was attached. */
  liveHeapBytes?: number;
}

/** Reads /proc/<pid>; throws a clear error when the process is gone or /proc is not there. */
export function sampleProcess(pid: number, atMs: number): ProcessSample {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read /proc/${pid}/status (${code}): the process is gone or this is not Linux`);
  }
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!rss?.[1]) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return {
    atMs,
    rssBytes: Number(rss[1]) * 1024,
    openFds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

/**
 * The process's open fd count once it has settled: sampled every 250 ms until it has not changed
 * for `stableMs`, or until `timeoutMs` (then the lowest count of the last `stableMs`). Idle
 * keep-alive sockets close on their own timeouts, so a count taken at rest compares like with
 * like; a count taken under load depends on which fault was on at that moment.
 */
export async function settledFds(
  pid: number,
  options: { stableMs: number; timeoutMs: number },
): Promise<{ fds: number; waitedMs: number }> {
  const started = Date.now();
  const window: { at: number; fds: number }[] = [];
  for (;;) {
    const now = Date.now();
    window.push({ at: now, fds: sampleProcess(pid, 0).openFds });
    while (window.length > 1 && (window[0] as { at: number }).at < now - options.stableMs) window.shift();
    const counts = window.map((w) => w.fds);
    const spans = now - (window[0] as { at: number }).at >= options.stableMs - 300;
    if ((spans && Math.min(...counts) === Math.max(...counts)) || now - started >= options.timeoutMs)
      return { fds: Math.min(...counts), waitedMs: now - started };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
