import { describe, expect, it } from 'vitest';
import { parseWrk } from './wrk.ts';

// Printed by wrk 4.1.0 (Debian) with --latency.
const OUTPUT = `Running 1s test @ http://127.0.0.1:18099/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   670.93us    3.01ms  39.61ms   97.56%
    Req/Sec    59.98k    28.10k   82.62k    81.82%
  Latency Distribution
     50%  130.00us
     75%  211.00us
     90%  651.00us
     99%   19.20ms
  65319 requests in 1.10s, 7.72MB read
Requests/sec:  59388.95
Transfer/sec:      7.02MB
`;

describe('parseWrk', () => {
  it('reads requests, rate and latencies in their units', () => {
    const r = parseWrk(OUTPUT);
    expect(r.requests).toBe(65319);
    expect(r.rps).toBeCloseTo(65319 / 1.1, 3);
    expect([r.p50Ms, r.p99Ms, r.maxMs]).toEqual([0.13, 19.2, 39.61]);
    expect(r.errors).toBe(0);
  });

  it('counts socket errors and non-2xx answers as errors', () => {
    const r = parseWrk(
      `${OUTPUT}  Socket errors: connect 1, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\n`,
    );
    expect(r.errors).toBe(10);
  });

  it('names the line it could not find', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(
      /no request count line/,
    );
  });
});
