import type { RouteConfig } from './config/types.ts';

interface CompiledRoute {
  route: RouteConfig;
  hostRank: number;
  matchesHost: (host: string) => boolean;
}

/** Strips the port and lower-cases; handles `[::1]:8080`. */
export function hostWithoutPort(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function pathMatches(prefix: string, path: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return path.startsWith(base);
}

/**
 * L7 routing by host and path prefix. The most specific route wins: exact host over
 * `*.suffix` over `*`, then the longest path prefix. Order in the config breaks ties.
 */
export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly RouteConfig[]) {
    this.routes = routes
      .map((route) => {
        const host = route.host.toLowerCase();
        if (host === '*') return { route, hostRank: 0, matchesHost: () => true };
        if (host.startsWith('*.')) {
          const suffix = host.slice(1);
          return {
            route,
            hostRank: 1,
            matchesHost: (h: string) => h.endsWith(suffix) && h.length > suffix.length,
          };
        }
        return { route, hostRank: 2, matchesHost: (h: string) => h === host };
      })
      .map((compiled, order) => ({ ...compiled, order }))
      .sort(
        (a, b) => b.hostRank - a.hostRank || b.route.path.length - a.route.path.length || a.order - b.order,
      );
  }

  match(hostHeader: string | undefined, url: string | undefined): RouteConfig | undefined {
    const host = hostWithoutPort(hostHeader);
    const rawPath = (url ?? '/').split('?')[0] ?? '/';
    const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
    return this.routes.find((r) => r.matchesHost(host) && pathMatches(r.route.path, path))?.route;
  }
}
