import type { ConfigIssue } from '../errors.ts';
import { DEFAULTS } from './defaults.ts';
import { isLoopback, parseListenAddress } from './listen-address.ts';
import type { ParsedPool, ParsedRawConfig } from './schema.ts';
import type {
  BalancerConfig,
  HashKeySource,
  HealthConfig,
  ListenAddress,
  PoolConfig,
  RouteConfig,
  ServerConfig,
  TimeoutsConfig,
} from './types.ts';

type Issue = Omit<ConfigIssue, 'line'> & { segments: (string | number)[] };

/** Turns the type-checked raw config into the normalised one, checking rules across fields. */
export function buildConfig(raw: ParsedRawConfig, issues: Issue[]): BalancerConfig {
  const problem = (segments: (string | number)[], message: string) =>
    issues.push({ segments, path: '', message });

  const address = (value: string | undefined, fallback: string, at: string[]): ListenAddress => {
    const parsed = parseListenAddress(value ?? fallback);
    if (typeof parsed === 'string') {
      problem(at, parsed);
      return { host: '127.0.0.1', port: 0 };
    }
    return parsed;
  };

  const listen = address(raw.listen, DEFAULTS.listen, ['listen']);
  const adminListen = address(raw.admin?.listen, DEFAULTS.adminListen, ['admin', 'listen']);
  let token: string | undefined;
  const rawToken = raw.admin?.token;
  if (rawToken !== undefined && rawToken !== null && rawToken !== '') {
    if (typeof rawToken !== 'string') problem(['admin', 'token'], 'must be a string');
    else if (rawToken.length < DEFAULTS.adminTokenMinLength) {
      problem(
        ['admin', 'token'],
        `must be at least ${DEFAULTS.adminTokenMinLength} characters (got ${rawToken.length})`,
      );
    } else token = rawToken;
  }
  if (!isLoopback(adminListen.host) && !token) {
    problem(
      ['admin', 'listen'],
      `refusing to expose the admin API on non-loopback address ${adminListen.host} without a token: set admin.token (e.g. token: \${FAULTLINE_ADMIN_TOKEN})`,
    );
  }

  const timeouts: TimeoutsConfig = { ...DEFAULTS.timeouts, ...defined(raw.timeouts ?? {}) };
  const pools: Record<string, PoolConfig> = {};
  for (const [name, pool] of Object.entries(raw.pools ?? {})) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      problem(['pools', name], 'pool names may contain only letters, digits, "_", "." and "-"');
    }
    pools[name] = buildPool(name, pool, timeouts, (segments, message) =>
      problem(['pools', name, ...segments], message),
    );
  }

  const routes = buildRoutes(raw.routes, Object.keys(pools), problem);
  return {
    listen,
    admin: { listen: adminListen, token },
    timeouts,
    shutdownTimeout: raw.shutdownTimeout ?? DEFAULTS.shutdownTimeout,
    pools,
    routes,
  };
}

function buildPool(
  name: string,
  pool: ParsedPool,
  globalTimeouts: TimeoutsConfig,
  problem: (segments: (string | number)[], message: string) => void,
): PoolConfig {
  const algorithm = pool.algorithm ?? DEFAULTS.algorithm;
  const servers: ServerConfig[] = [];
  const seen = new Set<string>();
  pool.servers.forEach((s, i) => {
    if (s.name === undefined) problem(['servers', i, 'name'], 'is required');
    else if (seen.has(s.name))
      problem(
        ['servers', i, 'name'],
        `"${s.name}" is already used in pool ${name}: server names must be unique`,
      );
    seen.add(s.name ?? '');
    const url = s.url === undefined ? undefined : checkUrl(s.url);
    if (s.url === undefined) problem(['servers', i, 'url'], 'is required');
    else if (typeof url === 'string') problem(['servers', i, 'url'], url);
    servers.push({
      name: s.name ?? `#${i}`,
      url: s.url ?? '',
      weight: s.weight ?? DEFAULTS.weight,
      backup: s.backup ?? false,
      maxConnections: s.maxConnections ?? DEFAULTS.maxConnections,
    });
  });
  if (pool.servers.length > 0 && servers.every((s) => s.backup)) {
    problem(['servers'], 'needs at least one primary server (one without backup: true)');
  } else if (pool.servers.length === 0) problem(['servers'], 'needs at least one server');

  if (pool.hash && algorithm !== 'consistent-hash') {
    problem(['hash'], `applies only to algorithm consistent-hash (this pool uses ${algorithm})`);
  }
  let hashKey: HashKeySource = { from: 'client-ip' };
  if (pool.hash) {
    const key = pool.hash.key ?? 'client-ip';
    if (key === 'client-ip') {
      if (pool.hash.name) problem(['hash', 'name'], 'is not used with key client-ip');
    } else if (!pool.hash.name) problem(['hash', 'name'], `is required with key ${key}`);
    else hashKey = { from: key, name: pool.hash.name };
  }

  if (pool.retries !== undefined && pool.retry?.retries !== undefined) {
    problem(['retries'], 'set either retries or retry.retries, not both');
  }
  return {
    name,
    algorithm,
    hashKey,
    servers,
    health: buildHealth(pool.health, problem),
    outlier: { ...DEFAULTS.outlier, ...defined(pool.outlier ?? {}) },
    breaker: { ...DEFAULTS.breaker, ...defined(pool.breaker ?? {}) },
    retry: {
      ...DEFAULTS.retry,
      ...defined(pool.retry ?? {}),
      ...(pool.retries !== undefined ? { retries: pool.retries } : {}),
    },
    queue: { ...DEFAULTS.queue, ...defined(pool.queue ?? {}) },
    timeouts: { ...globalTimeouts, ...defined(pool.timeouts ?? {}) },
  };
}

function buildHealth(
  health: ParsedPool['health'],
  problem: (segments: (string | number)[], message: string) => void,
): HealthConfig | null {
  if (!health) return null;
  const type = health.type;
  if (!type) {
    problem(['health', 'type'], 'is required: http or tcp');
    return null;
  }
  const interval = health.interval ?? DEFAULTS.health.interval;
  const timeout = health.timeout ?? Math.min(DEFAULTS.health.timeout, interval);
  const fastInterval = health.fastInterval ?? Math.min(interval, Math.max(Math.round(interval / 2), 100));
  if (interval < 50) problem(['health', 'interval'], `must be at least 50ms (got ${interval}ms)`);
  if (timeout > interval) {
    problem(
      ['health', 'timeout'],
      `must not exceed health.interval (${timeout}ms > ${interval}ms): detection time is bounded by fall × interval + timeout`,
    );
  }
  if (fastInterval > interval)
    problem(
      ['health', 'fastInterval'],
      `must not exceed health.interval (${fastInterval}ms > ${interval}ms)`,
    );
  const common = {
    interval,
    fastInterval,
    timeout,
    rise: health.rise ?? DEFAULTS.health.rise,
    fall: health.fall ?? DEFAULTS.health.fall,
  };
  if (type === 'tcp') {
    if (health.path !== undefined) problem(['health', 'path'], 'applies only to type http');
    if (health.expectStatus !== undefined) problem(['health', 'expectStatus'], 'applies only to type http');
    return { type, ...common };
  }
  return {
    type,
    path: health.path ?? DEFAULTS.health.path,
    expectStatus: health.expectStatus ?? { ...DEFAULTS.health.expectStatus },
    ...common,
  };
}

function buildRoutes(
  routes: ParsedRawConfig['routes'],
  poolNames: string[],
  problem: (segments: (string | number)[], message: string) => void,
): RouteConfig[] {
  if (!routes) {
    if (poolNames.length === 1) return [{ host: '*', path: '/', pool: poolNames[0] as string }];
    if (poolNames.length > 1)
      problem(['routes'], `is required when there is more than one pool (pools: ${poolNames.join(', ')})`);
    return [];
  }
  const seen = new Set<string>();
  return routes.map((r, i) => {
    const route = { host: r.host ?? '*', path: r.path ?? '/', pool: r.pool ?? '' };
    if (r.pool === undefined) problem(['routes', i, 'pool'], 'is required');
    else if (!poolNames.includes(r.pool)) {
      problem(
        ['routes', i, 'pool'],
        `names pool "${r.pool}", which does not exist (pools: ${poolNames.join(', ') || 'none'})`,
      );
    }
    const key = `${route.host.toLowerCase()} ${route.path}`;
    if (seen.has(key))
      problem(['routes', i], `duplicates an earlier route for host ${route.host} and path ${route.path}`);
    seen.add(key);
    return route;
  });
}

function checkUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL such as http://127.0.0.1:3001 (got ${JSON.stringify(value)})`;
  }
  if (url.protocol !== 'http:')
    return `must use http:// (got ${url.protocol}//; TLS to backends is not supported yet)`;
  if (url.pathname !== '/' || url.search || url.hash) {
    return `must not have a path, query or fragment: requests keep their own path (got ${JSON.stringify(value)})`;
  }
  if (url.username || url.password) return 'must not contain credentials';
  return url;
}

/** Drops undefined fields so they do not overwrite defaults in a spread. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
