import net, { type AddressInfo } from 'node:net';
import { formatHostPort } from './address.ts';
import { type HostPort, ProxyConnection } from './connection.ts';
import { ToxicProxyError } from './errors.ts';
import { toxicTypes } from './registry.ts';
import type { ToxicInfo, ToxicType } from './toxic.ts';

export interface ProxyInfo {
  name: string;
  /** The address actually listened on, "127.0.0.1:port" (the real port when 0 was asked for). */
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicInfo[];
}

/**
 * One proxy: a listener, and for each accepted connection a connection to `upstream` with the
 * proxy's toxics applied. Disabled ("down"): not listening, no connections; enabled again, it
 * listens on the same port.
 */
export class ToxicProxy {
  private server: net.Server | undefined;
  private readonly connections = new Set<ProxyConnection>();
  private readonly toxics = new Map<string, { info: ToxicInfo; type: ToxicType }>();
  private enabled = false;

  constructor(
    readonly name: string,
    private listen: HostPort,
    private upstream: HostPort,
  ) {}

  /** Open connections (for tests and status). */
  get connectionCount(): number {
    return this.connections.size;
  }

  info(): ProxyInfo {
    return {
      name: this.name,
      listen: formatHostPort(this.listen),
      upstream: formatHostPort(this.upstream),
      enabled: this.enabled,
      toxics: this.toxicList(),
    };
  }

  /** Upstream toxics first, then downstream, each in the order they apply (as Toxiproxy lists them). */
  toxicList(): ToxicInfo[] {
    const all = [...this.toxics.values()].map((t) => structuredClone(t.info));
    return [...all.filter((t) => t.stream === 'upstream'), ...all.filter((t) => t.stream === 'downstream')];
  }

  /** Same listen address (a port of 0 matches any port) and same upstream. */
  matches(listen: HostPort, upstream: HostPort): boolean {
    return sameAddress(this.listen, listen) && sameAddress(this.upstream, upstream);
  }

  /**
   * Toxiproxy's proxy update: a new listen address or upstream stops the proxy (its connections
   * are cut) and starts it again there when it is to be enabled. Should the new address fail to
   * listen, the proxy goes back to where it was, as it was, and the error is thrown.
   */
  async update(listen: HostPort, upstream: HostPort, enabled: boolean): Promise<void> {
    if (this.matches(listen, upstream)) {
      await this.setEnabled(enabled);
      return;
    }
    const before = { listen: this.listen, upstream: this.upstream, enabled: this.enabled };
    await this.stopListening();
    this.listen = listen;
    this.upstream = upstream;
    try {
      if (enabled) await this.startListening();
      else await this.reservePort();
    } catch (err) {
      this.listen = before.listen;
      this.upstream = before.upstream;
      if (before.enabled) await this.startListening().catch(() => {});
      throw err;
    }
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled && !this.enabled) await this.startListening();
    else if (!enabled && this.enabled) await this.stopListening();
  }

  /** Makes sure a port is known without listening (a proxy created disabled on port 0). */
  async reservePort(): Promise<void> {
    if (this.listen.port !== 0) return;
    await this.startListening();
    await this.stopListening();
  }

  addToxic(info: ToxicInfo): ToxicInfo {
    if (this.toxics.has(info.name)) {
      throw new ToxicProxyError(
        'toxic_exists',
        `toxic already exists: proxy ${this.name} already has a toxic named ${info.name}`,
      );
    }
    const type = toxicTypes.get(info.type);
    if (!type) throw new ToxicProxyError('unknown_toxic_type', `unknown toxic type ${info.type}`);
    const entry = { info: structuredClone(info), type };
    this.toxics.set(info.name, entry);
    for (const connection of this.connections) connection.addToxic(entry.info, type);
    return structuredClone(entry.info);
  }

  toxic(name: string): ToxicInfo | undefined {
    const entry = this.toxics.get(name);
    return entry && structuredClone(entry.info);
  }

  /** Replaces a toxic's settings, on the proxy and on its open connections (rolled again there). */
  updateToxic(info: ToxicInfo): ToxicInfo {
    const entry = this.toxics.get(info.name);
    if (!entry) throw new ToxicProxyError('toxic_not_found', `toxic not found: ${info.name}`);
    entry.info = structuredClone(info);
    for (const connection of this.connections) connection.updateToxic(entry.info, entry.type);
    return structuredClone(entry.info);
  }

  /** False when there is no such toxic. */
  removeToxic(name: string): boolean {
    const entry = this.toxics.get(name);
    if (!entry) return false;
    this.toxics.delete(name);
    for (const connection of this.connections) connection.removeToxic(entry.info);
    return true;
  }

  removeAllToxics(): void {
    for (const name of [...this.toxics.keys()]) this.removeToxic(name);
  }

  async close(): Promise<void> {
    await this.stopListening();
  }

  private startListening(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      const connection = new ProxyConnection(socket, this.upstream, this.toxics.values(), (c) =>
        this.connections.delete(c),
      );
      this.connections.add(connection);
    });
    return new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const where = formatHostPort(this.listen);
        reject(
          err.code === 'EADDRINUSE'
            ? new ToxicProxyError('address_in_use', `proxy ${this.name}: ${where} is already in use`, {
                cause: err,
              })
            : new ToxicProxyError(
                'listen_failed',
                `proxy ${this.name}: cannot listen on ${where}: ${err.message}`,
                {
                  cause: err,
                },
              ),
        );
      });
      server.listen(this.listen.port, this.listen.host, () => {
        server.removeAllListeners('error');
        server.on('error', () => {}); // after listening, errors belong to single connections
        this.listen = { host: this.listen.host, port: (server.address() as AddressInfo).port };
        this.server = server;
        this.enabled = true;
        resolve();
      });
    });
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.enabled = false;
    for (const connection of this.connections) connection.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function sameAddress(current: HostPort, wanted: HostPort): boolean {
  return (
    current.host.toLowerCase() === wanted.host.toLowerCase() &&
    (wanted.port === 0 || current.port === wanted.port)
  );
}
