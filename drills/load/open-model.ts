import { Pool } from 'undici';
import { ERROR_HEADER, SERVED_BY_HEADER } from '../../balancer/index.ts';
import { now } from '../../core/clock.ts';
import { isFailure, type RequestRecord } from '../recording.ts';
import { arrivalSchedule, type Ramp } from './arrival-schedule.ts';
import { percentileOf } from './latency-stats.ts';

export interface LoadRequestSpec {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface LoadPlan {
  /** Base URL, e.g. http://127.0.0.1:4321 */
  url: string;
  /** Requests per second at a constant arrival rate (open model). */
  rate: number;
  /** Reach `rate` by a linear ramp first (a warm-up, as k6's ramping-arrival-rate). */
  ramp?: Ramp;
  /** Hard bound: nothing is scheduled after this. */
  maxDurationMs: number;
  /** Hard bound on the count; default: what the schedule has due within maxDurationMs. */
  maxRequests?: number;
  /** Round-robin over these; default GET /. */
  requests?: LoadRequestSpec[];
  /** Per request; default 5000. A timeout records status 0, error `timeout`. */
  timeoutMs?: number;
  /** Keep-alive connections; default 64. */
  connections?: number;
}

export interface LiveStats {
  elapsedMs: number;
  sent: number;
  completed: number;
  errors: number;
  inflight: number;
  /** Completions in the last second. */
  rps: number;
  /** p99 latency of the last second's completions. */
  p99: number;
}

export interface RunningLoad {
  /** Wall clock (the balancer's event clock) when request 0 was due. */
  readonly startedAt: number;
  /** Appended as requests finish; empty when `onRecord` takes them. */
  readonly records: readonly RequestRecord[];
  stats(): LiveStats;
  /** Stops scheduling; requests in flight finish (bounded by their timeout). */
  stop(): void;
  /** Every scheduled request finished; sorted by intended time (empty when `onRecord` took them). */
  readonly done: Promise<readonly RequestRecord[]>;
}

export interface LoadOptions {
  signal?: AbortSignal;
  /**
   * Takes each request as it finishes, and the load keeps none (a drill of any length).
   * Default: every record is kept and `done` returns them (tests, short benchmarks).
   */
  onRecord?: (record: RequestRecord) => void;
}

/** A timer tick sends every request that is due, so 1,000+ rps needs no timer per request. */
const TICK_MS = 2;

/**
 * Open-model load (wrk2, k6's constant-arrival-rate): request i is due at start + i/rate
 * whatever happened to earlier ones, and its latency counts from that intended time, so a
 * server that stalls shows up as latency instead of as a lower rate (no coordinated omission).
 */
export function startLoad(plan: LoadPlan, options: LoadOptions = {}): RunningLoad {
  const origin = new URL(plan.url).origin;
  const pool = new Pool(origin, {
    connections: plan.connections ?? 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const specs = plan.requests?.length ? plan.requests : [{}];
  const schedule = arrivalSchedule(plan.rate, plan.ramp);
  const maxRequests = Math.min(
    plan.maxRequests ?? Number.POSITIVE_INFINITY,
    schedule.countWithin(plan.maxDurationMs),
  );
  const timeoutMs = plan.timeoutMs ?? 5000;
  /**
   * More in flight than the rate fills in one timeout means the client cannot even retire what
   * timed out (its event loop is starved): requests beyond this are not queued.
   */
  const maxInflight = Math.ceil((plan.rate * timeoutMs) / 1000) + (plan.connections ?? 64);
  const records: RequestRecord[] = [];
  const keep = options.onRecord ?? ((r: RequestRecord) => records.push(r));
  const recent = new RecentCompletions();
  let completed = 0;
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const startedAt = now();
  let next = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => {};
  const scheduling = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    finish();
  };
  options.signal?.addEventListener('abort', stop, { once: true });

  const tick = () => {
    const t = now();
    while (!stopped && next < maxRequests && startedAt + schedule.offsetOf(next) <= t) {
      const intended = startedAt + schedule.offsetOf(next);
      const spec = specs[next % specs.length] as LoadRequestSpec;
      next++;
      const finished = (r: RequestRecord) => {
        completed++;
        if (isFailure(r)) errors++;
        recent.add(now(), r.latencyMs);
        keep(r);
      };
      // Already past its deadline, or more in flight than can be (the client fell behind): it
      // could only time out, and queueing it anyway would grow the client's memory without bound.
      if (t - intended >= timeoutMs || pending.size >= maxInflight) {
        finished(behindSchedule(spec, intended, t));
        continue;
      }
      const p = send(pool, spec, intended, timeoutMs).then(finished);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    if (stopped) return;
    if (next >= maxRequests) {
      stop();
      return;
    }
    const wait = startedAt + schedule.offsetOf(next) - now();
    timer = setTimeout(tick, Math.max(0, Math.min(TICK_MS, wait)));
  };
  tick();

  const done = (async () => {
    await scheduling;
    while (pending.size > 0) await Promise.allSettled([...pending]);
    options.signal?.removeEventListener('abort', stop);
    await pool.close().catch(() => {});
    return records.sort((a, b) => a.intended - b.intended);
  })();

  return {
    startedAt,
    records,
    stop,
    done,
    stats() {
      const t = now();
      const last = recent.lastSecond(t);
      return {
        elapsedMs: t - startedAt,
        sent: next,
        completed,
        errors,
        inflight: pending.size,
        rps: last.length,
        p99: percentileOf(last, 99),
      };
    },
  };
}

const SLOT_MS = 100;
const SLOTS = 10;

/** Latencies of the completions of the last second, in ten 100 ms slots (bounded by the rate). */
class RecentCompletions {
  private readonly slots = Array.from({ length: SLOTS }, () => ({ index: -1, latencies: [] as number[] }));

  add(at: number, latencyMs: number): void {
    const index = Math.floor(at / SLOT_MS);
    const slot = this.slots[index % SLOTS] as { index: number; latencies: number[] };
    if (slot.index !== index) {
      slot.index = index;
      slot.latencies = [];
    }
    slot.latencies.push(latencyMs);
  }

  lastSecond(at: number): number[] {
    const newest = Math.floor(at / SLOT_MS);
    return this.slots.filter((s) => s.index > newest - SLOTS).flatMap((s) => s.latencies);
  }
}

async function send(
  pool: Pool,
  spec: LoadRequestSpec,
  intended: number,
  timeoutMs: number,
): Promise<RequestRecord> {
  const method = spec.method ?? 'GET';
  const path = spec.path ?? '/';
  const sent = now();
  const base = { intended, sent, method, path };
  const signal = AbortSignal.timeout(Math.max(1, Math.ceil(intended + timeoutMs - sent)));
  try {
    const res = await pool.request({
      method: method as 'GET',
      path,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      headers: {
        ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...spec.headers,
      },
      signal,
    });
    await res.body.dump({ limit: Number.POSITIVE_INFINITY });
    const servedBy = header(res.headers[SERVED_BY_HEADER]);
    const error =
      res.statusCode >= 500 ? (header(res.headers[ERROR_HEADER]) ?? `http_${res.statusCode}`) : undefined;
    return {
      ...base,
      latencyMs: now() - intended,
      status: res.statusCode,
      ...(servedBy ? { servedBy } : {}),
      ...(error ? { error } : {}),
    };
  } catch (err) {
    const e = err as { name?: string; code?: string };
    const timedOut = signal.aborted || e.name === 'TimeoutError' || e.name === 'AbortError';
    return {
      ...base,
      latencyMs: now() - intended,
      status: 0,
      error: timedOut ? 'timeout' : (e.code ?? e.name ?? 'error'),
    };
  }
}

/** A request the client could not send in time (it fell behind): a failure, counted, not sent. */
function behindSchedule(spec: LoadRequestSpec, intended: number, at: number): RequestRecord {
  return {
    intended,
    sent: at,
    latencyMs: at - intended,
    method: spec.method ?? 'GET',
    path: spec.path ?? '/',
    status: 0,
    error: 'client_behind',
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
