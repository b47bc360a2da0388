import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

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

/** Removes hop-by-hop headers, including any the Connection header names. Mutates `headers`. */
export function stripHopByHop(headers: IncomingHttpHeaders, keepUpgrade = false): void {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named]) {
    if (keepUpgrade && (name === 'upgrade' || name === 'connection')) continue;
    delete headers[name];
  }
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
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = headers.host ?? '';
  headers['x-real-ip'] = ip;
  const requestId =
    typeof headers[REQUEST_ID_HEADER] === 'string' ? headers[REQUEST_ID_HEADER] : randomUUID();
  headers[REQUEST_ID_HEADER] = requestId;
  return requestId;
}

export function isIdempotent(method: string | undefined): boolean {
  return ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'].includes((method ?? 'GET').toUpperCase());
}
