import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Stream } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import type { ProxyErrorCode } from '../../core/errors.ts';
import type { TimeoutsConfig } from '../config/types.ts';
import type { BackendServer } from '../pool/backend-server.ts';

/**
 * `before-send`: the backend cannot have seen the request (no connection, or a stale keep-alive
 * socket it had already closed), so any method may go to another server. `after-send`: it may
 * have processed it, so only idempotent methods are retried.
 */
export type TryPhase = 'before-send' | 'after-send';

export type TryResult =
  | { kind: 'response'; proxyRes: IncomingMessage; proxyReq: ClientRequest }
  | { kind: 'failed'; code: ProxyErrorCode; phase: TryPhase; detail: string }
  | { kind: 'client-gone' };

interface TryState {
  onProxyReq: (proxyReq: ClientRequest, socket: Socket) => void;
}

/** Routes http-proxy-3's shared `proxyReq` event to the try that owns the body stream. */
const tries = new WeakMap<Stream, TryState>();

export function attachTryRouting(proxy: ProxyServer): void {
  proxy.on('proxyReq', (proxyReq, _req, _res, options, socket) => {
    const body = (options as { buffer?: Stream }).buffer;
    if (body) tries.get(body)?.onProxyReq(proxyReq, socket);
  });
}

/**
 * http-proxy-3's `deleteLength` pass rewrites a DELETE or OPTIONS without Content-Length to
 * `Content-Length: 0` and drops Transfer-Encoding, which would cut a chunked body. The forwarder
 * sets the body framing itself (setBodyFraming), so the pass goes.
 */
export function withoutDeleteLength(proxy: ProxyServer): void {
  const passes = (proxy as unknown as { webPasses: { name: string }[] }).webPasses;
  const at = passes.findIndex((pass) => pass.name === 'deleteLength');
  if (at !== -1) passes.splice(at, 1);
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
]);

/** One try of one request on one server, settled by response headers, an error, or a timeout. */
export function forwardOnce(
  proxy: ProxyServer,
  req: IncomingMessage,
  res: ServerResponse,
  server: BackendServer,
  body: Stream,
  timeouts: TimeoutsConfig,
): Promise<TryResult> {
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let reused = false;
    let proxyReq: ClientRequest | undefined;
    const timers: NodeJS.Timeout[] = [];

    const settle = (result: TryResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      tries.delete(body);
      res.off('close', onClientClose);
      if (result.kind !== 'response') proxyReq?.destroy();
      resolve(result);
    };
    const fail = (code: ProxyErrorCode, phase: TryPhase, detail: string) =>
      settle({ kind: 'failed', code, phase, detail });
    const onClientClose = () => {
      if (!res.writableFinished) settle({ kind: 'client-gone' });
    };
    res.on('close', onClientClose);

    tries.set(body, {
      onProxyReq: (request, socket) => {
        proxyReq = request;
        reused = request.reusedSocket;
        if (socket.connecting) {
          timers.push(
            setTimeout(
              () =>
                fail('upstream_connect_timeout', 'before-send', `no connection within ${timeouts.connect}ms`),
              timeouts.connect,
            ),
          );
          socket.once('connect', () => {
            connected = true;
            clearTimeout(timers.shift());
          });
        } else {
          connected = true;
        }
        request.once('finish', () => {
          timers.push(
            setTimeout(
              () =>
                fail(
                  'upstream_header_timeout',
                  'after-send',
                  `no response headers within ${timeouts.responseHeaders}ms`,
                ),
              timeouts.responseHeaders,
            ),
          );
        });
        request.once('response', (proxyRes: IncomingMessage) =>
          settle({ kind: 'response', proxyRes, proxyReq: request }),
        );
      },
    });

    proxy.web(
      req,
      res,
      {
        target: server.url,
        agent: server.agent,
        buffer: body,
        selfHandleResponse: true,
        xfwd: false,
        prependPath: false,
        // Forward req.url as it is: the forwarder normalised it and routed by it. Without this,
        // http-proxy-3 re-parses it with the WHATWG URL parser (dot segments, backslashes).
        toProxy: true,
      },
      (err: Error) => {
        // http-proxy-3 reports errors of the client's request here too (a body that broke off,
        // a bad chunk): those are not the backend's fault and must not count against it.
        if (req.errored || res.destroyed) {
          settle({ kind: 'client-gone' });
          return;
        }
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const detail = `${code || 'error'}: ${err.message}`;
        if (!connected || CONNECT_ERRORS.has(code)) fail('upstream_connect_failed', 'before-send', detail);
        else if (reused)
          fail('upstream_reset', 'before-send', `reused keep-alive connection closed: ${detail}`);
        else fail('upstream_reset', 'after-send', detail);
      },
    );
  });
}
