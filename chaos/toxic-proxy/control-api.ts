import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CallerRefusal,
  isLoopbackHost,
  refuseCaller,
  refuseContentType,
} from '../../core/request-guard.ts';
import { formatHostPort } from './address.ts';
import { ToxicProxyError } from './errors.ts';
import { NewProxyPolicy } from './new-proxy-policy.ts';
import type { ToxicProxyServer } from './proxy-server.ts';
import type { ToxicInput } from './toxic.ts';

export { isLoopbackHost };

/** The Toxiproxy release whose HTTP API this one follows, and who implements it (semver build metadata). */
export const TOXIC_PROXY_VERSION = '2.12.0+faultline';
const MAX_BODY_BYTES = 64 * 1024;
const VERSION_BODY = Symbol('version');

export interface ControlApiOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /**
   * Callers must send `Authorization: Bearer <token>` (every route but `GET /version`). With a
   * token, any Host is accepted; without one, only loopback Hosts (see core/request-guard.ts).
   */
  token?: string;
  /**
   * The operator trusts the network: listen on any address without a token, and create
   * proxies with any listen address and upstream.
   */
  allowRemote?: boolean;
  /**
   * Only listen on a non-loopback address without a token (a container whose port is published
   * on the host's 127.0.0.1). New proxies stay limited; callers still need a loopback Host.
   */
  allowRemoteListen?: boolean;
  /**
   * Upstreams new proxies may use besides loopback. The upstreams and listen addresses of the
   * proxies that exist when the control API starts are always allowed.
   */
  upstreams?: readonly string[];
}

export interface ControlApi {
  readonly url: string;
  close(): Promise<void>;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Handler = (body: () => Promise<unknown>) => Promise<[number, unknown?]> | [number, unknown?];
type Route = Partial<Record<Method, Handler>>;

interface ControlContext {
  server: ToxicProxyServer;
  policy: NewProxyPolicy;
  tokenDigest: Buffer | undefined;
}

/**
 * The toxic proxy's HTTP control API: Toxiproxy's (its api.go), so Toxiproxy clients drive it
 * unchanged. JSON in and out; errors are Toxiproxy's `{"error": message, "status": N}` plus the
 * stable `code` of errors.ts. The rules on who may call it come first (see handle()).
 */
export async function startControlApi(
  server: ToxicProxyServer,
  options: ControlApiOptions = {},
): Promise<ControlApi> {
  const host = options.host ?? '127.0.0.1';
  if (!options.token && !options.allowRemote && !options.allowRemoteListen && !isLoopbackHost(host)) {
    throw new ToxicProxyError(
      'insecure_listen',
      `refusing to serve the toxic proxy control API on ${host} without a token: it can cut any backend off. ` +
        'Listen on 127.0.0.1, set a token (--token or FAULTLINE_TOXIC_TOKEN), or say --allow-remote-listen ' +
        '(only reachable through a port published on loopback) or --allow-remote (a network you trust).',
    );
  }
  const existing = server.list();
  const context: ControlContext = {
    server,
    policy: new NewProxyPolicy(options.allowRemote === true, {
      upstreams: [...(options.upstreams ?? []), ...existing.map((p) => p.upstream)],
      listens: existing.map((p) => p.listen),
    }),
    tokenDigest: options.token ? digest(options.token) : undefined,
  };
  const httpServer = http.createServer((req, res) => {
    handle(context, req, res).catch((err: unknown) => fail(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', (err) =>
      reject(new ToxicProxyError('listen_failed', `cannot listen for the control API: ${err.message}`)),
    );
    httpServer.listen(options.port ?? 0, host, () => resolve());
  });
  const url = `http://${formatHostPort({ host, port: (httpServer.address() as AddressInfo).port })}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      return closing;
    },
  };
}

function routes({ server, policy }: ControlContext, s: readonly string[]): Route | undefined {
  const [a, proxy, c, toxic] = s;
  if (s.length === 1 && a === 'version') return { GET: () => [200, VERSION_BODY] };
  if (s.length === 1 && a === 'reset') return { POST: async () => [204, await server.reset()] };
  if (s.length === 1 && a === 'populate') {
    return {
      POST: async (body) => {
        const input = await body();
        if (Array.isArray(input)) for (const entry of input) policy.check(entry);
        const { proxies, error } = await server.populate(input);
        return error ? [error.status, { ...errorBody(error), proxies }] : [201, { proxies }];
      },
    };
  }
  if (a !== 'proxies') return undefined;
  if (s.length === 1) {
    return {
      GET: () => [200, Object.fromEntries(server.list().map((p) => [p.name, p]))],
      POST: async (body) => {
        const input = await body();
        policy.check(input);
        return [201, await server.createProxy(input as never)];
      },
    };
  }
  if (proxy === undefined) return undefined;
  if (s.length === 2) {
    const update: Handler = async (body) => {
      const input = await body();
      server.proxy(proxy); // 404 before any other complaint
      policy.check(input);
      return [200, await server.updateProxy(proxy, input as never)];
    };
    return {
      GET: () => [200, server.proxy(proxy)],
      POST: update,
      PATCH: update,
      DELETE: async () => [204, await server.deleteProxy(proxy)],
    };
  }
  if (c !== 'toxics') return undefined;
  if (s.length === 3) {
    return {
      GET: () => [200, server.proxy(proxy).toxics],
      // Toxiproxy answers 200 here, not 201.
      POST: async (body) => [200, server.addToxic(proxy, (await body()) as ToxicInput)],
    };
  }
  if (s.length === 4 && toxic !== undefined) {
    const update: Handler = async (body) => [200, server.updateToxic(proxy, toxic, await body())];
    return {
      GET: () => [200, server.toxic(proxy, toxic)],
      POST: update,
      PATCH: update,
      DELETE: () => {
        server.toxic(proxy, toxic); // 404 naming the known toxics when absent
        server.removeToxic(proxy, toxic);
        return [204];
      },
    };
  }
  return undefined;
}

async function handle(context: ControlContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control.invalid');
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new ToxicProxyError('invalid_request', `malformed percent-encoding in path ${url.pathname}`);
  }
  refuseBrowser(req);
  refuse(refuseCaller(req, 'toxic proxy control API', context.tokenDigest !== undefined));
  const isVersion = segments.length === 1 && segments[0] === 'version' && req.method === 'GET';
  if (!isVersion) authorize(req, context.tokenDigest);
  const route = routes(context, segments);
  if (!route) throw new ToxicProxyError('not_found', `no route ${req.method} ${url.pathname}`);
  const handler = route[req.method as keyof Route];
  if (!handler) {
    throw new ToxicProxyError(
      'method_not_allowed',
      `${req.method} is not allowed on ${url.pathname} (allowed: ${Object.keys(route).join(', ')})`,
    );
  }
  refuse(refuseContentType(req, url.pathname, { untypedOk: true }));
  const [status, body] = await handler(() => readJson(req));
  if (status === 204 || body === undefined) {
    res.writeHead(status).end();
    return;
  }
  if (body === VERSION_BODY) {
    // Byte for byte what Toxiproxy sends: some clients read /version as text.
    res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', 'cache-control': 'no-store' });
    res.end(`{"version": "${TOXIC_PROXY_VERSION}"}\n`);
    return;
  }
  sendJson(res, status, body);
}

/** Toxiproxy's own guard: browsers (a User-Agent starting "Mozilla/") are refused. */
function refuseBrowser(req: IncomingMessage): void {
  if (!req.headers['user-agent']?.startsWith('Mozilla/')) return;
  throw new ToxicProxyError(
    'browser_refused',
    'User agent not allowed: the toxic proxy control API refuses browsers (as Toxiproxy does); call it from a client or program',
  );
}

function refuse(refusal: CallerRefusal | undefined): void {
  if (refusal) throw new ToxicProxyError(refusal.code, refusal.message);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function authorize(req: IncomingMessage, tokenDigest: Buffer | undefined): void {
  if (!tokenDigest) return;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  // Hashing first makes both sides the same length, so the comparison leaks nothing.
  if (match?.[1] && timingSafeEqual(digest(match[1]), tokenDigest)) return;
  throw new ToxicProxyError(
    'unauthorized',
    req.headers.authorization
      ? 'invalid toxic proxy token'
      : 'toxic proxy token required: send Authorization: Bearer <token>',
  );
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new ToxicProxyError('payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '')
    throw new ToxicProxyError('invalid_json', 'bad request body: the body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ToxicProxyError('invalid_json', `bad request body: not valid JSON: ${(err as Error).message}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function fail(res: ServerResponse, err: unknown): void {
  const e =
    err instanceof ToxicProxyError
      ? err
      : new ToxicProxyError('internal_error', `internal error: ${(err as Error)?.message ?? String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, errorBody(e));
}

/** Toxiproxy's error body, plus the stable code. */
function errorBody(e: ToxicProxyError): { error: string; status: number; code: string } {
  return { error: e.message, status: e.status, code: e.code };
}
