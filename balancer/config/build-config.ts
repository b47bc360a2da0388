import { formatDuration } from '../../core/duration.ts';
import { suggest } from '../../core/validation/messages.ts';
import { normaliseRequestTarget } from '../proxy/request-target.ts';
import { address, buildListeners } from './build-listeners.ts';
import { buildPool } from './build-pool.ts';
import { type BuildContext, defined, scope } from './context.ts';
import { DEFAULTS } from './defaults.ts';
import { formatListenAddress, isLoopback } from './listen-address.ts';
import { NAME_RULE, type ParsedConfig } from './schema.ts';
import type { AdminConfig, BalancerConfig, ClientTimeoutsConfig, PoolConfig, RouteConfig } from './types.ts';

/**
 * Turns the schema-checked raw config into the normalised one: fills every default and checks
 * the rules that involve more than one field.
 */
export function buildConfig(raw: ParsedConfig, ctx: BuildContext): BalancerConfig {
  const admin = buildAdmin(raw.admin, ctx);
  const { clientHeaders, clientRequest, ...poolTimeouts } = raw.timeouts ?? {};
  const timeouts = { ...DEFAULTS.timeouts, ...defined(poolTimeouts) };
  const clientTimeouts = buildClientTimeouts({ clientHeaders, clientRequest }, ctx);

  const pools: Record<string, PoolConfig> = {};
  if (raw.pools === undefined) {
    ctx.problem(
      ['pools'],
      'is required: a mapping of pool names to pools, e.g. pools: { web: { servers: [{ name: app1, url: "http://127.0.0.1:3001" }] } }',
    );
  } else if (Object.keys(raw.pools).length === 0) {
    ctx.problem(['pools'], 'needs at least one pool');
  }
  for (const [name, pool] of Object.entries(raw.pools ?? {})) {
    if (!NAME_RULE.pattern.test(name)) {
      ctx.problem(['pools', name], `pool name ${JSON.stringify(name)} ${NAME_RULE.says}`);
    }
    pools[name] = buildPool(name, pool, timeouts, scope(ctx, ['pools', name]));
  }

  return {
    listeners: buildListeners(raw, pools, ctx),
    admin,
    timeouts: { ...timeouts, ...clientTimeouts },
    limits: { ...DEFAULTS.limits, ...defined(raw.limits ?? {}) },
    shutdownTimeout: raw.shutdownTimeout ?? DEFAULTS.shutdownTimeout,
    workers: raw.workers ?? DEFAULTS.workers,
    pools,
    routes: buildRoutes(raw, pools, ctx),
  };
}

function buildClientTimeouts(
  raw: { clientHeaders?: number | undefined; clientRequest?: number | undefined },
  ctx: BuildContext,
): ClientTimeoutsConfig {
  const given = { ...DEFAULTS.clientTimeouts, ...defined(raw) };
  // Node refuses a headers timeout longer than the request timeout; say so in config terms.
  if (given.clientHeaders > given.clientRequest && !ctx.broken(['timeouts'])) {
    ctx.problem(
      ['timeouts', raw.clientHeaders !== undefined ? 'clientHeaders' : 'clientRequest'],
      `timeouts.clientHeaders (${formatDuration(given.clientHeaders)}) must not exceed timeouts.clientRequest (${formatDuration(given.clientRequest)}): the request timeout covers the headers too`,
    );
  }
  return given;
}

function buildAdmin(raw: ParsedConfig['admin'], ctx: BuildContext): AdminConfig {
  const listen = address(raw?.listen, DEFAULTS.admin.listen, ['admin', 'listen'], ctx);
  const given = raw?.token ?? '';
  let token: string | undefined;
  if (given.length > 0 && given.length < DEFAULTS.admin.tokenMinLength) {
    ctx.problem(
      ['admin', 'token'],
      `must be at least ${DEFAULTS.admin.tokenMinLength} characters (got ${given.length}): a short token is guessable`,
    );
  } else if (/[\s\p{Cc}]/u.test(given)) {
    ctx.problem(['admin', 'token'], 'must not contain spaces or control characters (it is sent in a header)');
  } else if (given.length > 0) token = given;
  if (given.length === 0 && !ctx.broken(['admin']) && !isLoopback(listen.host)) {
    ctx.problem(
      ['admin', 'listen'],
      `refusing to expose the admin API on ${formatListenAddress(listen)} without a token: an admin.listen address other than loopback (127.0.0.0/8, ::1, localhost) requires admin.token, e.g. token: \${FAULTLINE_ADMIN_TOKEN}`,
    );
  }
  return { listen, token };
}

function buildRoutes(raw: ParsedConfig, pools: Record<string, PoolConfig>, ctx: BuildContext): RouteConfig[] {
  // Routes reach http pools only: a tcp pool is reached through its tcp listener.
  const poolNames = Object.values(pools)
    .filter((p) => p.mode === 'http')
    .map((p) => p.name);
  const known = poolNames.join(', ') || 'none';
  if (raw.routes === undefined) {
    if (poolNames.length === 1) return [{ host: '*', path: '/', pool: poolNames[0] as string }];
    if (poolNames.length > 1 && !ctx.broken(['routes'])) {
      ctx.problem(
        ['routes'],
        `is required when there is more than one pool (pools: ${known}), e.g. routes: [{ host: "*", path: /, pool: ${poolNames[0]} }]`,
      );
    }
    return [];
  }
  if (raw.routes.length === 0) ctx.problem(['routes'], 'needs at least one route (or leave routes out)');
  const seen = new Map<string, number>();
  return raw.routes.map((r, i) => {
    const route = { host: (r.host ?? '*').toLowerCase(), path: r.path ?? '/', pool: r.pool ?? '' };
    if (r.pool === undefined) {
      if (!ctx.broken(['routes', i])) ctx.problem(['routes', i, 'pool'], `is required (pools: ${known})`);
    } else if (pools[r.pool]?.mode === 'tcp') {
      ctx.problem(
        ['routes', i, 'pool'],
        `names pool "${r.pool}", which has mode: tcp: HTTP requests go to http pools (${known}); a tcp pool is reached through a tcp listener`,
      );
    } else if (!poolNames.includes(r.pool) && !ctx.rejected(['pools'])) {
      ctx.problem(
        ['routes', i, 'pool'],
        `names pool "${r.pool}", which does not exist (pools: ${known})${suggest(r.pool, poolNames)}`,
      );
    }
    if (!ctx.broken(['routes', i, 'path'])) {
      const normal = normaliseRequestTarget(route.path);
      if (!normal.ok || normal.path !== route.path) {
        ctx.problem(
          ['routes', i, 'path'],
          normal.ok
            ? `must be a normalised path, as requests are matched after normalisation (got ${route.path}; use ${normal.path})`
            : `${normal.reason} (got ${route.path})`,
        );
      }
    }
    if (!ctx.broken(['routes', i])) {
      const key = `${route.host} ${route.path}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        ctx.problem(
          ['routes', i],
          `duplicates routes[${earlier}] (host ${route.host}, path ${route.path}): each host and path may appear once`,
        );
      } else seen.set(key, i);
    }
    return route;
  });
}
