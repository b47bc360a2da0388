import { execFile } from 'node:child_process';

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx answers. */
  errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return n;
}

/** Parses `wrk --latency` output; throws naming the line it could not find. */
export function parseWrk(output: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(output);
    if (!m) throw new Error(`wrk output has no ${what} line:\n${output}`);
    return m;
  };
  const total = need(/(\d+) requests in ([\d.]+)(us|ms|s|m),/, 'request count');
  const p50 = need(/^\s+50%\s+([\d.]+)(us|ms|s|m)$/m, '50% latency');
  const p99 = need(/^\s+99%\s+([\d.]+)(us|ms|s|m)$/m, '99% latency');
  const latency = need(/^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)/m, 'latency stats');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const requests = Number(total[1]);
  const seconds = toMs(total[2] as string, total[3] as string) / 1000;
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50Ms: toMs(p50[1] as string, p50[2] as string),
    p99Ms: toMs(p99[1] as string, p99[2] as string),
    maxMs: toMs(latency[1] as string, latency[2] as string),
    errors: socketErrors + (non2xx ? Number(non2xx[1]) : 0),
  };
}

/** One closed-model run: `connections` keep-alive connections on one wrk thread for `seconds`. */
export function runWrk(url: string, options: { connections: number; seconds: number }): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', `${url}/`],
      { timeout: (options.seconds + 30) * 1000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`wrk failed: ${err.message} ${stderr}`));
        else {
          try {
            resolve(parseWrk(stdout));
          } catch (parseError) {
            reject(parseError);
          }
        }
      },
    );
  });
}
