import { z } from 'zod';
import { describe } from '../../core/validation/messages.ts';
import {
  backendUrl,
  bool,
  byteSize,
  duration,
  int,
  mapping,
  number,
  oneOf,
  scalar,
  statusRange,
  text,
  textOrEmpty,
  workerCount,
} from './fields.ts';
import { ALGORITHM_NAMES } from './types.ts';

/**
 * The shape and single-field rules of the raw config. Every field is optional here: required
 * fields and rules that involve several fields are checked in build-config.ts / build-pool.ts,
 * so that all problems can be reported together.
 */

export const NAME_RULE = {
  pattern: /^[A-Za-z0-9_.-]+$/,
  says: 'may contain only letters, digits, "_", "." and "-"',
};
const TOKEN_CHARS = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const HOST_NAME_RULE = {
  pattern: /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
  says: 'must be a DNS name such as api.example.com',
};
const SNI_NAME_RULE = {
  pattern: /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
  says: 'must be a DNS name such as api.example.com or *.example.com',
};

const timeouts = mapping({
  connect: duration(1),
  responseHeaders: duration(1),
  idle: duration(1),
}).optional();

const server = mapping(
  {
    name: text(NAME_RULE),
    url: backendUrl(),
    weight: int(1, 1000),
    backup: bool(),
    maxConnections: int(0, 1_000_000),
  },
  'a mapping such as { name: app1, url: "http://127.0.0.1:3001" }',
);

const health = z.preprocess(
  (v) => (v === false ? null : v),
  mapping({
    type: oneOf(['http', 'tcp'] as const),
    path: text({ pattern: /^\/[^\s#]*$/, says: 'must start with "/" and contain no spaces or "#"' }),
    expectStatus: statusRange(),
    interval: duration(50),
    fastInterval: duration(50),
    timeout: duration(1),
    rise: int(1, 100),
    fall: int(1, 100),
  })
    .nullable()
    .optional(),
);

const hashKey = mapping({
  key: oneOf(['client-ip', 'header', 'cookie'] as const),
  name: text({ pattern: TOKEN_CHARS, says: 'must be a valid header or cookie name' }),
}).optional();

const list = <T extends z.ZodType>(item: T, noun: string) =>
  z.array(item, { error: (iss) => `must be a list of ${noun} (got ${describe(iss.input)})` }).optional();

const pool = mapping(
  {
    mode: oneOf(['http', 'tcp'] as const),
    algorithm: oneOf(ALGORITHM_NAMES),
    hash: hashKey,
    servers: list(server, 'servers'),
    health,
    retries: int(0, 10),
    retry: mapping({
      retries: int(0, 10),
      budgetPercent: number(0, 100),
      minRetriesPerSecond: int(0, 100_000),
    }).optional(),
    outlier: mapping({
      consecutive5xx: int(0, 1000),
      consecutiveGatewayFailures: int(0, 1000),
      baseEjectionTime: duration(1),
      maxEjectionTime: duration(1),
      maxEjectionPercent: number(0, 100),
    }).optional(),
    breaker: mapping({
      enabled: bool(),
      failureRatio: number(0, 1),
      minRequests: int(1, 1_000_000),
      window: duration(1),
      cooldown: duration(1),
    }).optional(),
    panicThreshold: number(0, 100),
    slowStart: z.preprocess(
      (v) => (typeof v === 'string' || typeof v === 'number' ? { window: v } : v),
      mapping({ window: duration(0), minPercent: number(1, 100) }).optional(),
    ),
    sticky: z.preprocess(
      (v) => (v === true ? {} : v === false ? null : v),
      mapping({
        cookie: text({ pattern: TOKEN_CHARS, says: 'must be a valid cookie name' }),
        ttl: duration(0),
        path: text({
          pattern: /^\/[\x21-\x3a\x3c-\x7e]*$/,
          says: 'must start with "/" and contain no spaces, ";" or control characters',
        }),
        domain: text({
          pattern: /^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/,
          says: 'must be a domain name such as example.com',
        }),
        secure: bool(),
        httpOnly: bool(),
        sameSite: oneOf(['strict', 'lax', 'none'] as const),
      })
        .nullable()
        .optional(),
    ),
    websocket: mapping({ handshakeTimeout: duration(1), idleTimeout: duration(1) }).optional(),
    queue: mapping({ size: int(0, 1_000_000), timeout: duration(1) }).optional(),
    hedge: mapping({
      enabled: bool(),
      floor: duration(1),
      cap: duration(1),
      factor: number(1, 100),
    }).optional(),
    timeouts,
    drainTimeout: duration(0),
    tls: mapping({ ca: text(), verify: bool(), serverName: text(HOST_NAME_RULE) }).optional(),
  },
  'a mapping of pool settings (servers, algorithm, health, ...)',
);

const certificate = mapping(
  { cert: text(), key: text(), names: list(text(SNI_NAME_RULE), 'DNS names') },
  'a mapping such as { cert: site.pem, key: site.key }',
);

const tls = mapping(
  {
    certificates: list(certificate, 'certificates'),
    cert: text(),
    key: text(),
    minVersion: oneOf(['TLSv1.2', 'TLSv1.3'] as const),
    redirectHttp: scalar(),
  },
  'a mapping such as { cert: site.pem, key: site.key }',
).optional();

const listener = mapping(
  {
    name: text(NAME_RULE),
    mode: oneOf(['http', 'tcp'] as const),
    listen: scalar(),
    tls,
    pool: text(),
    maxConnections: int(1, 1_000_000),
    idleTimeout: duration(1),
  },
  'a mapping such as { name: db, mode: tcp, listen: "127.0.0.1:5433", pool: db }',
);

const route = mapping(
  {
    host: text({
      pattern: /^(\*|(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])$/,
      says: 'must be "*", a host name, or "*.suffix"',
    }),
    path: text({ pattern: /^\/[^\s?#]*$/, says: 'must start with "/" and contain no spaces, "?" or "#"' }),
    pool: text(),
  },
  'a mapping such as { host: "*", path: /, pool: web }',
);

const globalTimeouts = mapping({
  connect: duration(1),
  responseHeaders: duration(1),
  idle: duration(1),
  clientHeaders: duration(1),
  clientRequest: duration(1),
}).optional();

const MiB = 1024 * 1024;
const limits = mapping({
  maxBodySize: byteSize(0, 1024 * MiB),
  oversizedBody: oneOf(['stream', 'reject'] as const),
  replayBufferBudget: byteSize(0, 64 * 1024 * MiB),
  maxHeaderSize: byteSize(1024, 1 * MiB),
  maxConnections: int(1, 1_000_000),
}).optional();

export const rawConfigSchema = mapping({
  listen: scalar(),
  tls,
  listeners: list(listener, 'listeners'),
  admin: mapping({ listen: scalar(), token: textOrEmpty() }).optional(),
  timeouts: globalTimeouts,
  limits,
  shutdownTimeout: duration(0),
  workers: workerCount(),
  pools: z
    .record(z.string(), pool, {
      error: (iss) => `must be a mapping of pool names to pools (got ${describe(iss.input)})`,
    })
    .optional(),
  routes: list(route, 'routes'),
});

export type ParsedConfig = z.output<typeof rawConfigSchema>;
export type ParsedPool = z.output<typeof pool>;
