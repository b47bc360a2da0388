import { FaultlineError } from '../../core/errors.ts';
import type { BalancerEvent, BalancerEventKind } from '../events.ts';
import type { ServerSnapshot } from '../pool/snapshot.ts';
import type { PoolSnapshot } from './metrics.ts';
import { SseParser } from './sse-parser.ts';

export interface AdminClientOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Per request; for `events()` only until the stream's headers arrive. Default 10s. */
  timeoutMs?: number;
}

export interface EventStreamOptions {
  /** Replay retained events with a seq greater than this first (0 = everything retained). */
  since?: number;
  /** Only these kinds (filtered by the server). */
  kinds?: readonly BalancerEventKind[];
  /** Aborting ends the iteration cleanly (no error). */
  signal?: AbortSignal;
}

export interface WaitForEventOptions extends EventStreamOptions {
  timeoutMs: number;
}

/** An admin API call that failed; `status` is undefined when no HTTP answer arrived. */
export class AdminRequestError extends FaultlineError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super('FL_ADMIN_REQUEST', message, options);
    this.name = 'AdminRequestError';
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Typed client for the balancer's admin API (see admin-server.ts for the routes). */
export class AdminClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: AdminClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  health(): Promise<{ status: string }> {
    return this.json('GET', '/healthz');
  }

  info(): Promise<Record<string, unknown>> {
    return this.json('GET', '/info');
  }

  async pools(): Promise<PoolSnapshot[]> {
    return (await this.json<{ pools: PoolSnapshot[] }>('GET', '/pools')).pools;
  }

  pool(name: string): Promise<PoolSnapshot> {
    return this.json('GET', `/pools/${encodeURIComponent(name)}`);
  }

  server(pool: string, name: string): Promise<ServerSnapshot> {
    return this.json('GET', serverPath(pool, name));
  }

  drain(pool: string, server: string): Promise<ServerSnapshot> {
    return this.json('POST', `${serverPath(pool, server)}/drain`);
  }

  enable(pool: string, server: string): Promise<ServerSnapshot> {
    return this.json('POST', `${serverPath(pool, server)}/enable`);
  }

  disable(pool: string, server: string): Promise<ServerSnapshot> {
    return this.json('POST', `${serverPath(pool, server)}/disable`);
  }

  setWeight(pool: string, server: string, weight: number): Promise<ServerSnapshot> {
    return this.json('PUT', `${serverPath(pool, server)}/weight`, { weight });
  }

  /** The Prometheus text exposition. */
  async metrics(): Promise<string> {
    return (await this.request('GET', '/metrics')).text();
  }

  /**
   * The balancer's events as they happen (after replaying from `since`, when given). Ends when
   * the signal aborts, when the loop breaks, or when the admin server closes the stream.
   */
  async *events(options: EventStreamOptions = {}): AsyncGenerator<BalancerEvent, void, undefined> {
    const { signal } = options;
    if (signal?.aborted) return;
    const query = new URLSearchParams();
    if (options.since !== undefined) query.set('since', String(options.since));
    if (options.kinds && options.kinds.length > 0) query.set('kinds', options.kinds.join(','));
    const qs = query.toString();
    const path = qs ? `/events?${qs}` : '/events';
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const connectTimer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(this.baseUrl + path, {
          headers: { ...this.authHeader(), accept: 'text/event-stream' },
          signal: controller.signal,
        });
      } catch (err) {
        if (signal?.aborted) return;
        throw this.noAnswer('GET', path, err, timedOut);
      } finally {
        clearTimeout(connectTimer);
      }
      if (!res.ok) throw await this.httpError('GET', path, res);
      if (!res.body) throw new AdminRequestError(`GET ${path}: answer has no body`, res.status, undefined);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (signal?.aborted) return;
          throw new AdminRequestError(
            `GET ${path}: event stream broke: ${describe(err)}`,
            res.status,
            undefined,
            {
              cause: err,
            },
          );
        }
        if (chunk.done) return;
        for (const message of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          yield JSON.parse(message.data) as BalancerEvent;
        }
      }
    } finally {
      clearTimeout(connectTimer);
      signal?.removeEventListener('abort', abort);
      controller.abort();
    }
  }

  /** Resolves with the first event (live, or replayed after `since`) that matches. */
  waitForEvent<E extends BalancerEvent>(
    predicate: (event: BalancerEvent) => event is E,
    options: WaitForEventOptions,
  ): Promise<E>;
  waitForEvent(
    predicate: (event: BalancerEvent) => boolean,
    options: WaitForEventOptions,
  ): Promise<BalancerEvent>;
  async waitForEvent(
    predicate: (event: BalancerEvent) => boolean,
    options: WaitForEventOptions,
  ): Promise<BalancerEvent> {
    const { timeoutMs, signal: outer, ...stream } = options;
    const controller = new AbortController();
    const abort = () => controller.abort();
    outer?.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      for await (const event of this.events({ ...stream, signal: controller.signal })) {
        if (predicate(event)) return event;
      }
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', abort);
    }
    if (outer?.aborted) throw outer.reason;
    const why = timedOut ? `no matching event within ${timeoutMs}ms` : 'the event stream ended first';
    throw new AdminRequestError(
      `waiting for a balancer event at ${this.baseUrl}: ${why}`,
      undefined,
      undefined,
    );
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    return (await res.json()) as T;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { ...this.authHeader(), accept: 'application/json' };
    // The admin API takes state changes only as JSON, even with no body (a CSRF guard).
    if (body !== undefined || (method !== 'GET' && method !== 'HEAD'))
      headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.noAnswer(method, path, err, err instanceof DOMException && err.name === 'TimeoutError');
    }
    if (!res.ok) throw await this.httpError(method, path, res);
    return res;
  }

  private authHeader(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private noAnswer(method: string, path: string, err: unknown, timedOut: boolean): AdminRequestError {
    const why = timedOut ? `no answer within ${this.timeoutMs}ms` : describe(err);
    return new AdminRequestError(`${method} ${this.baseUrl}${path} failed: ${why}`, undefined, undefined, {
      cause: err,
    });
  }

  private async httpError(method: string, path: string, res: Response): Promise<AdminRequestError> {
    const text = await res.text().catch(() => '');
    let code: string | undefined;
    let message = text.trim() || res.statusText;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code;
      message = parsed.error?.message ?? message;
    } catch {
      // Not our JSON error shape; keep the raw text.
    }
    return new AdminRequestError(
      `${method} ${path} failed: HTTP ${res.status}: ${message}`,
      res.status,
      code,
    );
  }
}

function serverPath(pool: string, server: string): string {
  return `/pools/${encodeURIComponent(pool)}/servers/${encodeURIComponent(server)}`;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
