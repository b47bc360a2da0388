import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { formatListenAddress } from '../config/index.ts';
import type { BalancerConfig, HttpListenerConfig, ListenAddress } from '../config/types.ts';
import { CertificateStore, defaultContextOptions } from './certificate-store.ts';
import { closeServer, listen } from './listen.ts';
import { redirectToHttps } from './redirect.ts';

/** What an http listener hands its traffic to (the balancer's request path). */
export interface HttpTraffic {
  request(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): void;
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  clientError(err: Error & { code?: string }, socket: Duplex): void;
}

/**
 * One L7 listener: plain HTTP, or HTTPS with SNI (and an optional plain listener beside it that
 * redirects to https). Every http listener serves the same routes.
 */
export class HttpListener {
  readonly server: http.Server;
  private readonly redirect: http.Server | undefined;
  private readonly certificates: CertificateStore | undefined;
  private bound: ListenAddress | undefined;
  private redirectBound: ListenAddress | undefined;

  constructor(
    private config: HttpListenerConfig,
    balancer: BalancerConfig,
    traffic: HttpTraffic,
  ) {
    const { clientHeaders, clientRequest } = balancer.timeouts;
    const options: http.ServerOptions = {
      keepAliveTimeout: 5000,
      headersTimeout: clientHeaders,
      requestTimeout: clientRequest,
      // Node checks both timeouts on this interval (default 30 s, which would let a
      // slow client hold a connection for up to 30 s past its deadline).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(clientHeaders / 4))),
      maxHeaderSize: balancer.limits.maxHeaderSize,
    };
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) =>
      traffic.request(req, res, false);
    if (config.tls) {
      this.certificates = new CertificateStore(config.tls);
      this.server = https.createServer(
        { ...options, ...defaultContextOptions(config.tls), SNICallback: this.certificates.sniCallback },
        onRequest,
      );
      // A failed handshake (a plain-HTTP client, a bad SNI) is the client's business, not an error here.
      this.server.on('tlsClientError', (_err, socket) => socket.destroy());
    } else {
      this.server = http.createServer(options, onRequest);
    }
    // Without this listener Node answers 100 Continue by itself, even to a body it will refuse.
    this.server.on('checkContinue', (req, res) => traffic.request(req, res, true));
    this.server.on('upgrade', (req, socket, head) => traffic.upgrade(req, socket, head));
    this.server.on('clientError', (err, socket) => traffic.clientError(err, socket));
    if (config.tls && config.redirectHttp) {
      // Its handler comes with the TLS listener's port, once that is bound (listen()).
      this.redirect = http.createServer({ ...options });
      this.redirect.on('clientError', (_err, socket) => socket.destroy());
    }
    this.apply(config, balancer);
  }

  get name(): string {
    return this.config.name;
  }

  async listen(address: ListenAddress = this.config.listen): Promise<void> {
    const what = `${this.config.tls ? 'HTTPS' : 'HTTP'} traffic (listener ${this.config.name})`;
    this.bound = await listen(this.server, address, what);
    if (this.redirect && this.config.redirectHttp) {
      this.redirect.on('request', redirectToHttps(this.bound.port));
      try {
        this.redirectBound = await listen(
          this.redirect,
          this.config.redirectHttp,
          `the https redirect of ${this.config.name}`,
        );
      } catch (err) {
        await closeServer(this.server);
        throw err;
      }
    }
  }

  /** Where it listens (after `listen`); a cluster's primary is told its workers' address instead. */
  get address(): ListenAddress | undefined {
    return this.bound;
  }

  /** Where a cluster's workers listen for it, by the names Balancer.listenerAddresses uses. */
  assign(addresses: Readonly<Record<string, ListenAddress>>): void {
    this.bound = addresses[this.config.name];
    this.redirectBound = addresses[`${this.config.name}/redirect`];
  }

  get redirectAddress(): ListenAddress | undefined {
    return this.redirectBound;
  }

  url(address = this.bound ?? this.config.listen): string {
    return `${this.config.tls ? 'https' : 'http'}://${formatListenAddress(address)}`;
  }

  /** A reload's settings: client timeouts, the connection cap and, with TLS, the certificates. */
  apply(config: HttpListenerConfig, balancer: BalancerConfig): void {
    this.config = config;
    const { clientHeaders, clientRequest, idle } = balancer.timeouts;
    for (const server of this.redirect ? [this.server, this.redirect] : [this.server]) {
      server.headersTimeout = clientHeaders;
      server.requestTimeout = clientRequest;
      server.timeout = idle;
      // Beyond it Node closes new connections at once, before reading a byte.
      server.maxConnections = balancer.limits.maxConnections;
    }
    if (config.tls && this.certificates) {
      this.certificates.update(config.tls);
      (this.server as https.Server).setSecureContext(defaultContextOptions(config.tls));
    }
  }

  /** Stops accepting; idle keep-alive connections close now. Resolves once every connection is gone. */
  stopAccepting(): Promise<void> {
    const closed = Promise.all([
      closeServer(this.server),
      this.redirect ? closeServer(this.redirect) : undefined,
    ]);
    this.server.closeIdleConnections();
    this.redirect?.closeAllConnections();
    return closed.then(() => {});
  }

  closeAllConnections(): void {
    this.server.closeAllConnections();
  }
}
