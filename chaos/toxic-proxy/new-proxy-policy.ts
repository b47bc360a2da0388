import { isLoopbackHost } from '../../core/request-guard.ts';
import { formatHostPort, parseHostPort } from './address.ts';
import type { HostPort } from './connection.ts';
import { ToxicProxyError } from './errors.ts';

/**
 * Which proxies the control API may create. A proxy relays TCP from its listen address to its
 * upstream, so an open control API would be a relay to anywhere (upstream) or a way to expose a
 * loopback-only service on the network (listen). New proxies therefore connect only to loopback
 * or to an upstream the toxic proxy was started with, and listen only on loopback or on an
 * address it was started with, unless the operator said `allowRemote`.
 */
export class NewProxyPolicy {
  private readonly upstreams: Set<string>;
  private readonly listens: Set<string>;

  constructor(
    private readonly allowRemote: boolean,
    known: { upstreams: readonly string[]; listens: readonly string[] },
  ) {
    this.upstreams = new Set(known.upstreams.flatMap((a) => keyOf(a) ?? []));
    this.listens = new Set(known.listens.flatMap((a) => keyOf(a) ?? []));
  }

  /** Throws upstream_refused or listen_refused; malformed input is left to createProxy to name. */
  check(input: unknown): void {
    if (this.allowRemote || typeof input !== 'object' || input === null) return;
    const { upstream, listen } = input as { upstream?: unknown; listen?: unknown };
    const up = tryParse(upstream, 1);
    if (up && !isLoopbackHost(up.host) && !this.upstreams.has(key(up))) {
      throw new ToxicProxyError(
        'upstream_refused',
        `upstream ${formatHostPort(up)} refused: new proxies may connect only to loopback or to an ` +
          `upstream the toxic proxy was started with (${this.list(this.upstreams)}). ` +
          'Start it with --upstream <host:port> for that address, or --allow-remote.',
      );
    }
    const at = tryParse(listen, 0);
    if (at && !isLoopbackHost(at.host) && !this.listens.has(key(at))) {
      throw new ToxicProxyError(
        'listen_refused',
        `listen ${formatHostPort(at)} refused: new proxies may listen only on loopback or on an ` +
          `address the toxic proxy was started with (${this.list(this.listens)}). ` +
          'Start it with --allow-remote to listen elsewhere.',
      );
    }
  }

  private list(set: ReadonlySet<string>): string {
    return set.size > 0 ? [...set].join(', ') : 'none';
  }
}

function tryParse(value: unknown, minPort: number): HostPort | undefined {
  try {
    return parseHostPort(value, 'address', minPort);
  } catch {
    return undefined;
  }
}

function key(a: HostPort): string {
  return formatHostPort({ host: a.host.toLowerCase(), port: a.port });
}

function keyOf(address: string): string | undefined {
  const parsed = tryParse(address, 0);
  return parsed ? key(parsed) : undefined;
}
