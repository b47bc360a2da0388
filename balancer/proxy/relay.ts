import type { ServerResponse } from 'node:http';
import { now } from '../../core/clock.ts';
import type { BackendServer } from '../pool/backend-server.ts';
import type { Pool } from '../pool/pool.ts';
import { relayedHeaders } from './headers.ts';
import type { BodySink, UpstreamResponse } from './upstream-try.ts';

/** Where the relay reports a finished request (the admin side's metrics). */
export type ObserveRequest = (pool: string, server: string, status: number, durationMs: number) => void;

type RelayOutcome = 'success' | 'http-5xx' | 'gateway-failure' | 'aborted';

/**
 * Relays one backend response to the client: the head at once, then the body with
 * back-pressure. The try is released when the exchange ends: delivered (success or http-5xx),
 * broken off by the backend (gateway-failure, the client sees a broken response, never a
 * silently short one) or cut because the client went away (aborted).
 */
export class ResponseRelay implements BodySink {
  private finished = false;
  private readonly headersAt = now();

  constructor(
    private readonly response: UpstreamResponse,
    private readonly res: ServerResponse,
    private readonly pool: Pool,
    private readonly server: BackendServer,
    /** When the try that answered began, and when the request arrived. */
    private readonly tryStarted: number,
    private readonly started: number,
    private readonly observe: ObserveRequest,
    /** A sticky cookie for the answer: the client is pinned to the server that answered. */
    setCookie?: string,
  ) {
    server.countResponse(response.status);
    const headers = relayedHeaders(response.rawHeaders, server.name);
    if (setCookie !== undefined) headers.push('Set-Cookie', setCookie);
    res.writeHead(response.status, response.statusMessage || undefined, headers);
    response.pipe(this);
  }

  data(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.response.resume);
    return false;
  }

  end(): void {
    this.res.end();
  }

  broke(): void {
    this.finish('gateway-failure');
    this.res.destroy();
  }

  /** The client connection closed: after the whole response, or before (then the backend is cut). */
  closed(): void {
    if (this.res.writableFinished) {
      this.finish(this.response.status >= 500 ? 'http-5xx' : 'success');
      return;
    }
    this.response.abort();
    this.finish('aborted');
  }

  private finish(outcome: RelayOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.pool.release(this.server, outcome, this.headersAt - this.tryStarted);
    this.observe(this.pool.name, this.server.name, this.response.status, now() - this.started);
  }
}
