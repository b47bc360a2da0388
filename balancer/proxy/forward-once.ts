import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ProxyErrorCode } from '../../core/errors.ts';
import type { TimeoutsConfig } from '../config/types.ts';
import type { BackendServer } from '../pool/backend-server.ts';

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
  /** Cut by the forwarder through `TryControl.cancel` (a hedge answered first). */
  | { kind: 'cancelled' }
  | { kind: 'client-gone' };

/** Filled in by forwardOnce: lets the forwarder cut a try that has not answered yet. */
export interface TryControl {
  cancel?: (reason: string) => void;
}

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
  headers: IncomingHttpHeaders;
  /** A buffered body (replayable), a stream sent once, or nothing. */
  body: Buffer | Readable | null;
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** undici refuses to send these: the request itself is at fault, not the backend. */
const REQUEST_ERRORS = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/** Headers undici sets itself (framing) or refuses; the forwarder already chose the framing. */
function upstreamHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'transfer-encoding') continue;
    out[name] = value;
  }
  return out;
}

/**
 * One try of one request on one server through the server's undici pool, settled by response
 * headers, an error, or a timeout: connect (undici's connector), response headers (counted
 * from the moment the whole request was written), and idle between body chunks.
 */
export function forwardOnce(
  res: ServerResponse,
  server: BackendServer,
  request: OutgoingRequest,
  timeouts: TimeoutsConfig,
  /** Safe to replay (idempotent, body in memory): moved at once if the server leaves rotation. */
  redispatchable: boolean,
  control?: TryControl,
): Promise<TryResult> {
  return new Promise((resolve) => {
    let settled = false;
    let headerTimer: NodeJS.Timeout | undefined;
    let abortUpstream: ((reason?: Error) => void) | undefined;
    let resumeUpstream: (() => void) | undefined;
    let sink: BodySink | undefined;
    /** What happened to the body before the relay attached its sink. */
    let early: { end: true } | { broke: string; idle: boolean } | undefined;

    const settle = (result: TryResult) => {
      if (settled) return;
      settled = true;
      if (headerTimer) clearTimeout(headerTimer);
      if (redispatchable) server.redispatchable.delete(leaveRotation);
      res.off('close', onClientClose);
      resolve(result);
    };
    const fail = (code: ProxyErrorCode, phase: TryPhase, detail: string) => {
      settle({ kind: 'failed', code, phase, detail });
      abortUpstream?.(new Error(detail));
    };
    const onClientClose = () => {
      if (res.writableFinished) return;
      settle({ kind: 'client-gone' });
      abortUpstream?.(new Error('the client went away'));
    };
    res.on('close', onClientClose);
    const leaveRotation = (reason: string) => {
      settle({ kind: 'left-rotation', reason });
      abortUpstream?.(new Error(`${server.name} left rotation: ${reason}`));
    };
    if (redispatchable) server.redispatchable.add(leaveRotation);
    if (control) {
      control.cancel = (reason: string) => {
        settle({ kind: 'cancelled' });
        abortUpstream?.(new Error(reason));
      };
    }

    // undici's classic handler: it calls onRequestSent (its types leave it out) once the whole
    // request is written, where the response-header timeout starts.
    const handler: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
      onConnect(abort) {
        abortUpstream = abort;
        if (settled) abort(new Error('the try was settled before it started'));
      },
      onRequestSent() {
        headerTimer = setTimeout(
          () =>
            fail(
              'upstream_header_timeout',
              'after-send',
              `no response headers within ${timeouts.responseHeaders}ms`,
            ),
          timeouts.responseHeaders,
        );
      },
      onHeaders(status, rawHeaders, resume, statusMessage) {
        // An informational answer (103 Early Hints...) is not the response: the final one follows.
        if (status < 200) return true;
        if (settled) return false;
        resumeUpstream = resume;
        const names: string[] = new Array(rawHeaders.length);
        for (let i = 0; i < rawHeaders.length; i++) names[i] = (rawHeaders[i] as Buffer).toString('latin1');
        settle({
          kind: 'response',
          response: {
            status,
            statusMessage: statusMessage ?? '',
            rawHeaders: names,
            pipe(target) {
              sink = target;
              if (early && 'end' in early) target.end();
              else if (early) target.broke(early.broke, early.idle);
              else resumeUpstream?.();
            },
            resume: () => resumeUpstream?.(),
            abort: () => abortUpstream?.(new Error('the client went away')),
          },
        });
        // Paused until the relay has written the response head and attached its sink.
        return false;
      },
      onData(chunk) {
        return sink ? sink.data(chunk) : false;
      },
      onComplete() {
        if (sink) sink.end();
        else early = { end: true };
      },
      onError(err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const detail = `${code || 'error'}: ${err.message}`;
        if (settled) {
          // After the headers: the body broke off (or we cut it).
          const idle = code === 'UND_ERR_BODY_TIMEOUT';
          const why = idle ? `no body bytes within ${timeouts.idle}ms` : detail;
          if (sink) sink.broke(why, idle);
          else early = { broke: why, idle };
          return;
        }
        if (REQUEST_ERRORS.has(code)) {
          settle({ kind: 'unsendable', detail });
          return;
        }
        if (code === 'UND_ERR_CONNECT_TIMEOUT')
          fail('upstream_connect_timeout', 'before-send', `no connection within ${timeouts.connect}ms`);
        else if (CONNECT_ERRORS.has(code)) fail('upstream_connect_failed', 'before-send', detail);
        else if (isStaleKeepAlive(err))
          fail('upstream_reset', 'before-send', `reused keep-alive connection closed: ${detail}`);
        else fail('upstream_reset', 'after-send', detail);
      },
    };

    server.upstream.dispatch(
      {
        origin: server.url.origin,
        method: request.method,
        path: request.path,
        headers: upstreamHeaders(request.headers),
        body: request.body,
        // The header timeout is ours (from the end of the request); the idle one is undici's.
        headersTimeout: 0,
        bodyTimeout: timeouts.idle,
      },
      handler,
    );
  });
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
