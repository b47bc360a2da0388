import type { ServerResponse } from 'node:http';
import { type ProxyErrorCode, proxyErrorStatus } from '../../core/errors.ts';
import { ERROR_HEADER, REQUEST_ID_HEADER } from './headers.ts';

const MESSAGES: Record<ProxyErrorCode, string> = {
  no_route: 'no route matches this host and path',
  no_healthy_server: 'no server in the pool is available',
  queue_full: 'every server is at its connection limit and the queue is full',
  queue_timeout: 'waited too long in the queue for a free server',
  upstream_connect_failed: 'could not connect to the backend',
  upstream_connect_timeout: 'timed out connecting to the backend',
  upstream_reset: 'the backend closed the connection before answering',
  upstream_header_timeout: 'the backend did not send response headers in time',
  upstream_idle_timeout: 'the backend stopped sending',
  retry_budget_exhausted: 'the backend failed and the retry budget is spent',
  shutting_down: 'the balancer is shutting down',
  bad_request: 'the request is not valid HTTP/1.1',
  bad_path: 'the request target is not a path the balancer forwards',
  request_timeout: 'the request was not received in time',
  body_too_large: 'the request body is larger than the balancer accepts',
  headers_too_large: 'the request headers are larger than the balancer accepts',
};

/** What a client may learn about a failure: names from the config, never addresses or errno text. */
export interface ErrorDetails {
  pool?: string;
  tried?: string[];
  requestId?: string;
}

export function errorBody(code: ProxyErrorCode, details: ErrorDetails = {}): string {
  const status = proxyErrorStatus[code];
  return JSON.stringify({ error: { code, status, message: MESSAGES[code], ...details } });
}

/** The balancer's own answer: a status and a JSON body that says what happened. */
export function sendProxyError(
  res: ServerResponse,
  code: ProxyErrorCode,
  details: ErrorDetails = {},
): number {
  const status = proxyErrorStatus[code];
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const body = errorBody(code, details);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    [ERROR_HEADER]: code,
    ...(details.requestId ? { [REQUEST_ID_HEADER]: details.requestId } : {}),
    ...(code === 'no_healthy_server' || code === 'queue_full' ? { 'retry-after': '1' } : {}),
  });
  res.end(body);
  return status;
}

/**
 * The same answer written straight to a socket whose request Node could not parse (no
 * ServerResponse exists then). The connection is closed after it.
 */
export function rawErrorResponse(code: ProxyErrorCode, requestId: string): string {
  const status = proxyErrorStatus[code];
  const body = errorBody(code, { requestId });
  return [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    `${ERROR_HEADER}: ${code}`,
    `${REQUEST_ID_HEADER}: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};
