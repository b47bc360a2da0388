/**
 * The sample backend: an HTTP server that names itself on every answer, has `/health`,
 * `POST /orders`, an echo for any other route, a `/ws` echo, and misbehaviour knobs
 * (latency, error rate, hang, health status) that chaos drills turn at runtime through
 * the Express control API under `/_faultline/` (see README.md in this folder).
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import express from 'express';
import { CONTROL_PREFIX, controlRoutes } from './control-routes.ts';
import { createKnobs, type KnobController, type Knobs } from './knobs.ts';
import { applyKnobs, HungRequests } from './misbehaviour.ts';
import { failure, isHealthCheck, requestTarget, sampleRoutes } from './sample-routes.ts';
import { BackendStats } from './stats.ts';
import { createWebSocketEcho, type WebSocketEcho } from './websocket-echo.ts';

export interface SampleBackendOptions {
  /** Instance name, sent in `x-backend-instance` and every body. Default: the host name. */
  name?: string;
  /** Start values of the knobs (also what `POST /_faultline/reset` returns to). */
  knobs?: Partial<Knobs>;
}

export interface SampleBackend {
  readonly name: string;
  /** The server's request listener: control API, knobs, then the application routes. */
  readonly handle: RequestListener;
  readonly knobs: KnobController;
  readonly stats: BackendStats;
  readonly hung: HungRequests;
  readonly websockets: WebSocketEcho;
}

export interface StartOptions extends SampleBackendOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

export interface CloseOptions {
  /** After this, remaining connections are destroyed. Default 5000. */
  timeoutMs?: number;
}

export interface CloseResult {
  /** False when the deadline passed and connections had to be destroyed. */
  graceful: boolean;
}

export interface RunningSampleBackend extends SampleBackend {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (a wildcard host is replaced by 127.0.0.1). */
  readonly url: string;
  /**
   * Graceful stop: stop accepting, release hung requests, let in-flight requests finish,
   * close idle keep-alive sockets and websockets; destroy what is left at the deadline.
   * Idempotent.
   */
  close(options?: CloseOptions): Promise<CloseResult>;
}

export function createSampleBackend(options: SampleBackendOptions = {}): SampleBackend {
  const name = options.name ?? hostname();
  const knobs = createKnobs(options.knobs);
  const hung = new HungRequests();
  const stats = new BackendStats(() => hung.count);
  const websockets = createWebSocketEcho(name, stats);

  const control = express();
  control.disable('x-powered-by');
  control.set('etag', false);
  control.use(CONTROL_PREFIX, controlRoutes({ knobs, hung, stats }));

  const misbehave = applyKnobs({ knobs, hung, name });
  const routes = sampleRoutes(name, knobs);
  const fail = failure(name);
  const handle: RequestListener = (req, res) => {
    res.setHeader('x-backend-instance', name);
    const target = requestTarget(req.url);
    if (isControlPath(target.path)) {
      control(req, res);
      return;
    }
    const isHealth = isHealthCheck(req.method, target.path);
    stats.track(isHealth, res);
    const go = misbehave(isHealth, res);
    if (go === true) routes(req, res, target, isHealth);
    else if (go !== false) {
      go.then(
        (proceed) => proceed && routes(req, res, target, isHealth),
        (err: unknown) => fail(res, err),
      );
    }
  };
  return { name, handle, knobs, stats, hung, websockets };
}

function isControlPath(path: string): boolean {
  const prefix = path.slice(0, CONTROL_PREFIX.length + 1).toLowerCase();
  return prefix === CONTROL_PREFIX || prefix === `${CONTROL_PREFIX}/`;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSampleBackend(options: StartOptions = {}): Promise<RunningSampleBackend> {
  const backend = createSampleBackend(options);
  const host = options.host ?? '127.0.0.1';
  const server = createServer(backend.handle);
  let draining = false;
  // Runs before Express: answers that start while draining close their connection.
  server.prependListener('request', (_req, res) => {
    if (draining) res.setHeader('connection', 'close');
  });
  server.on('upgrade', (req, socket, head) => backend.websockets.handleUpgrade(req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<CloseResult> | undefined;
  const close = (closeOptions: CloseOptions = {}): Promise<CloseResult> => {
    draining = true;
    closing ??= closeGracefully(server, backend, closeOptions.timeoutMs ?? 5000);
    return closing;
  };
  return { ...backend, server, host, port, url: `http://${urlHost(host)}:${port}`, close };
}

function closeGracefully(server: Server, backend: SampleBackend, timeoutMs: number): Promise<CloseResult> {
  return new Promise((resolve) => {
    let graceful = true;
    const closed = () => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve({ graceful });
    };
    server.close(closed);
    backend.hung.close();
    backend.websockets.closeAll();
    server.closeIdleConnections();
    // Keep-alive sockets become idle as their in-flight answers finish.
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    const deadline = setTimeout(() => {
      graceful = false;
      clearInterval(sweep);
      backend.websockets.terminateAll();
      server.closeAllConnections();
    }, timeoutMs);
  });
}
