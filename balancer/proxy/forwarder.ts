import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer, type ProxyServer } from 'http-proxy-3';
import { now } from '../../core/clock.ts';
import type { ProxyErrorCode } from '../../core/errors.ts';
import type { LimitsConfig } from '../config/types.ts';
import type { BackendServer } from '../pool/backend-server.ts';
import type { Pool } from '../pool/pool.ts';
import type { Router } from '../router.ts';
import type { RequestErrorLog } from './error-log.ts';
import { rawErrorResponse, sendProxyError } from './error-response.ts';
import { ClientExchange } from './exchange.ts';
import {
  clientAddress,
  isIdempotent,
  prepareRequestHeaders,
  requestIdOf,
  setBodyFraming,
} from './headers.ts';
import { decideRace, raceHedge } from './hedged-try.ts';
import { type ObserveRequest, ResponseRelay } from './relay.ts';
import type { ReplayBudget } from './replay-budget.ts';
import { type BodyFraming, type BodyOutcome, bodyFraming, NO_BODY, readRequestBody } from './request-body.ts';
import { normaliseRequestTarget } from './request-target.ts';
import { type OutgoingRequest, type TryResult, UpstreamTry, upstreamHeaders } from './upstream-try.ts';
import { attachTunnelRouting, WebSocketTunnels } from './websocket-tunnel.ts';

/** What the forwarder reports for metrics; the admin side implements it. */
export interface ForwardObserver {
  observeRequest(pool: string, server: string | undefined, status: number, durationMs: number): void;
  countRetry(pool: string, server: string): void;
  countProxyError(pool: string, code: string): void;
}

/** What the request path needs besides routes and pools. */
export interface ForwarderOptions {
  limits: LimitsConfig;
  replayBudget: ReplayBudget;
  errors: RequestErrorLog;
}

type Failure = Extract<TryResult, { kind: 'failed' }>;

/**
 * The request path: normalise the target → route → buffer body → pick a server → try →
 * (retry elsewhere) → relay. A response is relayed as soon as its headers arrive; from then on
 * the request is never replayed. Everything that can go wrong ends in a JSON answer that names
 * the cause by a code; the detail goes to the request error log.
 */
export class Forwarder {
  private readonly proxy: ProxyServer;
  private readonly tunnels: WebSocketTunnels;
  private readonly observe: ObserveRequest;
  shuttingDown = false;

  constructor(
    private router: Router,
    private readonly pools: ReadonlyMap<string, Pool>,
    private readonly observer: ForwardObserver,
    private readonly options: ForwarderOptions,
  ) {
    this.observe = (pool, server, status, ms) => observer.observeRequest(pool, server, status, ms);
    // http-proxy-3 carries WebSocket tunnels; plain requests go through undici (upstream-try.ts).
    this.proxy = createProxyServer({});
    attachTunnelRouting(this.proxy);
    this.tunnels = new WebSocketTunnels(this.proxy, (pool, code) =>
      this.observer.countProxyError(pool, code),
    );
    // Every call passes its own error callback; this keeps a stray error event from crashing us.
    this.proxy.on('error', () => {});
  }

  /** `expectsContinue`: the client sent `Expect: 100-continue` and waits before sending its body. */
  async handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    const started = now();
    // Decided before any header is removed: Connection may name Content-Length or TE.
    const framing = bodyFraming(req.headers);
    const target = normaliseRequestTarget(req.url);
    if (!target.ok) {
      this.refuse(req, res, framing, 'bad_path', `${target.reason}: ${JSON.stringify(req.url)}`);
      return;
    }
    req.url = target.path;
    if (target.host !== undefined) req.headers.host = target.host;
    const route = this.router.match(req.headers.host, req.url);
    const pool = route ? this.pools.get(route.pool) : undefined;
    if (!pool) {
      const detail = `host ${JSON.stringify(req.headers.host ?? '')} path ${req.url}`;
      this.refuse(req, res, framing, 'no_route', detail);
      return;
    }
    if (this.shuttingDown) res.shouldKeepAlive = false;
    const requestId = prepareRequestHeaders(req, false);
    const answerError = (code: ProxyErrorCode, tried: string[], detail?: string) => {
      const status = sendProxyError(res, code, { pool: pool.name, tried, requestId });
      this.options.errors.publish({
        code,
        status,
        client: clientAddress(req),
        requestId,
        pool: pool.name,
        tried,
        ...(detail ? { detail } : {}),
      });
      this.observer.countProxyError(pool.name, code);
      this.observer.observeRequest(pool.name, undefined, status, now() - started);
    };

    const { maxBodySize, oversizedBody } = this.options.limits;
    const refusedUnread =
      framing.kind === 'length' && framing.length > maxBodySize && oversizedBody === 'reject';
    if (expectsContinue && !refusedUnread) res.writeContinue();
    let outcome: BodyOutcome = NO_BODY;
    if (framing.kind !== 'none') {
      try {
        outcome = await readRequestBody(req, framing, {
          limits: this.options.limits,
          budget: this.options.replayBudget,
        });
      } catch {
        return; // the client went away while sending its body
      }
    }
    if (outcome.kind === 'too-large') {
      res.shouldKeepAlive = false;
      answerError('body_too_large', [], `body over limits.maxBodySize (${maxBodySize} bytes)`);
      req.resume(); // read and drop what is still coming, so the client can read the answer
      return;
    }
    const body = outcome.body;
    if (outcome !== NO_BODY) res.once('close', () => body.release());
    setBodyFraming(req.headers, req.method, body.outgoing);
    pool.retryBudget.recordRequest();
    const pinned = pool.sticky?.pinned(req.headers.cookie);
    const ctx = { clientIp: clientAddress(req), headers: req.headers, pinned };
    const exchange = new ClientExchange(res);
    const tried: string[] = [];
    const cancelled = () => exchange.signal();
    const outgoing = {
      method: req.method ?? 'GET',
      path: req.url,
      headers: upstreamHeaders(req.headers),
      body: null as OutgoingRequest['body'],
    };
    let lastFailure: Failure | undefined;

    // `retries: 0` means a request is never sent twice: no move either.
    const replayable = pool.config.retry.retries > 0 && body.replayable && isIdempotent(req.method);
    // A second try elsewhere when the first is slow: idempotent requests only, paid from
    // the retry budget, never queued for.
    const hedging = replayable && pool.config.hedge.enabled;
    const timeouts = pool.config.timeouts;
    const launch = (on: BackendServer, hedge: boolean, slowAfterMs?: number) => {
      outgoing.body = body.payload();
      const attempt = new UpstreamTry(on, outgoing, {
        timeouts,
        redispatchable: replayable,
        hedge,
        ...(slowAfterMs === undefined ? {} : { slowAfterMs }),
      });
      exchange.track(attempt);
      return attempt;
    };
    const startHedge = (slow: UpstreamTry) => {
      if (this.shuttingDown || !pool.retryBudget.tryWithdraw()) return;
      const other = pool.acquireFresh(ctx, tried);
      if (!other) return;
      tried.push(other.name);
      other.counters.retries++;
      this.observer.countRetry(pool.name, other.name);
      raceHedge(slow, launch(other, true));
    };
    // Moves off a server that left rotation: not retries (the server is known bad, nothing
    // failed yet), so neither the retry count nor the budget pays; at most once per server.
    let moves = 0;
    let moved = false;
    for (let attempt = 0; attempt <= pool.config.retry.retries; attempt++) {
      const paid = moved; // this attempt's budget was withdrawn before it moved
      moved = false;
      if (attempt > 0 && !paid && !pool.retryBudget.tryWithdraw()) {
        answerError('retry_budget_exhausted', tried, lastFailure?.detail);
        return;
      }
      const pending = pool.acquire(ctx, tried, cancelled);
      const acquired = pending instanceof Promise ? await pending : pending;
      if (!acquired.ok) {
        if (acquired.code === 'cancelled') return;
        if (lastFailure) answerError(lastFailure.code, tried, lastFailure.detail);
        else answerError(acquired.code, tried);
        return;
      }
      const server = acquired.server;
      tried.push(server.name);
      if (attempt > 0) {
        server.counters.retries++;
        this.observer.countRetry(pool.name, server.name);
      }
      const first = launch(server, false, hedging ? pool.hedgeDelay.delayMs : undefined);
      if (hedging) first.onSlow = startHedge;
      let run = first;
      let result = await first.result;
      if (first.hedgedBy) {
        const race = await decideRace(first, result, first.hedgedBy);
        const hedgeWon = race.decided.run.hedge && race.decided.result.kind === 'response';
        for (const loser of race.others) this.endLoser(pool, loser.run, loser.result, hedgeWon);
        run = race.decided.run;
        result = race.decided.result;
      }
      const tryStarted = run.started;
      if (result.kind === 'client-gone' || result.kind === 'cancelled') {
        pool.release(run.server, 'aborted', now() - tryStarted);
        return;
      }
      if (result.kind === 'left-rotation') {
        pool.release(run.server, 'aborted', now() - tryStarted);
        lastFailure = {
          kind: 'failed',
          code: 'upstream_header_timeout',
          phase: 'after-send',
          detail: `${run.server.name} left rotation before answering: ${result.reason}`,
        };
        if (++moves > pool.servers.length) break;
        attempt--; // the same attempt, on another server
        moved = true;
        continue;
      }
      if (result.kind === 'unsendable') {
        pool.release(run.server, 'aborted', now() - tryStarted);
        answerError('bad_request', tried, result.detail);
        return;
      }
      if (result.kind === 'response') {
        if (this.shuttingDown) res.shouldKeepAlive = false;
        const pin =
          pool.sticky && run.server.name !== pinned ? pool.sticky.setCookie(run.server.name) : undefined;
        exchange.relay = new ResponseRelay(
          result.response,
          res,
          pool,
          run.server,
          tryStarted,
          started,
          this.observe,
          pin,
        );
        return;
      }
      run.server.counters.failures++;
      pool.release(run.server, 'gateway-failure', now() - tryStarted);
      lastFailure = { ...result, detail: `${run.server.name} (${run.server.url}): ${result.detail}` };
      const retryable = body.replayable && (result.phase === 'before-send' || isIdempotent(req.method));
      if (!retryable) break;
    }
    if (lastFailure) answerError(lastFailure.code, tried, lastFailure.detail);
  }

  /**
   * Ends a try that did not decide the request. The first try that lost to its hedge had gone
   * the whole hedge delay without an answer while another server answered: that counts against
   * its server as a timeout would (Envoy counts per-try timeouts the same way), which is how
   * a frozen server is ejected within a few hedge delays.
   */
  private endLoser(pool: Pool, run: UpstreamTry, result: TryResult, hedgeWon: boolean): void {
    const took = now() - run.started;
    if (result.kind === 'response') {
      result.response.abort();
      pool.release(run.server, 'aborted', took);
    } else if (result.kind === 'failed') {
      run.server.counters.failures++;
      pool.release(run.server, 'gateway-failure', took);
    } else if (result.kind === 'cancelled' && hedgeWon && !run.hedge) {
      run.server.counters.failures++;
      pool.release(run.server, 'gateway-failure', took);
    } else pool.release(run.server, 'aborted', took);
  }

  /**
   * An answer before any pool is involved: no retry, no pool metrics. A body the client may
   * still be sending is not read: the connection closes after the answer.
   */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    framing: BodyFraming,
    code: ProxyErrorCode,
    detail: string,
  ): void {
    if (framing.kind !== 'none') res.shouldKeepAlive = false;
    const requestId = requestIdOf(req);
    const status = sendProxyError(res, code, { requestId });
    this.options.errors.publish({ code, status, client: clientAddress(req), requestId, detail });
  }

  /** WebSocket upgrades: see websocket-tunnel.ts. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const route = this.router.match(req.headers.host, req.url);
    const pool = route ? this.pools.get(route.pool) : undefined;
    if (!pool || this.shuttingDown) {
      const code = pool ? 'shutting_down' : 'no_route';
      if (socket.writable) socket.end(rawErrorResponse(code, requestIdOf(req)));
      if (pool) this.observer.countProxyError(pool.name, code);
      return;
    }
    await this.tunnels.handle(req, socket, head, pool);
  }

  /** A reload's routes and limits; requests already routed keep what they started with. */
  reconfigure(router: Router, limits: LimitsConfig): void {
    this.router = router;
    this.options.limits = limits;
  }

  /** Graceful stop's deadline: closes every WebSocket tunnel, both sides. */
  closeTunnels(): void {
    this.tunnels.closeAll();
  }

  close(): void {
    this.proxy.close();
  }
}
