import { formatDuration } from '../../core/duration.ts';
import { type BuildContext, defined, readConfigFile } from './context.ts';
import { DEFAULTS } from './defaults.ts';
import type { ParsedPool } from './schema.ts';
import type {
  HashKeySource,
  HealthConfig,
  OutlierConfig,
  PoolConfig,
  ServerConfig,
  SlowStartConfig,
  StickyConfig,
  TimeoutsConfig,
  UpstreamTlsConfig,
} from './types.ts';

/** One pool: defaults filled in, rules across its fields checked (paths relative to the pool). */
export function buildPool(
  name: string,
  pool: ParsedPool,
  globalTimeouts: TimeoutsConfig,
  ctx: BuildContext,
): PoolConfig {
  const mode = pool.mode ?? 'http';
  const algorithm = pool.algorithm ?? (mode === 'tcp' ? DEFAULTS.tcpAlgorithm : DEFAULTS.algorithm);
  if (pool.retries !== undefined && pool.retry?.retries !== undefined) {
    ctx.problem(['retries'], 'set either retries or retry.retries, not both');
  }
  if (mode === 'tcp') checkTcpPool(pool, algorithm, ctx);
  else if (pool.drainTimeout !== undefined) {
    ctx.problem(['drainTimeout'], 'applies only to mode tcp (an http server drains as its requests finish)');
  }
  return {
    name,
    mode,
    algorithm,
    hashKey: buildHashKey(pool, algorithm, ctx),
    servers: buildServers(name, pool, mode, ctx),
    health: buildHealth(pool.health, ctx),
    outlier: buildOutlier(pool.outlier, ctx),
    breaker: { ...DEFAULTS.breaker, ...defined(pool.breaker ?? {}) },
    panicThreshold: pool.panicThreshold ?? DEFAULTS.panicThreshold,
    slowStart: buildSlowStart(pool, algorithm, ctx),
    sticky: buildSticky(pool.sticky, ctx),
    websocket: { ...DEFAULTS.websocket, ...defined(pool.websocket ?? {}) },
    retry: {
      ...DEFAULTS.retry,
      ...defined(pool.retry ?? {}),
      ...(pool.retries !== undefined ? { retries: pool.retries } : {}),
    },
    queue: { ...DEFAULTS.queue, ...defined(pool.queue ?? {}) },
    hedge: buildHedge(pool.hedge, ctx),
    timeouts: { ...globalTimeouts, ...defined(pool.timeouts ?? {}) },
    drainTimeout: pool.drainTimeout ?? DEFAULTS.drainTimeout,
    tls: buildUpstreamTls(pool.tls, ctx),
  };
}

/** Settings about HTTP requests mean nothing to a pool of TCP connections: named, not ignored. */
const HTTP_ONLY_POOL_FIELDS = ['hash', 'sticky', 'hedge', 'websocket', 'tls'] as const;

function checkTcpPool(pool: ParsedPool, algorithm: string, ctx: BuildContext): void {
  for (const field of HTTP_ONLY_POOL_FIELDS) {
    if (pool[field] !== undefined && pool[field] !== null) {
      ctx.problem([field], 'applies only to mode http (this pool balances TCP connections)');
    }
  }
  if (algorithm === 'latency' && !ctx.broken(['algorithm'])) {
    ctx.problem(
      ['algorithm'],
      'latency measures HTTP answers; a tcp pool balances connections (use least-connections, the default, or another)',
    );
  }
  if (pool.health?.type === 'http') {
    ctx.problem(['health', 'type'], 'must be tcp in a tcp pool (its servers do not speak HTTP)');
  }
}

function buildUpstreamTls(raw: ParsedPool['tls'], ctx: BuildContext): UpstreamTlsConfig {
  const ca = raw?.ca === undefined ? undefined : readConfigFile(ctx, ['tls', 'ca'], raw.ca);
  if (ca && !/-----BEGIN CERTIFICATE-----/.test(ca.text)) {
    ctx.problem(['tls', 'ca'], `${ca.path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  }
  return {
    ca: ca?.text,
    caFile: ca?.path,
    verify: raw?.verify ?? true,
    serverName: raw?.serverName,
  };
}

function buildServers(
  pool: string,
  raw: ParsedPool,
  mode: 'http' | 'tcp',
  ctx: BuildContext,
): ServerConfig[] {
  if (raw.servers === undefined) {
    ctx.problem(
      ['servers'],
      'is required: a list of servers, e.g. servers: [{ name: app1, url: "http://127.0.0.1:3001" }]',
    );
    return [];
  }
  if (raw.servers.length === 0) ctx.problem(['servers'], 'needs at least one server');
  const seen = new Map<string, number>();
  const servers = raw.servers.map((s, i): ServerConfig => {
    if (s.name === undefined) ctx.problem(['servers', i, 'name'], 'is required');
    else if (seen.has(s.name)) {
      ctx.problem(
        ['servers', i, 'name'],
        `"${s.name}" is already the name of servers[${seen.get(s.name)}]: server names must be unique in pool ${pool}`,
      );
    } else seen.set(s.name, i);
    if (s.url === undefined) {
      const example = mode === 'tcp' ? 'tcp://127.0.0.1:5432' : 'http://127.0.0.1:3001';
      ctx.problem(['servers', i, 'url'], `is required, e.g. url: ${example}`);
    } else if (mode === 'tcp' && !s.url.startsWith('tcp://')) {
      ctx.problem(['servers', i, 'url'], `must be tcp://host:port in a tcp pool (got ${s.url})`);
    } else if (mode === 'http' && s.url.startsWith('tcp://')) {
      ctx.problem(
        ['servers', i, 'url'],
        `tcp:// servers belong in a pool with mode: tcp (this pool balances HTTP requests; got ${s.url})`,
      );
    }
    return {
      name: s.name ?? `#${i}`,
      url: s.url ?? '',
      weight: s.weight ?? DEFAULTS.server.weight,
      backup: s.backup ?? DEFAULTS.server.backup,
      maxConnections: s.maxConnections ?? DEFAULTS.server.maxConnections,
    };
  });
  if (servers.length > 0 && servers.every((s) => s.backup)) {
    ctx.problem(
      ['servers'],
      'needs at least one primary server (one without backup: true): backups take traffic only when every primary is down',
    );
  }
  return servers;
}

function buildHashKey(pool: ParsedPool, algorithm: string, ctx: BuildContext): HashKeySource {
  const hash = pool.hash;
  if (!hash) return { ...DEFAULTS.hashKey };
  if (algorithm !== 'consistent-hash') {
    if (!ctx.broken(['algorithm'])) {
      ctx.problem(
        ['hash'],
        `applies only to algorithm consistent-hash (this pool uses ${algorithm}${algorithm === 'ip-hash' ? ', which always hashes the client IP' : ''})`,
      );
    }
    return { ...DEFAULTS.hashKey };
  }
  if (ctx.broken(['hash'])) return { ...DEFAULTS.hashKey };
  const key = hash.key ?? DEFAULTS.hashKey.from;
  if (key === 'client-ip') {
    if (hash.name !== undefined) ctx.problem(['hash', 'name'], 'is not used with key client-ip');
    return { from: key };
  }
  if (hash.name === undefined) {
    ctx.problem(['hash', 'name'], `is required with key ${key}: the ${key} name to hash, e.g. name: X-User`);
    return { ...DEFAULTS.hashKey };
  }
  return { from: key, name: hash.name };
}

function buildHealth(health: ParsedPool['health'], ctx: BuildContext): HealthConfig | null {
  if (!health) return null;
  const type = health.type;
  if (!type) {
    if (!ctx.broken(['health', 'type'])) ctx.problem(['health', 'type'], 'is required: http or tcp');
    return null;
  }
  const d = DEFAULTS.health;
  const interval = health.interval ?? d.interval;
  const timeout = health.timeout ?? Math.min(d.timeout, interval);
  const fastInterval =
    health.fastInterval ?? Math.min(interval, Math.max(Math.round(interval / 2), d.fastIntervalFloor));
  const timing = ['interval', 'timeout', 'fastInterval'].some((f) => ctx.broken(['health', f]));
  if (!timing && timeout > interval) {
    ctx.problem(
      ['health', 'timeout'],
      `must not exceed health.interval (${formatDuration(timeout)} > ${formatDuration(interval)}): otherwise checks overlap and the detection bound (fall × interval + timeout) no longer holds`,
    );
  }
  if (!timing && fastInterval > interval) {
    ctx.problem(
      ['health', 'fastInterval'],
      `must not exceed health.interval (${formatDuration(fastInterval)} > ${formatDuration(interval)})`,
    );
  }
  const common = {
    interval,
    fastInterval,
    timeout,
    rise: health.rise ?? d.rise,
    fall: health.fall ?? d.fall,
  };
  if (type === 'tcp') {
    for (const field of ['path', 'expectStatus'] as const) {
      if (health[field] !== undefined) {
        ctx.problem(['health', field], 'applies only to type http (this check is type tcp)');
      }
    }
    return { type, ...common };
  }
  return {
    type,
    path: health.path ?? d.path,
    expectStatus: health.expectStatus ?? { ...d.expectStatus },
    ...common,
  };
}

function buildOutlier(raw: ParsedPool['outlier'], ctx: BuildContext): OutlierConfig {
  const outlier: OutlierConfig = { ...DEFAULTS.outlier, ...defined(raw ?? {}) };
  if (outlier.maxEjectionTime < outlier.baseEjectionTime) {
    if (raw?.maxEjectionTime === undefined) outlier.maxEjectionTime = outlier.baseEjectionTime;
    else if (!ctx.broken(['outlier', 'baseEjectionTime'])) {
      ctx.problem(
        ['outlier', 'maxEjectionTime'],
        `must not be shorter than outlier.baseEjectionTime (${formatDuration(outlier.maxEjectionTime)} < ${formatDuration(outlier.baseEjectionTime)})`,
      );
    }
  }
  return outlier;
}

function buildHedge(raw: ParsedPool['hedge'], ctx: BuildContext): PoolConfig['hedge'] {
  const hedge = { ...DEFAULTS.hedge, ...defined(raw ?? {}) };
  if (hedge.floor > hedge.cap) {
    ctx.problem(
      ['hedge', 'floor'],
      `must not be longer than hedge.cap (${formatDuration(hedge.floor)} > ${formatDuration(hedge.cap)})`,
    );
  }
  return hedge;
}

/** Hash algorithms keep a key on its server: a ramp would move keys back and forth instead. */
const KEYED_ALGORITHMS: readonly string[] = ['ip-hash', 'consistent-hash'];

function buildSlowStart(pool: ParsedPool, algorithm: string, ctx: BuildContext): SlowStartConfig {
  const slowStart = { ...DEFAULTS.slowStart, ...defined(pool.slowStart ?? {}) };
  if (slowStart.window > 0 && KEYED_ALGORITHMS.includes(algorithm) && !ctx.broken(['algorithm'])) {
    ctx.problem(
      ['slowStart'],
      `does not apply to algorithm ${algorithm}: it keeps each key on its server, so a returning server takes its keys back at once (use a spreading algorithm such as weighted-round-robin or least-connections, or leave slowStart out)`,
    );
  }
  return slowStart;
}

function buildSticky(raw: ParsedPool['sticky'], ctx: BuildContext): StickyConfig | undefined {
  if (!raw) return undefined;
  const { domain, ...rest } = raw;
  const sticky: StickyConfig = { ...DEFAULTS.sticky, ...defined(rest), domain };
  if (sticky.sameSite === 'none' && !sticky.secure && !ctx.broken(['sticky'])) {
    ctx.problem(
      ['sticky', 'sameSite'],
      'none needs secure: true (browsers drop a SameSite=None cookie that is not Secure)',
    );
  }
  return sticky;
}
