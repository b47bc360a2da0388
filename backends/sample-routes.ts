/**
 * The backend's "application": `/health`, `POST /orders`, and an echo for everything else.
 * Served by node:http directly: Express cost ~200 µs more CPU per request, ~0.4 of a core at
 * the 2,000 req/s a drill sends through two backends on a 2-core machine (see README.md).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { KnobController } from './knobs.ts';

/** The parts of the request target the routes use: Express's `req.path` and `req.query`. */
export interface RequestTarget {
  path: string;
  search: string;
}

export function requestTarget(url: string | undefined): RequestTarget {
  let target = url ?? '/';
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`), as a forward proxy would send it
    try {
      const parsed = new URL(target);
      target = parsed.pathname + parsed.search;
    } catch {
      return { path: target, search: '' };
    }
  }
  const question = target.indexOf('?');
  if (question === -1) return { path: target, search: '' };
  return { path: target.slice(0, question), search: target.slice(question + 1) };
}

/** Route matching as Express's default: case-insensitive, one trailing slash allowed. */
export function samePath(path: string, route: string): boolean {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.length === route.length && trimmed.toLowerCase() === route;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** Reads and discards a request body, returning its length in bytes. */
function bodyLength(req: IncomingMessage): Promise<number> {
  // Most requests (GETs) have no body: no stream to read, nothing to wait for.
  const framed =
    req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
  if (!framed || req.headers['content-length'] === '0') return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
    });
    req.once('end', () => resolve(length));
    req.once('error', reject);
    req.once('close', () => reject(new Error('the client went away while sending the body')));
  });
}

/** `isHealth`: `GET|HEAD /health`, decided once by the caller (it also counts and exempts it). */
export type SampleRoutes = (
  req: IncomingMessage,
  res: ServerResponse,
  target: RequestTarget,
  isHealth: boolean,
) => void;

/** `GET|HEAD /health`, as Express's `router.get('/health')` matched it. */
export function isHealthCheck(method: string | undefined, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && samePath(path, '/health');
}

/** Every body names the instance; the `x-backend-instance` header is set earlier, for all routes. */
export function sampleRoutes(name: string, knobs: KnobController): SampleRoutes {
  const fail = failure(name);
  const echo = async (req: IncomingMessage, res: ServerResponse, target: RequestTarget) => {
    const received = await bodyLength(req);
    sendJson(res, 200, {
      instance: name,
      pid: process.pid,
      method: req.method,
      path: target.path,
      query: parseQuery(target.search),
      headers: req.headers,
      bodyLength: received,
    });
  };
  const order = async (req: IncomingMessage, res: ServerResponse) => {
    const received = await bodyLength(req);
    sendJson(res, 201, { orderId: randomUUID(), instance: name, pid: process.pid, bodyLength: received });
  };

  return (req, res, target, isHealth) => {
    if (isHealth) {
      const status = knobs.get().healthStatus;
      sendJson(res, status, { status: status < 400 ? 'ok' : 'failing', instance: name });
    } else if (req.method === 'POST' && samePath(target.path, '/orders')) {
      order(req, res).catch((err: unknown) => fail(res, err));
    } else {
      echo(req, res, target).catch((err: unknown) => fail(res, err));
    }
  };
}

/** Last-resort error answer: JSON, still naming the instance. */
export function failure(name: string): (res: ServerResponse, err: unknown) => void {
  return (res, err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    sendJson(res, 500, { error: 'backend_error', message, instance: name });
  };
}
