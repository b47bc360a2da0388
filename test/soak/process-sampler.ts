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
