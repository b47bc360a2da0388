import { Readable } from 'node:stream';
import { Pool } from 'undici';

/** What the load saw; a 200 whose echoed body length differs from what was sent is data loss. */
export interface LoadTally {
  sent: number;
  ok: number;
  /** Answers with a status other than 2xx, by status. */
  statuses: Record<number, number>;
  /** Transport errors (reset, timeout), by error code. */
  errors: Record<string, number>;
  /** 2xx answers whose echoed body length was not the length sent. */
  bodyMismatches: number;
  /** Requests not sent because `maxInflight` were still open (the stack fell behind). */
  skipped: number;
}

export interface SteadyLoadPlan {
  url: string;
  rate: number;
  durationMs: number;
  /** Never more requests open at once than this (bounds the load generator's own memory). */
  maxInflight: number;
  timeoutMs: number;
}

const TICK_MS = 10;
const BODY = Buffer.alloc(4096, 'x');

type Shape = 'get' | 'post-length' | 'post-chunked';
const SHAPES: Shape[] = ['get', 'get', 'post-length', 'post-chunked'];

/** A paced mix of GETs and POSTs (fixed-length and chunked bodies), bounded in time and count. */
export function runSteadyLoad(plan: SteadyLoadPlan): { tally: LoadTally; done: Promise<LoadTally> } {
  const origin = new URL(plan.url).origin;
  const pool = new Pool(origin, { connections: 32, keepAliveTimeout: 4_000 });
  const tally: LoadTally = { sent: 0, ok: 0, statuses: {}, errors: {}, bodyMismatches: 0, skipped: 0 };
  const maxRequests = Math.ceil((plan.rate * plan.durationMs) / 1000);
  const started = Date.now();
  let inflight = 0;

  const one = async (shape: Shape) => {
    inflight++;
    tally.sent++;
    try {
      const body =
        shape === 'get'
          ? undefined
          : shape === 'post-length'
            ? BODY
            : Readable.from([BODY.subarray(0, 1000), BODY.subarray(1000)]);
      const res = await pool.request({
        method: shape === 'get' ? 'GET' : 'POST',
        path: '/',
        ...(body ? { body, headers: { 'content-type': 'application/octet-stream' } } : {}),
        headersTimeout: plan.timeoutMs,
        bodyTimeout: plan.timeoutMs,
      });
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        tally.ok++;
        const expected = shape === 'get' ? 0 : BODY.length;
        if ((JSON.parse(text) as { bodyLength?: number }).bodyLength !== expected) tally.bodyMismatches++;
      } else {
        tally.statuses[res.statusCode] = (tally.statuses[res.statusCode] ?? 0) + 1;
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      tally.errors[code] = (tally.errors[code] ?? 0) + 1;
    } finally {
      inflight--;
    }
  };

  const done = new Promise<LoadTally>((resolve) => {
    let next = 0;
    const timer = setInterval(() => {
      const elapsed = Date.now() - started;
      if (elapsed >= plan.durationMs || next >= maxRequests) {
        clearInterval(timer);
        const drain = setInterval(() => {
          if (inflight > 0 && Date.now() - started < plan.durationMs + plan.timeoutMs * 2) return;
          clearInterval(drain);
          pool.close().then(
            () => resolve(tally),
            () => resolve(tally),
          );
        }, 20);
        return;
      }
      const due = Math.min(maxRequests, Math.floor((elapsed * plan.rate) / 1000));
      for (; next < due; next++) {
        if (inflight >= plan.maxInflight) tally.skipped++;
        else void one(SHAPES[next % SHAPES.length] as Shape);
      }
    }, TICK_MS);
  });
  return { tally, done };
}
