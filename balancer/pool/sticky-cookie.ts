import { createHash } from 'node:crypto';
import { cookieValue } from '../../core/net/cookie.ts';
import type { StickyConfig } from '../config/types.ts';

/**
 * Session affinity by a cookie the balancer inserts (HAProxy `cookie … insert`). The value is a
 * digest of pool and server name: the same in every worker and after a restart or reload, and
 * it does not show backend names to clients.
 */
export class StickyCookie {
  private readonly serverOf = new Map<string, string>();
  private readonly valueOf = new Map<string, string>();

  constructor(
    private readonly pool: string,
    readonly config: StickyConfig,
    servers: readonly string[],
  ) {
    for (const name of servers) this.add(name);
  }

  add(server: string): void {
    const value = createHash('sha256').update(`${this.pool}/${server}`).digest('base64url').slice(0, 16);
    this.serverOf.set(value, server);
    this.valueOf.set(server, value);
  }

  remove(server: string): void {
    const value = this.valueOf.get(server);
    if (value !== undefined) this.serverOf.delete(value);
    this.valueOf.delete(server);
  }

  /** The server the request's cookie pins it to, if it names one of this pool's servers. */
  pinned(cookieHeader: string | undefined): string | undefined {
    const value = cookieValue(cookieHeader, this.config.cookie);
    return value === undefined ? undefined : this.serverOf.get(value);
  }

  /** The Set-Cookie value that pins a client to `server`. */
  setCookie(server: string): string {
    const c = this.config;
    const parts = [`${c.cookie}=${this.valueOf.get(server) ?? ''}`, `Path=${c.path}`];
    if (c.ttl > 0) parts.push(`Max-Age=${Math.max(1, Math.round(c.ttl / 1000))}`);
    if (c.domain !== undefined) parts.push(`Domain=${c.domain}`);
    if (c.secure) parts.push('Secure');
    if (c.httpOnly) parts.push('HttpOnly');
    parts.push(`SameSite=${c.sameSite[0]?.toUpperCase()}${c.sameSite.slice(1)}`);
    return parts.join('; ');
  }
}
