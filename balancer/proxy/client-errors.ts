import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ProxyErrorCode } from '../../core/errors.ts';
import { proxyErrorStatus } from '../../core/errors.ts';
import type { RequestErrorLog } from './error-log.ts';
import { rawErrorResponse } from './error-response.ts';

/** Node's parser and timeout errors, mapped to the balancer's codes; anything else is a 400. */
const CODES: Record<string, ProxyErrorCode> = {
  HPE_HEADER_OVERFLOW: 'headers_too_large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
};

/**
 * The server's `clientError` handler: a request Node refused to parse (smuggling attempts,
 * bad chunk sizes, obs-fold, oversized headers) or did not receive in time. The client gets
 * the status and a small JSON body, then the connection is closed; the parser's reason goes to
 * the error log only.
 */
export function answerClientError(errors: RequestErrorLog) {
  return (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void => {
    const code = CODES[err.code ?? ''] ?? 'bad_request';
    const address = (socket as Duplex & { remoteAddress?: string }).remoteAddress ?? '';
    const requestId = randomUUID();
    errors.publish({
      code,
      requestId,
      status: proxyErrorStatus[code],
      client: address.startsWith('::ffff:') ? address.slice(7) : address,
      detail: `${err.code ?? 'error'}${err.reason ? `: ${err.reason}` : ''}`,
    });
    // A reset, or a response already begun on this socket (a body that broke mid-relay),
    // leaves nothing to answer: the connection is cut. A request whose body broke before any
    // answer (a bad chunk size) still gets its 400.
    const current = (socket as { _httpMessage?: { headersSent: boolean } | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawErrorResponse(code, requestId));
  };
}
