import { z } from 'zod';
import {
  bool,
  describe,
  duration,
  int,
  mapping,
  oneOf,
  percent,
  ratio,
  statusRange,
  text,
} from './fields.ts';
import { ALGORITHM_NAMES } from './types.ts';

const NAME = { pattern: /^[A-Za-z0-9_.-]+$/, says: 'may contain only letters, digits, "_", "." and "-"' };

const listen = () =>
  z
    .any()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      ctx.addIssue({ code: 'custom', message: `must be "host:port" or a port number (got ${describe(v)})` });
      return z.NEVER;
    })
    .optional();

const timeouts = mapping({ connect: duration(), responseHeaders: duration(), idle: duration() }).optional();

const server = mapping({
  name: text(NAME),
  url: text(),
  weight: int(1, 1000),
  backup: bool(),
  maxConnections: int(0, 1_000_000),
});

const health = z.preprocess(
  (v) => (v === false ? null : v),
  mapping({
    type: oneOf(['http', 'tcp'] as const),
    path: text({ pattern: /^\//, says: 'must start with "/"' }),
    expectStatus: statusRange(),
    interval: duration(),
    fastInterval: duration(),
    timeout: duration(),
    rise: int(1, 100),
    fall: int(1, 100),
  })
    .nullable()
    .optional(),
);

const hashKey = mapping({
  key: oneOf(['client-ip', 'header', 'cookie'] as const),
  name: text({ pattern: /^[A-Za-z0-9_.!#$%&'*+^`|~-]+$/, says: 'must be a header or cookie name' }),
});

const pool = mapping({
  algorithm: oneOf(ALGORITHM_NAMES),
  hash: hashKey.optional(),
  servers: z.array(server, { error: (iss) => `must be a list of servers (got ${describe(iss.input)})` }),
  health,
  retries: int(0, 10),
  retry: mapping({
    retries: int(0, 10),
    budgetPercent: percent(),
    minRetriesPerSecond: int(0, 100_000),
  }).optional(),
  outlier: mapping({
    consecutive5xx: int(0, 1000),
    consecutiveGatewayFailures: int(0, 1000),
    baseEjectionTime: duration(),
    maxEjectionTime: duration(),
    maxEjectionPercent: percent(),
  }).optional(),
  breaker: mapping({
    enabled: bool(),
    failureRatio: ratio(),
    minRequests: int(1, 1_000_000),
    window: duration(),
    cooldown: duration(),
  }).optional(),
  queue: mapping({ size: int(0, 1_000_000), timeout: duration() }).optional(),
  timeouts,
});

const route = mapping({
  host: text({ pattern: /^(\*|(\*\.)?[A-Za-z0-9.-]+)$/, says: 'must be "*", a host name, or "*.suffix"' }),
  path: text({ pattern: /^\//, says: 'must start with "/"' }),
  pool: text(),
});

export const rawConfigSchema = mapping({
  listen: listen(),
  admin: mapping({ listen: listen(), token: z.any().optional() }).optional(),
  timeouts,
  shutdownTimeout: duration(),
  pools: z.record(z.string(), pool, {
    error: (iss) =>
      iss.input === undefined
        ? 'is required: a mapping of pool names to pools'
        : `must be a mapping of pool names to pools (got ${describe(iss.input)})`,
  }),
  routes: z
    .array(route, { error: (iss) => `must be a list of routes (got ${describe(iss.input)})` })
    .optional(),
});

export type ParsedRawConfig = z.output<typeof rawConfigSchema>;
export type ParsedPool = z.output<typeof pool>;

/** The config as a program may write it (durations as strings or ms, defaults optional). */
export type RawBalancerConfig = z.input<typeof rawConfigSchema> & Record<string, unknown>;
