import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Segment } from '../../core/validation/messages.ts';
import { type BuildContext, readConfigFile } from './context.ts';
import { DEFAULTS } from './defaults.ts';
import { checkListenAddress, formatListenAddress } from './listen-address.ts';
import type { ParsedConfig } from './schema.ts';
import type { ListenAddress, ListenerConfig, PoolConfig, TlsCertificate, TlsConfig } from './types.ts';

type RawTls = NonNullable<ParsedConfig['tls']>;
type RawListener = NonNullable<ParsedConfig['listeners']>[number];

/** A listen address field; a problem (and a placeholder) when it is not one. */
export function address(
  value: unknown,
  fallback: string | undefined,
  at: Segment[],
  ctx: BuildContext,
): ListenAddress {
  if ((value === undefined || value === null) && fallback === undefined) {
    ctx.problem(at, 'is required, e.g. listen: "127.0.0.1:5433"');
    return { host: '127.0.0.1', port: 0 };
  }
  const parsed = checkListenAddress(value === undefined || value === null ? fallback : value);
  if (typeof parsed === 'string') {
    ctx.problem(at, parsed);
    return { host: '127.0.0.1', port: 0 };
  }
  return parsed;
}

/**
 * The listeners: `listeners:` as written, or the shorthand `listen` (+ `tls`) for one http
 * listener. Checks each against the pools: a tcp listener names a tcp pool, every pool is
 * reachable through a listener of its mode, and no two listeners share an address.
 */
export function buildListeners(
  raw: ParsedConfig,
  pools: Record<string, PoolConfig>,
  ctx: BuildContext,
): ListenerConfig[] {
  let listeners: ListenerConfig[];
  if (raw.listeners !== undefined) {
    if (raw.listen !== undefined || raw.tls !== undefined) {
      ctx.problem(
        [raw.listen !== undefined ? 'listen' : 'tls'],
        'set either listen (with tls) for one http listener, or listeners, not both: add it to listeners',
      );
    }
    if (raw.listeners.length === 0)
      ctx.problem(['listeners'], 'needs at least one listener (or leave listeners out)');
    listeners = raw.listeners.map((l, i) => buildListener(l, i, pools, ctx));
  } else {
    const tls = raw.tls === undefined ? undefined : buildTls(raw.tls, ['tls'], ctx);
    listeners = [
      {
        name: tls ? 'https' : 'http',
        mode: 'http',
        listen: address(raw.listen, DEFAULTS.listen, ['listen'], ctx),
        tls: tls?.tls,
        redirectHttp: tls?.redirectHttp,
      },
    ];
  }
  checkReachable(raw, listeners, pools, ctx);
  checkDistinct(raw, listeners, ctx);
  return listeners;
}

function buildListener(
  raw: RawListener,
  i: number,
  pools: Record<string, PoolConfig>,
  ctx: BuildContext,
): ListenerConfig {
  const at = (field?: string): Segment[] => (field ? ['listeners', i, field] : ['listeners', i]);
  const mode = raw.mode ?? 'http';
  const name = raw.name ?? `${mode}-${i}`;
  const listen = address(raw.listen, undefined, at('listen'), ctx);
  if (mode === 'http') {
    for (const field of ['pool', 'maxConnections', 'idleTimeout'] as const) {
      if (raw[field] !== undefined) {
        ctx.problem(
          at(field),
          `applies only to mode tcp (an http listener routes by host and path; its limits are under limits and timeouts)`,
        );
      }
    }
    const tls = raw.tls === undefined ? undefined : buildTls(raw.tls, at('tls'), ctx);
    return { name, mode, listen, tls: tls?.tls, redirectHttp: tls?.redirectHttp };
  }
  if (raw.tls !== undefined) {
    ctx.problem(
      at('tls'),
      'applies only to mode http: a tcp listener relays bytes as they come (TLS from clients passes through to the servers)',
    );
  }
  const tcpPools = Object.values(pools)
    .filter((p) => p.mode === 'tcp')
    .map((p) => p.name);
  const known = tcpPools.join(', ') || 'none';
  if (raw.pool === undefined) {
    if (!ctx.broken(at('pool')))
      ctx.problem(at('pool'), `is required for mode tcp: the pool it balances (tcp pools: ${known})`);
  } else if (!pools[raw.pool]) {
    if (!ctx.rejected(['pools']))
      ctx.problem(at('pool'), `names pool "${raw.pool}", which does not exist (tcp pools: ${known})`);
  } else if (pools[raw.pool]?.mode !== 'tcp') {
    ctx.problem(
      at('pool'),
      `names pool "${raw.pool}", which balances HTTP requests: a tcp listener needs a pool with mode: tcp (tcp pools: ${known})`,
    );
  }
  return {
    name,
    mode,
    listen,
    pool: raw.pool ?? '',
    maxConnections: raw.maxConnections ?? DEFAULTS.tcpListener.maxConnections,
    idleTimeout: raw.idleTimeout ?? DEFAULTS.tcpListener.idleTimeout,
  };
}

function buildTls(
  raw: RawTls,
  at: Segment[],
  ctx: BuildContext,
): { tls: TlsConfig; redirectHttp: ListenAddress | undefined } {
  const given = raw.certificates ?? [];
  const shorthand = raw.cert !== undefined || raw.key !== undefined;
  if (shorthand && raw.certificates !== undefined) {
    ctx.problem([...at, 'cert'], 'set either cert and key (one certificate) or certificates, not both');
  }
  const entries: {
    cert?: string | undefined;
    key?: string | undefined;
    names?: string[] | undefined;
    at: Segment[];
  }[] = shorthand
    ? [{ cert: raw.cert, key: raw.key, at }]
    : given.map((c, i) => ({
        cert: c.cert,
        key: c.key,
        names: c.names?.filter((n): n is string => n !== undefined),
        at: [...at, 'certificates', i],
      }));
  if (entries.length === 0 && !ctx.broken([...at, 'certificates'])) {
    ctx.problem(at, 'needs a certificate: cert and key (PEM files), or certificates: [{ cert, key }, ...]');
  }
  const certificates = entries.flatMap((e) => {
    const loaded = loadCertificate(e, ctx);
    return loaded ? [loaded] : [];
  });
  const redirectHttp =
    raw.redirectHttp === undefined || raw.redirectHttp === null
      ? undefined
      : address(raw.redirectHttp, undefined, [...at, 'redirectHttp'], ctx);
  return { tls: { certificates, minVersion: raw.minVersion ?? DEFAULTS.tls.minVersion }, redirectHttp };
}

/** Reads a certificate and its key and checks that they belong together, as the listener will. */
function loadCertificate(
  entry: { cert?: string | undefined; key?: string | undefined; names?: string[] | undefined; at: Segment[] },
  ctx: BuildContext,
): TlsCertificate | undefined {
  for (const field of ['cert', 'key'] as const) {
    if (entry[field] === undefined && !ctx.broken([...entry.at, field])) {
      ctx.problem(
        [...entry.at, field],
        `is required: the ${field === 'cert' ? 'certificate' : 'private key'} PEM file`,
      );
    }
  }
  if (entry.cert === undefined || entry.key === undefined) return undefined;
  const cert = readConfigFile(ctx, [...entry.at, 'cert'], entry.cert);
  const key = readConfigFile(ctx, [...entry.at, 'key'], entry.key);
  if (!cert || !key) return undefined;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert.text);
  } catch (err) {
    ctx.problem([...entry.at, 'cert'], `${cert.path} is not a PEM certificate: ${(err as Error).message}`);
    return undefined;
  }
  try {
    createSecureContext({ cert: cert.text, key: key.text });
  } catch (err) {
    const why = /mismatch/i.test((err as Error).message)
      ? `does not belong to the certificate ${cert.path}`
      : `is not a usable private key (${(err as Error).message})`;
    ctx.problem([...entry.at, 'key'], `${key.path} ${why}`);
    return undefined;
  }
  const names = (entry.names ?? namesOf(x509)).map((n) => n.toLowerCase());
  if (names.length === 0) {
    ctx.problem(
      [...entry.at, 'cert'],
      `${cert.path} names no DNS host (no subjectAltName DNS entry or common name): give names: [host, ...]`,
    );
  }
  return { certFile: cert.path, keyFile: key.path, cert: cert.text, key: key.text, names };
}

/** DNS names of a certificate: its subjectAltName DNS entries, else its common name. */
function namesOf(x509: X509Certificate): string[] {
  const san = (x509.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  if (san.length > 0) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  return cn ? [cn] : [];
}

function checkReachable(
  raw: ParsedConfig,
  listeners: ListenerConfig[],
  pools: Record<string, PoolConfig>,
  ctx: BuildContext,
): void {
  const hasHttpListener = listeners.some((l) => l.mode === 'http');
  const tcpUsed = new Set(listeners.flatMap((l) => (l.mode === 'tcp' ? [l.pool] : [])));
  for (const pool of Object.values(pools)) {
    if (pool.mode === 'tcp' && !tcpUsed.has(pool.name) && !ctx.broken(['listeners'])) {
      ctx.problem(
        ['pools', pool.name, 'mode'],
        `tcp pool ${pool.name} is reached by no listener: add listeners: [{ mode: tcp, listen: "127.0.0.1:5433", pool: ${pool.name} }]`,
      );
    }
    if (pool.mode === 'http' && !hasHttpListener && raw.listeners !== undefined) {
      ctx.problem(
        ['pools', pool.name],
        `http pool ${pool.name} is reached by no listener: add an http listener to listeners`,
      );
    }
  }
  if (
    hasHttpListener &&
    raw.listeners !== undefined &&
    !Object.values(pools).some((p) => p.mode === 'http')
  ) {
    ctx.problem(
      ['listeners'],
      'an http listener needs an http pool to route to (every pool here has mode: tcp)',
    );
  }
}

function checkDistinct(raw: ParsedConfig, listeners: ListenerConfig[], ctx: BuildContext): void {
  const seenNames = new Map<string, number>();
  const seenAddresses = new Map<string, string>();
  listeners.forEach((l, i) => {
    const at: Segment[] = raw.listeners !== undefined ? ['listeners', i] : ['listen'];
    const earlier = seenNames.get(l.name);
    if (earlier !== undefined) {
      ctx.problem(
        [...at, 'name'],
        `"${l.name}" is already the name of listeners[${earlier}]: listener names must be unique`,
      );
    } else seenNames.set(l.name, i);
    const addresses: [ListenAddress, string][] = [[l.listen, `${l.name}`]];
    if (l.mode === 'http' && l.redirectHttp) addresses.push([l.redirectHttp, `${l.name}'s redirectHttp`]);
    for (const [a, what] of addresses) {
      if (a.port === 0) continue;
      const key = formatListenAddress(a);
      const other = seenAddresses.get(key);
      if (other)
        ctx.problem(at, `${what} listens on ${key}, as ${other} does: each listener needs its own address`);
      else seenAddresses.set(key, what);
    }
  });
}
