import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the legacy ones proxies still see. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export const SERVED_BY_HEADER = 'x-served-by';
export const ERROR_HEADER = 'x-faultline-error';
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Never removed because the Connection header names them: the balancer itself decides Host and
 * the body framing (RFC 9110 §7.6.1 lets a sender name only hop-by-hop fields there; a client
 * naming these is trying to confuse the next hop).
 */
const NOT_NAMEABLE = new Set(['host', 'content-length', 'transfer-encoding']);

/** Removes hop-by-hop headers, including any the Connection header names. Mutates `headers`. */
export function stripHopByHop(headers: IncomingHttpHeaders, keepUpgrade = false): void {
  const kept = (name: string) => keepUpgrade && (name === 'upgrade' || name === 'connection');
  // Runs on every request: no arrays, and no delete of a header that is not there.
  if (headers.connection !== undefined) {
    for (const token of String(headers.connection).split(',')) {
      const name = token.trim().toLowerCase();
      if (name && !NOT_NAMEABLE.has(name) && !kept(name) && headers[name] !== undefined) delete headers[name];
    }
  }
  for (const name of HOP_BY_HOP) if (!kept(name) && headers[name] !== undefined) delete headers[name];
}

/**
 * The backend's response headers as the client gets them: raw names and values (duplicates
 * such as Set-Cookie kept apart, names in the backend's case), hop-by-hop ones and any the
 * Connection header names removed, and X-Served-By naming the server. A flat list for writeHead.
 */
export function relayedHeaders(raw: readonly string[], servedBy: string): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'connection') continue;
    for (const token of (raw[i + 1] as string).split(',')) {
      const name = token.trim().toLowerCase();
      if (!name || NOT_NAMEABLE.has(name)) continue;
      named ??= new Set();
      named.add(name);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(name) || name === SERVED_BY_HEADER || named?.has(name)) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  out.push(SERVED_BY_HEADER, servedBy);
  return out;
}

export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Rewrites the request headers once, before the first try, so every retry sends the same:
 * hop-by-hop removed, Expect dropped (the body is buffered here, the client already got its
 * 100 Continue), X-Forwarded-*, X-Real-IP and a request id added.
 */
export function prepareRequestHeaders(req: IncomingMessage, websocket: boolean): string {
  const headers = req.headers;
  stripHopByHop(headers, websocket);
  delete headers.expect;
  const ip = clientAddress(req);
  const priorFor = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${ip}` : ip;
  headers['x-forwarded-proto'] = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  headers['x-forwarded-host'] = headers.host ?? '';
  headers['x-real-ip'] = ip;
  const requestId = requestIdOf(req);
  headers[REQUEST_ID_HEADER] = requestId;
  return requestId;
}

/** The client's X-Request-Id when it sent a sane one, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && /^[\x21-\x7e]{1,200}$/.test(given) ? given : randomUUID();
}

/** Methods Node's client sends without a body unless told otherwise (no chunked default). */
const NO_BODY_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * Sets the framing of the forwarded body: exactly one of Content-Length and
 * Transfer-Encoding: chunked, never both. An empty body gets `Content-Length: 0` where a
 * body is expected (POST, PUT, PATCH...) and no framing header where none is.
 */
export function setBodyFraming(
  headers: IncomingHttpHeaders,
  method: string | undefined,
  outgoing: { contentLength: number } | { chunked: true },
): void {
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  if ('chunked' in outgoing) headers['transfer-encoding'] = 'chunked';
  else if (outgoing.contentLength > 0 || !NO_BODY_BY_DEFAULT.has((method ?? 'GET').toUpperCase())) {
    headers['content-length'] = String(outgoing.contentLength);
  }
}

export function isIdempotent(method: string | undefined): boolean {
  return ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'].includes((method ?? 'GET').toUpperCase());
}
