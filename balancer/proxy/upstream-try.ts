import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { now } from '../../core/clock.ts';
import type { ProxyErrorCode } from '../../core/errors.ts';
import type { TimeoutsConfig } from '../config/types.ts';
import type { BackendServer } from '../pool/backend-server.ts';
import { isConnectFailure } from './connect-errors.ts';

/**
 * `before-send`: the backend cannot have seen the request (no connection, or a stale keep-alive
 * socket it had already closed), so any method may go to another server. `after-send`: it may
 * have processed it, so only idempotent methods are retried.
 */
export type TryPhase = 'before-send' | 'after-send';

export type TryResult =
  | { kind: 'response'; response: UpstreamResponse }
  | { kind: 'failed'; code: ProxyErrorCode; phase: TryPhase; detail: string }
  /** The request cannot be sent as it is (a header value the upstream client refuses). */
  | { kind: 'unsendable'; detail: string }
  /** The server left rotation before answering; the request is safe to send elsewhere. */
  | { kind: 'left-rotation'; reason: string }
  /** Cut by the forwarder through `cancel` (a hedge answered first). */
  | { kind: 'cancelled' }
  | { kind: 'client-gone' };

/** How the relay hears about the response body. */
export interface BodySink {
  /** A chunk; return false to pause until `resume` is called. */
  data(chunk: Buffer): boolean;
  end(): void;
  /** The body broke off: reset, idle timeout, or `abort`. */
  broke(detail: string, idle: boolean): void;
}

/** Response headers arrived; the body waits (paused) until `pipe`. */
export interface UpstreamResponse {
  status: number;
  statusMessage: string;
  /** Raw header names and values, alternating, as the backend sent them. */
  rawHeaders: string[];
  pipe(sink: BodySink): void;
  /** Resumes a body paused by `data` returning false. */
  resume(): void;
  /** Cuts the upstream request (the client went away). */
  abort(): void;
}

/** What one try sends: the request as the forwarder prepared it. */
export interface OutgoingRequest {
  method: string;
  path: string;
  /** As undici takes them: see `upstreamHeaders`. */
  headers: Record<string, string | string[]>;
  /** A buffered body (replayable), a stream sent once, or nothing. */
  body: Buffer | Readable | null;
}

export interface TryOptions {
  timeouts: TimeoutsConfig;
  /** Safe to replay (idempotent, body in memory): moved at once if the server leaves rotation. */
  redispatchable: boolean;
  /** Sent because an earlier try of the same request was slow. */
  hedge: boolean;
  /** `onSlow` is called if no response headers came within this many ms of the start. */
  slowAfterMs?: number;
}

/** undici refuses to send these: the request itself is at fault, not the backend. */
const REQUEST_ERRORS = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/** Headers undici sets itself (framing) or refuses; the forwarder already chose the framing. */
export function upstreamHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'transfer-encoding') continue;
    out[name] = value;
  }
  return out;
}

type Early = { end: true } | { broke: string; idle: boolean };

/**
 * One try of one request on one server through the server's undici pool (this object is
 * undici's dispatch handler), settled by response headers, an error, a timeout or `cancel`:
 * connect (undici's connector), response headers (counted from the moment the whole request was
 * written), and idle between body chunks (undici's body timeout). One timer per try serves both
 * the "slow" mark (hedging) and the header timeout, whichever is due first.
 */
export class UpstreamTry implements Dispatcher.DispatchHandler {
  readonly started = now();
  readonly result: Promise<TryResult>;
  /** Called once when `slowAfterMs` passed without response headers (the hedge is due). */
  onSlow: ((slow: UpstreamTry) => void) | undefined;
  /** The hedge sent beside this try, once one was. */
  hedgedBy: UpstreamTry | undefined;
  private resolveResult!: (result: TryResult) => void;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  /** Deadlines (ms, `now()` clock) the timer serves; 0 = none. */
  private slowAt = 0;
  private headersAt = 0;
  private abortUpstream: ((reason?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private sink: BodySink | undefined;
  /** What happened to the body before the relay attached its sink. */
  private early: Early | undefined;
  /** Its slot among the server's waiting tries while it may be moved; -1 when not. */
  private waitingSlot = -1;

  constructor(
    readonly server: BackendServer,
    request: OutgoingRequest,
    private readonly options: TryOptions,
  ) {
    this.result = new Promise((resolve) => {
      this.resolveResult = resolve;
    });
    if (options.redispatchable) this.waitingSlot = server.waiting.add(this);
    if (options.slowAfterMs !== undefined) {
      this.slowAt = this.started + options.slowAfterMs;
      this.timer = setTimeout(this.onTimer, options.slowAfterMs);
    }
    server.upstream.dispatch(
      {
        origin: server.url.origin,
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
        // The header timeout is ours (from the end of the request); the idle one is undici's.
        headersTimeout: 0,
        bodyTimeout: options.timeouts.idle,
      },
      this,
    );
  }

  get hedge(): boolean {
    return this.options.hedge;
  }

  /** Cuts a try that has not answered (another try answered first). */
  cancel(reason: string): void {
    this.end({ kind: 'cancelled' }, reason);
  }

  /** The server left rotation before answering: the request may go elsewhere. */
  moveOff(reason: string): void {
    this.end({ kind: 'left-rotation', reason }, `${this.server.name} left rotation: ${reason}`);
  }

  /** The client went away while this try waited for an answer. */
  clientGone(): void {
    this.end({ kind: 'client-gone' }, 'the client went away');
  }

  private end(result: TryResult, why: string): void {
    if (this.settled) return;
    this.settle(result);
    this.abortUpstream?.(new Error(why));
  }

  private settle(result: TryResult): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waitingSlot >= 0) {
      this.server.waiting.remove(this.waitingSlot);
      this.waitingSlot = -1;
    }
    this.resolveResult(result);
  }

  private fail(code: ProxyErrorCode, phase: TryPhase, detail: string): void {
    this.end({ kind: 'failed', code, phase, detail }, detail);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.settled) return;
    const at = now();
    // Timers fire on the loop's millisecond clock: a deadline within 1 ms counts as due.
    if (this.slowAt !== 0 && at >= this.slowAt - 1) {
      this.slowAt = 0;
      this.onSlow?.(this);
      if (this.settled) return;
    }
    if (this.headersAt !== 0 && at >= this.headersAt - 1) {
      const ms = this.options.timeouts.responseHeaders;
      this.fail('upstream_header_timeout', 'after-send', `no response headers within ${ms}ms`);
      return;
    }
    this.arm(at);
  };

  /** Sets the timer for the nearest deadline still ahead. */
  private arm(at: number): void {
    const due =
      this.slowAt === 0
        ? this.headersAt
        : this.headersAt === 0
          ? this.slowAt
          : Math.min(this.slowAt, this.headersAt);
    if (due === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.onTimer, Math.max(0, due - at));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.settled) abort(new Error('the try was settled before it started'));
  }

  /** undici calls this (its types leave it out) once the whole request is written. */
  onRequestSent(): void {
    if (this.settled) return;
    const at = now();
    this.headersAt = at + this.options.timeouts.responseHeaders;
    // A pending slow mark that comes first keeps the timer; it re-arms for the headers after.
    if (this.timer === undefined || this.slowAt === 0 || this.slowAt > this.headersAt) this.arm(at);
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusMessage?: string): boolean {
    // An informational answer (103 Early Hints...) is not the response: the final one follows.
    if (status < 200) return true;
    if (this.settled) return false;
    this.resumeUpstream = resume;
    const names: string[] = new Array(rawHeaders.length);
    for (let i = 0; i < rawHeaders.length; i++) names[i] = (rawHeaders[i] as Buffer).toString('latin1');
    this.settle({
      kind: 'response',
      response: {
        status,
        statusMessage: statusMessage ?? '',
        rawHeaders: names,
        pipe: (target) => this.pipe(target),
        resume: () => this.resumeUpstream?.(),
        abort: () => this.abortUpstream?.(new Error('the client went away')),
      },
    });
    // Paused until the relay has written the response head and attached its sink.
    return false;
  }

  private pipe(target: BodySink): void {
    this.sink = target;
    const early = this.early;
    if (early === undefined) this.resumeUpstream?.();
    else if ('end' in early) target.end();
    else target.broke(early.broke, early.idle);
  }

  onData(chunk: Buffer): boolean {
    return this.sink ? this.sink.data(chunk) : false;
  }

  onComplete(): void {
    if (this.sink) this.sink.end();
    else this.early = { end: true };
  }

  onError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const detail = `${code || 'error'}: ${err.message}`;
    if (this.settled) {
      // After the headers: the body broke off (or we cut it).
      const idle = code === 'UND_ERR_BODY_TIMEOUT';
      const why = idle ? `no body bytes within ${this.options.timeouts.idle}ms` : detail;
      if (this.sink) this.sink.broke(why, idle);
      else this.early = { broke: why, idle };
      return;
    }
    if (REQUEST_ERRORS.has(code)) {
      this.settle({ kind: 'unsendable', detail });
      return;
    }
    const { connect } = this.options.timeouts;
    if (code === 'UND_ERR_CONNECT_TIMEOUT')
      this.fail('upstream_connect_timeout', 'before-send', `no connection within ${connect}ms`);
    else if (isConnectFailure(code)) this.fail('upstream_connect_failed', 'before-send', detail);
    else if (isStaleKeepAlive(err))
      this.fail('upstream_reset', 'before-send', `reused keep-alive connection closed: ${detail}`);
    else this.fail('upstream_reset', 'after-send', detail);
  }
}

/**
 * The backend closed a keep-alive connection that had served earlier responses, with nothing
 * of this one read: the race where a server times out an idle connection just as a request is
 * written to it. It cannot have processed the request.
 */
function isStaleKeepAlive(err: Error): boolean {
  const socket = (err as { socket?: { bytesRead?: number } }).socket;
  return (err as { code?: string }).code === 'UND_ERR_SOCKET' && (socket?.bytesRead ?? 0) > 0;
}
