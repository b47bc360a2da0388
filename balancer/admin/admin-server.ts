import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP, type Socket } from 'node:net';
import { FaultlineError } from '../../core/errors.ts';
import { isLoopbackHost, refuseCaller, refuseContentType } from '../../core/request-guard.ts';
import type { AdminConfig, ListenAddress } from '../config/types.ts';
import type { EventBus } from '../events.ts';
import { type Pool, UnknownServerError } from '../pool/pool.ts';
import type { ServerSnapshot } from '../pool/snapshot.ts';
import { DEFAULT_HEARTBEAT_MS, EventStreams } from './events-stream.ts';
import { AdminHttpError, parseWeight, readJsonBody, sendError, sendJson } from './http-json.ts';
import type { BalancerMetrics } from './metrics.ts';

export { isLoopbackHost };

export interface AdminServerOptions {
  config: AdminConfig;
  pools: ReadonlyMap<string, Pool>;
  events: EventBus;
  metrics: BalancerMetrics;
  /** Extra fields for `GET /info` (the admin server adds `uptimeMs`). */
  info?: () => Record<string, unknown>;
  /** SSE heartbeat interval; 15s unless a test wants it shorter. */
  heartbeatMs?: number;
  /** `POST /reload`: reloads the config file; resolves with what changed, rejects with why not. */
  reload?: () => Promise<string[]>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
type Route = Partial<Record<'GET' | 'POST' | 'PUT', Handler>>;

/** After close() ends the event streams, connections still busy this long are cut. */
const CLOSE_GRACE_MS = 2000;

export function formatAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The balancer's admin API: pool and server state, operator actions (drain, enable, disable,
 * weight), the event stream and Prometheus metrics. JSON in and out; every route except
 * `GET /healthz` requires `Authorization: Bearer <token>` when a token is configured
 * (Prometheus sends one with `authorization: { credentials: <token> }` in its scrape config).
 * Browsers are kept out by the rules of request-guard.ts (Origin, Host without a token, JSON
 * content type on state changes), checked before the token.
 */
export class AdminServer {
  private readonly httpServer: http.Server;
  private readonly streams: EventStreams;
  private tokenDigest: Buffer | undefined;
  private readonly startedAt = Date.now();
  private listening: ListenAddress | undefined;
  private closing: Promise<void> | undefined;
  /** Every open connection, with the number of answers in progress on it. */
  private readonly sockets = new Map<Socket, number>();

  private constructor(private readonly options: AdminServerOptions) {
    const token = options.config.token;
    this.tokenDigest = token ? digest(token) : undefined;
    this.streams = new EventStreams(options.events, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.httpServer = http.createServer((req, res) => {
      this.track(req.socket, +1);
      res.once('close', () => this.track(req.socket, -1));
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    this.httpServer.on('connection', (socket: Socket) => {
      this.sockets.set(socket, 0);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Counts answers in progress per connection; once closing, a connection is ended when idle. */
  private track(socket: Socket, delta: number): void {
    const active = (this.sockets.get(socket) ?? 0) + delta;
    this.sockets.set(socket, active);
    if (this.closing && active === 0) socket.end();
  }

  static async start(options: AdminServerOptions): Promise<AdminServer> {
    const { listen, token } = options.config;
    if (!token && !isLoopbackHost(listen.host)) {
      throw new FaultlineError(
        'FL_ADMIN_INSECURE',
        `refusing to serve the admin API on ${formatAddress(listen)} without a token: it can drain and disable ` +
          'servers. Set admin.token in the balancer config (clients then send Authorization: Bearer <token>), ' +
          'or listen on 127.0.0.1.',
      );
    }
    const admin = new AdminServer(options);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          new FaultlineError(
            'FL_LISTEN_FAILED',
            `cannot listen for the admin API on ${formatAddress(listen)}: ${err.code ?? err.message}`,
            { cause: err },
          ),
        );
      admin.httpServer.once('error', onError);
      admin.httpServer.listen(listen.port, listen.host, () => {
        admin.httpServer.off('error', onError);
        admin.listening = { host: listen.host, port: (admin.httpServer.address() as AddressInfo).port };
        resolve();
      });
    });
    return admin;
  }

  get address(): { host: string; port: number } {
    if (!this.listening) throw new Error('admin API is not listening');
    return { ...this.listening };
  }

  get url(): string {
    return `http://${formatAddress(this.address)}`;
  }

  /** Open `GET /events` streams. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Stops listening, ends every event stream, and resolves once all connections are gone. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.httpServer.close(() => resolve());
      // Idle keep-alive connections and ones that never sent a request go now; the others as
      // soon as their answer is out (event streams end right here).
      for (const [socket, active] of this.sockets) if (active === 0) socket.end();
      this.streams.closeAll();
      const force = setTimeout(() => this.httpServer.closeAllConnections(), CLOSE_GRACE_MS);
      force.unref();
      this.httpServer.once('close', () => clearTimeout(force));
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    let segments: string[];
    try {
      segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new AdminHttpError(400, 'invalid_path', `malformed percent-encoding in path ${url.pathname}`);
    }
    const refusal = refuseCaller(req, 'admin API', this.tokenDigest !== undefined);
    if (refusal) throw new AdminHttpError(refusal.status, refusal.code, refusal.message);
    if (!(segments.length === 1 && segments[0] === 'healthz')) this.authorize(req);
    const route = this.route(segments);
    if (!route) throw new AdminHttpError(404, 'not_found', `no route ${req.method} ${url.pathname}`);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const handler = method === 'GET' || method === 'POST' || method === 'PUT' ? route[method] : undefined;
    if (!handler) {
      const allow = Object.keys(route).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      throw new AdminHttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`, {
        allow: allow.join(', '),
      });
    }
    const badType = refuseContentType(req, url.pathname);
    if (badType) throw new AdminHttpError(badType.status, badType.code, badType.message);
    await handler(req, res, url);
  }

  private authorize(req: IncomingMessage): void {
    if (!this.tokenDigest) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // Hashing first makes both sides the same length, so the comparison leaks nothing.
    if (match?.[1] && timingSafeEqual(digest(match[1]), this.tokenDigest)) return;
    throw new AdminHttpError(
      401,
      'unauthorized',
      req.headers.authorization
        ? 'invalid admin token'
        : 'admin token required: send Authorization: Bearer <token>',
      { 'www-authenticate': 'Bearer realm="faultline-admin"' },
    );
  }

  private route(s: readonly string[]): Route | undefined {
    const [a, pool, c, server, action] = s;
    if (s.length === 1) {
      switch (a) {
        case 'healthz':
          return { GET: (_req, res) => sendJson(res, 200, { status: 'ok' }) };
        case 'info':
          return {
            GET: (_req, res) => sendJson(res, 200, { ...this.options.info?.(), uptimeMs: this.uptimeMs() }),
          };
        case 'pools':
          return {
            GET: (_req, res) => sendJson(res, 200, { pools: this.allPools().map((p) => p.snapshot()) }),
          };
        case 'events':
          return { GET: (req, res, url) => this.streams.serve(req, res, url) };
        case 'metrics':
          return { GET: (_req, res) => this.sendMetrics(res) };
        case 'reload':
          return { POST: (_req, res) => this.reload(res) };
      }
      return undefined;
    }
    if (a !== 'pools' || pool === undefined) return undefined;
    if (s.length === 2) return { GET: (_req, res) => sendJson(res, 200, this.pool(pool).snapshot()) };
    if (c !== 'servers') return undefined;
    if (s.length === 3)
      return { GET: (_req, res) => sendJson(res, 200, { servers: this.pool(pool).snapshot().servers }) };
    if (server === undefined) return undefined;
    if (s.length === 4) return { GET: (_req, res) => sendJson(res, 200, this.serverSnapshot(pool, server)) };
    if (s.length !== 5) return undefined;
    switch (action) {
      case 'drain':
      case 'enable':
      case 'disable':
        return { POST: (_req, res) => this.act(res, pool, server, (p) => p[action](server)) };
      case 'weight':
        return {
          PUT: async (req, res) => {
            const weight = parseWeight(await readJsonBody(req));
            this.act(res, pool, server, (p) => p.setWeight(server, weight));
          },
        };
    }
    return undefined;
  }

  private act(res: ServerResponse, poolName: string, serverName: string, action: (pool: Pool) => void): void {
    this.serverSnapshot(poolName, serverName);
    action(this.pool(poolName));
    sendJson(res, 200, this.serverSnapshot(poolName, serverName));
  }

  private async reload(res: ServerResponse): Promise<void> {
    const reload = this.options.reload;
    if (!reload) {
      throw new AdminHttpError(
        409,
        'reload_unavailable',
        'this balancer was not started from a config file: nothing to reload',
      );
    }
    let changes: string[];
    try {
      changes = await reload();
    } catch (err) {
      const code = err instanceof FaultlineError ? err.code : 'FL_RELOAD_REFUSED';
      const message = err instanceof Error ? err.message : String(err);
      throw new AdminHttpError(
        422,
        'reload_refused',
        `${message} [${code}]; the running config stays in force`,
      );
    }
    sendJson(res, 200, { reloaded: true, changes });
  }

  /** A reload's new admin.token applies to the next request. */
  setToken(token: string | undefined): void {
    this.tokenDigest = token ? digest(token) : undefined;
  }

  private allPools(): Pool[] {
    return [...this.options.pools.values()];
  }

  private pool(name: string): Pool {
    const pool = this.options.pools.get(name);
    if (pool) return pool;
    const known = [...this.options.pools.keys()].join(', ') || '(none)';
    throw new AdminHttpError(404, 'unknown_pool', `no pool named "${name}"; known pools: ${known}`);
  }

  private serverSnapshot(poolName: string, name: string): ServerSnapshot {
    const pool = this.pool(poolName);
    const servers = pool.snapshot().servers;
    const found = servers.find((s) => s.name === name);
    if (found) return found;
    throw unknownServer(poolName, name, servers);
  }

  private async sendMetrics(res: ServerResponse): Promise<void> {
    const text = await this.options.metrics.text();
    res.writeHead(200, {
      'content-type': this.options.metrics.contentType,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  }

  private uptimeMs(): number {
    return Date.now() - this.startedAt;
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, toHttpError(err));
  }
}

function toHttpError(err: unknown): AdminHttpError {
  if (err instanceof AdminHttpError) return err;
  if (err instanceof UnknownServerError) return new AdminHttpError(404, 'unknown_server', err.message);
  const message = err instanceof Error ? err.message : String(err);
  return new AdminHttpError(500, 'internal', `admin API failed: ${message}`);
}

function unknownServer(pool: string, name: string, servers: readonly ServerSnapshot[]): AdminHttpError {
  const names = servers.map((s) => s.name).join(', ') || '(none)';
  return new AdminHttpError(
    404,
    'unknown_server',
    `pool "${pool}" has no server named "${name}"; its servers: ${names}`,
  );
}
