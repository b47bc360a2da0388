import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import { now } from '../../core/clock.ts';
import type { ProxyErrorCode } from '../../core/errors.ts';
import type { BackendServer } from '../pool/backend-server.ts';
import type { Pool } from '../pool/pool.ts';
import { isConnectFailure } from './connect-errors.ts';
import { rawErrorResponse } from './error-response.ts';
import { clientAddress, prepareRequestHeaders } from './headers.ts';

/** Routes http-proxy-3's shared `proxyReqWs` event to the tunnel that owns the client socket. */
const handshakes = new WeakMap<Duplex, (proxyReq: ClientRequest) => void>();

export function attachTunnelRouting(proxy: ProxyServer): void {
  proxy.on('proxyReqWs', (proxyReq, _req, socket) => handshakes.get(socket)?.(proxyReq));
}

/** Bytes a client may send before its tunnel opens; beyond it, it is no longer read (backpressure). */
const EARLY_BYTES_LIMIT = 64 * 1024;

interface OpenTunnel {
  client: Socket;
  backend?: Socket;
}

/**
 * Upgraded connections (WebSocket tunnels), one try each: the handshake is not replayable.
 *
 * - Until the backend answers, it is a request like any other: it waits in the pool's queue
 *   while the pool is full (a client that leaves gives up its place), and a failure or
 *   `handshakeTimeout` counts against the server and is answered with a status line.
 * - Once the backend answered 101, the handshake is the verdict (a success) and the tunnel holds
 *   its connection slot until either side closes. What happens after (a side resets or dies,
 *   `idleTimeout`, graceful stop) closes both sides, writes nothing into the stream and is not
 *   held against the server.
 */
export class WebSocketTunnels {
  private readonly open = new Set<OpenTunnel>();

  constructor(
    private readonly proxy: ProxyServer,
    private readonly countProxyError: (pool: string, code: string) => void,
  ) {}

  /** Graceful stop's deadline: cuts every tunnel (and pending handshake), both sides. */
  closeAll(): void {
    for (const tunnel of this.open) {
      tunnel.backend?.destroy();
      tunnel.client.destroy();
    }
  }

  async handle(req: IncomingMessage, socket: Duplex, head: Buffer, pool: Pool): Promise<void> {
    // An http.Server hands upgrades a net.Socket, typed as a Duplex.
    const client = socket as Socket;
    const tunnel: OpenTunnel = { client };
    this.open.add(tunnel);
    client.once('close', () => this.open.delete(tunnel));
    const requestId = prepareRequestHeaders(req, true);
    const refuse = (code: ProxyErrorCode) => {
      this.countProxyError(pool.name, code);
      if (!client.writable) return void client.destroy();
      client.write(rawErrorResponse(code, requestId));
      client.destroySoon();
    };

    const stopWatching = watchForDeparture(client, head);
    const leaving = new AbortController();
    client.once('close', () => leaving.abort());
    const ctx = {
      clientIp: clientAddress(req),
      headers: req.headers,
      pinned: pool.sticky?.pinned(req.headers.cookie),
    };
    const acquired = await pool.acquire(ctx, [], () => leaving.signal);
    if (!acquired.ok) {
      stopWatching();
      if (acquired.code !== 'cancelled') refuse(acquired.code);
      return;
    }
    if (client.destroyed) {
      pool.release(acquired.server, 'aborted', 0);
      return;
    }
    this.connect(req, tunnel, pool, acquired.server, stopWatching, refuse);
  }

  private connect(
    req: IncomingMessage,
    tunnel: OpenTunnel,
    pool: Pool,
    server: BackendServer,
    stopWatching: () => void,
    refuse: (code: ProxyErrorCode) => void,
  ): void {
    const { client } = tunnel;
    const { handshakeTimeout, idleTimeout } = pool.config.websocket;
    const started = now();
    let phase: 'handshake' | 'answered' | 'open' | 'failed' = 'handshake';
    let proxyReq: ClientRequest | undefined;
    let released = false;
    const release = (outcome: 'gateway-failure' | 'aborted') => {
      if (released) return;
      released = true;
      pool.release(server, outcome, now() - started);
    };
    const answered = (next: 'answered' | 'open' | 'failed') => {
      phase = next;
      clearTimeout(timer);
      handshakes.delete(client);
      stopWatching();
    };
    const fail = (code: ProxyErrorCode) => {
      if (phase !== 'handshake') return;
      answered('failed');
      server.counters.failures++;
      release('gateway-failure');
      proxyReq?.destroy();
      refuse(code);
    };
    const timer = setTimeout(() => fail('upstream_header_timeout'), handshakeTimeout);
    client.once('close', () => {
      if (phase === 'handshake') {
        // The client left before the backend answered: no verdict on the server.
        answered('failed');
        proxyReq?.destroy();
      }
      release('aborted');
    });

    handshakes.set(client, (request) => {
      proxyReq = request;
      // Registered before http-proxy-3's own listeners, so these run first.
      request.once('upgrade', (_res: IncomingMessage, backend: Socket) => {
        if (phase !== 'handshake') return void backend.destroy();
        answered('open');
        tunnel.backend = backend;
        server.countResponse(101);
        pool.recordOutcome(server, 'success', now() - started);
        // Bytes either way pass through the client socket, so its inactivity is the tunnel's.
        client.setTimeout(idleTimeout);
        client.on('timeout', () => {
          backend.destroy();
          client.destroy();
        });
      });
      // Not an upgrade: http-proxy-3 relays the answer and closes; it is judged like a response.
      request.once('response', (res: IncomingMessage) => {
        if (phase !== 'handshake') return;
        answered('answered');
        const status = res.statusCode ?? 502;
        server.countResponse(status);
        pool.recordOutcome(server, status >= 500 ? 'http-5xx' : 'success', now() - started);
      });
    });

    // The watcher hands `head` back to the socket, in order with what came after it.
    this.proxy.ws(
      req,
      client,
      Buffer.alloc(0),
      {
        target: server.url,
        agent: false,
        xfwd: false,
        prependPath: false,
        ...(server.url.protocol === 'https:'
          ? { secure: pool.config.tls.verify, ca: pool.config.tls.ca }
          : {}),
      },
      (err: Error) => {
        if (phase === 'handshake') {
          const code = (err as NodeJS.ErrnoException).code ?? '';
          fail(isConnectFailure(code) ? 'upstream_connect_failed' : 'upstream_reset');
        } else if (phase !== 'failed') {
          // After the answer: never an HTTP response into the stream, never a verdict.
          tunnel.backend?.destroy();
          client.destroy();
        }
      },
    );
  }
}

/**
 * Until its tunnel opens nobody reads a client socket, so a client that leaves would go
 * unnoticed (an http.Server allows half-open sockets): read it meanwhile, keep what arrives for
 * the backend, and treat its end as leaving. Returns the function that hands the socket back,
 * paused, with `head` and the kept bytes in front, in the order they came.
 */
function watchForDeparture(client: Socket, head: Buffer): () => void {
  const early: Buffer[] = [head];
  let kept = 0;
  const keep = (chunk: Buffer) => {
    early.push(chunk);
    kept += chunk.length;
    if (kept >= EARLY_BYTES_LIMIT) client.pause();
  };
  const leave = () => client.destroy();
  client.on('data', keep);
  client.once('end', leave);
  let watching = true;
  return () => {
    if (!watching) return;
    watching = false;
    client.pause();
    client.off('data', keep);
    client.off('end', leave);
    if (client.destroyed) return;
    for (let chunk = client.read(); chunk !== null; chunk = client.read()) early.push(chunk as Buffer);
    const kept = Buffer.concat(early);
    if (kept.length > 0) client.unshift(kept);
  };
}
