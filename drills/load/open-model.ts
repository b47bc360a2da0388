import { type Dispatcher, Pool } from 'undici';
import { ERROR_HEADER, SERVED_BY_HEADER } from '../../balancer/index.ts';
import { now } from '../../core/clock.ts';
import { isFailure, type RequestRecord } from '../recording.ts';
import { arrivalSchedule, type Ramp } from './arrival-schedule.ts';
import { percentileOf } from './latency-stats.ts';
import { tcpExchanges } from './tcp-exchanges.ts';
import { behindSchedule, type InFlight, inFlight, type LoadTransport } from './transport.ts';

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
  /** Keep-alive connections; default 64. Over tcp://: the long-lived connections (default 16). */
  connections?: number;
  /** Over tcp://: the share of exchanges made on a new connection each (default 0.5). */
  newConnectionShare?: number;
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
  /** Intended time of the oldest request still in flight; undefined when none is. */
  oldestPending(): number | undefined;
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
  const transport = plan.url.startsWith('tcp://') ? tcpExchanges(plan) : httpRequests(plan);
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
  const deadlines = new DeadlineQueue();
  let completed = 0;
  let errors = 0;
  let inflight = 0;
  const startedAt = now();
  let next = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let settle: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    settle = resolve;
  });
  /** Times out what is still in flight once scheduling has ended (no tick runs then). */
  let expiryTimer: NodeJS.Timeout | undefined;
  const settleIfDone = () => {
    if (!stopped || inflight > 0) return;
    // A pending expiry timer would hold the process for up to a timeout after the last answer.
    clearTimeout(expiryTimer);
    settle();
  };

  const finished = (r: RequestRecord) => {
    completed++;
    if (isFailure(r)) errors++;
    recent.add(now(), r.latencyMs);
    keep(r);
  };
  const answered = (r: RequestRecord) => {
    inflight--;
    finished(r);
    settleIfDone();
  };

  const expireLater = () => {
    const t = now();
    deadlines.expire(t);
    const at = deadlines.nextDeadline();
    if (at !== undefined) expiryTimer = setTimeout(expireLater, Math.max(1, Math.ceil(at - t)));
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    expireLater();
    settleIfDone();
  };
  options.signal?.addEventListener('abort', stop, { once: true });

  const tick = () => {
    const t = now();
    deadlines.expire(t);
    while (!stopped && next < maxRequests && startedAt + schedule.offsetOf(next) <= t) {
      const intended = startedAt + schedule.offsetOf(next);
      const index = next++;
      // Already past its deadline, or more in flight than can be (the client fell behind): it
      // could only time out, and queueing it anyway would grow the client's memory without bound.
      if (t - intended >= timeoutMs || inflight >= maxInflight) {
        finished(transport.behind(index, intended, t));
        continue;
      }
      inflight++;
      deadlines.push(transport.send(index, intended, intended + timeoutMs, answered));
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
    await allDone;
    options.signal?.removeEventListener('abort', stop);
    await transport.close();
    return records.sort((a, b) => a.intended - b.intended);
  })();

  return {
    startedAt,
    records,
    stop,
    done,
    oldestPending: () => deadlines.oldestPending(),
    stats() {
      const t = now();
      const last = recent.lastSecond(t);
      return {
        elapsedMs: t - startedAt,
        sent: next,
        completed,
        errors,
        inflight,
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

/** A request spec as it goes on the wire, built once per spec rather than once per request. */
interface PreparedRequest {
  method: string;
  path: string;
  body: string | undefined;
  headers: Record<string, string>;
}

function prepared(spec: LoadRequestSpec): PreparedRequest {
  return {
    method: spec.method ?? 'GET',
    path: spec.path ?? '/',
    body: spec.body,
    headers: {
      ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...spec.headers,
    },
  };
}

function httpRequests(plan: LoadPlan): LoadTransport {
  const pool = new Pool(new URL(plan.url).origin, {
    connections: plan.connections ?? 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const specs = (plan.requests?.length ? plan.requests : [{}]).map(prepared);
  const specOf = (index: number) => specs[index % specs.length] as PreparedRequest;
  return {
    send: (index, intended, deadline, done) => send(pool, specOf(index), intended, deadline, done),
    behind: (index, intended, at) => behindSchedule(specOf(index), intended, at),
    close: () => pool.close().catch(() => {}),
  };
}

/**
 * In-flight requests by deadline. Requests are sent in order of intended time and all have the
 * same timeout, so deadlines arrive in send order: a FIFO replaces a timer per request.
 */
class DeadlineQueue {
  private items: InFlight[] = [];
  private head = 0;

  push(item: InFlight): void {
    this.items.push(item);
  }

  expire(at: number): void {
    while (this.head < this.items.length && (this.items[this.head] as InFlight).deadline <= at) {
      (this.items[this.head] as InFlight).expire();
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Deadline of the oldest request still in flight (a timer needs no wake-up for ended ones). */
  nextDeadline(): number | undefined {
    return this.oldest()?.deadline;
  }

  oldestPending(): number | undefined {
    return this.oldest()?.intended;
  }

  /** Drops the ended requests at the front: they only waited for their deadline here. */
  private oldest(): InFlight | undefined {
    while (this.head < this.items.length && (this.items[this.head] as InFlight).ended) this.head++;
    return this.items[this.head];
  }
}

class RequestTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Sends one request through undici's dispatch API: no body stream, promise or abort signal per
 * request (a drill sends thousands a second from the same cores as the stack it measures).
 */
function send(
  pool: Pool,
  spec: PreparedRequest,
  intended: number,
  deadline: number,
  done: (record: RequestRecord) => void,
): InFlight {
  const sent = now();
  let ended = false;
  let timedOut = false;
  let status = 0;
  let servedBy: string | undefined;
  let error: string | undefined;
  let controller: Dispatcher.DispatchController | undefined;
  const end = (failure?: string) => {
    if (ended) return;
    ended = true;
    const record: RequestRecord = {
      intended,
      sent,
      method: spec.method,
      path: spec.path,
      latencyMs: now() - intended,
      status: failure ? 0 : status,
    };
    if (servedBy && !failure) record.servedBy = servedBy;
    const why = failure ?? error;
    if (why) record.error = why;
    done(record);
  };
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (timedOut) c.abort(new RequestTimeout());
    },
    onResponseStart(_c, statusCode, headers) {
      status = statusCode;
      servedBy = header(headers[SERVED_BY_HEADER]);
      if (statusCode >= 500) error = header(headers[ERROR_HEADER]) ?? `http_${statusCode}`;
    },
    onResponseData() {},
    onResponseEnd() {
      end();
    },
    onResponseError(_c, err) {
      const e = err as { name?: string; code?: string };
      end(timedOut || e.name === 'TimeoutError' ? 'timeout' : (e.code ?? e.name ?? 'error'));
    },
  };
  pool.dispatch(
    {
      method: spec.method as Dispatcher.HttpMethod,
      path: spec.path,
      headers: spec.headers,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
    },
    handler,
  );
  return inFlight(
    intended,
    deadline,
    () => ended,
    () => {
      if (ended) return;
      timedOut = true;
      controller?.abort(new RequestTimeout());
      end('timeout');
    },
  );
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
