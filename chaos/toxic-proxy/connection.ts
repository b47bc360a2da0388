import net, { type Socket } from 'node:net';
import { cachedLookup, forgetHost } from '../../core/net/cached-lookup.ts';
import { Link } from './link.ts';
import type { ToxicInfo, ToxicType } from './toxic.ts';

/** After a toxic closes a connection with FIN, sockets still open this long are destroyed. */
const CLOSE_GRACE_MS = 1000;

export interface HostPort {
  host: string;
  port: number;
}

/** One accepted client connection, its upstream connection, and the two links between them. */
export class ProxyConnection {
  private readonly upstreamSocket: Socket;
  /** client → server */
  readonly upstream: Link;
  /** server → client */
  readonly downstream: Link;
  private open = 2;
  private finished = false;

  constructor(
    private readonly client: Socket,
    target: HostPort,
    toxics: Iterable<{ info: ToxicInfo; type: ToxicType }>,
    private readonly onGone: (c: ProxyConnection) => void,
  ) {
    this.upstreamSocket = net.connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      lookup: cachedLookup,
    });
    // The upstream may have come back elsewhere (a restarted container gets a new address).
    this.upstreamSocket.once('error', () => forgetHost(target.host));
    const control = { close: () => this.close(), reset: () => this.reset() };
    this.upstream = new Link(client, this.upstreamSocket, control);
    this.downstream = new Link(this.upstreamSocket, client, control);
    for (const socket of [client, this.upstreamSocket]) {
      socket.setNoDelay(true);
      // A socket error (refused, reset by a peer, ...) ends the whole connection; never thrown.
      socket.on('error', () => this.destroy());
      socket.once('close', () => {
        if (--this.open === 0) this.finish();
      });
    }
    for (const t of toxics) this.addToxic(t.info, t.type);
  }

  addToxic(info: ToxicInfo, type: ToxicType): void {
    this.linkOf(info).addToxic(info, type);
  }

  updateToxic(info: ToxicInfo, type: ToxicType): void {
    this.linkOf(info).updateToxic(info, type);
  }

  removeToxic(info: ToxicInfo): void {
    this.linkOf(info).removeToxic(info.name);
  }

  /** FIN both ways now; whatever toxics still hold is dropped. */
  close(): void {
    this.stopLinks();
    this.client.end();
    this.upstreamSocket.end();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** RST both ways. */
  reset(): void {
    this.stopLinks();
    for (const socket of [this.client, this.upstreamSocket]) {
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
  }

  destroy(): void {
    this.stopLinks();
    this.client.destroy();
    this.upstreamSocket.destroy();
  }

  private linkOf(info: ToxicInfo): Link {
    return info.stream === 'upstream' ? this.upstream : this.downstream;
  }

  private stopLinks(): void {
    this.upstream.stop();
    this.downstream.stop();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopLinks();
    this.onGone(this);
  }
}
