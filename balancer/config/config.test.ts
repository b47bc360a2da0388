import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, FaultlineError } from '../../core/errors.ts';
import { type BalancerConfig, DEFAULTS, loadConfigFile, normalizeConfig, parseConfigText } from './index.ts';

const TOKEN = 'a-long-enough-token-123';

const FULL = `listen: 127.0.0.1:8080
admin: { listen: 127.0.0.1:9090, token: \${FAULTLINE_ADMIN_TOKEN} }
timeouts: { connect: 2s, responseHeaders: 15s, idle: 60s }
shutdownTimeout: 10s
pools:
  web:
    algorithm: weighted-round-robin
    servers:
      - { name: app1, url: http://127.0.0.1:3001, weight: 3 }
      - { name: app2, url: http://127.0.0.1:3002 }
      - { name: app3, url: http://127.0.0.1:3003, backup: true, maxConnections: 100 }
    health: { type: http, path: /health, expectStatus: 200-399, interval: 1s, fastInterval: 500ms, timeout: 500ms, rise: 2, fall: 2 }
    retries: 2
    retry: { budgetPercent: 20, minRetriesPerSecond: 10 }
    outlier: { consecutive5xx: 5, consecutiveGatewayFailures: 3, baseEjectionTime: 5s, maxEjectionTime: 60s, maxEjectionPercent: 50 }
    breaker: { enabled: true, failureRatio: 0.5, minRequests: 20, window: 10s, cooldown: 5s }
    panicThreshold: 40
    websocket: { handshakeTimeout: 5s, idleTimeout: 10m }
    queue: { size: 100, timeout: 5s }
    timeouts: { connect: 1s }
  sessions:
    algorithm: consistent-hash
    hash: { key: header, name: X-User }
    servers:
      - { name: s1, url: "http://[::1]:4001/" }
    health: { type: tcp, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }
    retry: { retries: 1, budgetPercent: 10, minRetriesPerSecond: 5 }
    breaker: { enabled: false }
routes:
  - { host: "*", path: /, pool: web }
  - { host: "*.Example.com", path: /sessions, pool: sessions }
`;

const NO_UPSTREAM_TLS = { ca: undefined, caFile: undefined, verify: true, serverName: undefined };

const httpListener = (host: string, port: number) => [
  { name: 'http', mode: 'http' as const, listen: { host, port }, tls: undefined, redirectHttp: undefined },
];

const FULL_NORMALISED: BalancerConfig = {
  listeners: httpListener('127.0.0.1', 8080),
  admin: { listen: { host: '127.0.0.1', port: 9090 }, token: TOKEN },
  timeouts: {
    connect: 2000,
    responseHeaders: 15_000,
    idle: 60_000,
    clientHeaders: 10_000,
    clientRequest: 30_000,
  },
  limits: {
    maxBodySize: 1024 * 1024,
    oversizedBody: 'stream',
    replayBufferBudget: 64 * 1024 * 1024,
    maxHeaderSize: 16 * 1024,
    maxConnections: 10_000,
  },
  shutdownTimeout: 10_000,
  workers: 1,
  pools: {
    web: {
      name: 'web',
      mode: 'http',
      algorithm: 'weighted-round-robin',
      hashKey: { from: 'client-ip' },
      servers: [
        { name: 'app1', url: 'http://127.0.0.1:3001', weight: 3, backup: false, maxConnections: 0 },
        { name: 'app2', url: 'http://127.0.0.1:3002', weight: 1, backup: false, maxConnections: 0 },
        { name: 'app3', url: 'http://127.0.0.1:3003', weight: 1, backup: true, maxConnections: 100 },
      ],
      health: {
        type: 'http',
        path: '/health',
        expectStatus: { min: 200, max: 399 },
        interval: 1000,
        fastInterval: 500,
        timeout: 500,
        rise: 2,
        fall: 2,
      },
      outlier: {
        consecutive5xx: 5,
        consecutiveGatewayFailures: 3,
        baseEjectionTime: 5000,
        maxEjectionTime: 60_000,
        maxEjectionPercent: 50,
      },
      breaker: { enabled: true, failureRatio: 0.5, minRequests: 20, window: 10_000, cooldown: 5000 },
      panicThreshold: 40,
      slowStart: { ...DEFAULTS.slowStart },
      sticky: undefined,
      websocket: { handshakeTimeout: 5000, idleTimeout: 600_000 },
      retry: { retries: 2, budgetPercent: 20, minRetriesPerSecond: 10 },
      queue: { size: 100, timeout: 5000 },
      hedge: { ...DEFAULTS.hedge },
      timeouts: { connect: 1000, responseHeaders: 15_000, idle: 60_000 },
      drainTimeout: DEFAULTS.drainTimeout,
      tls: NO_UPSTREAM_TLS,
    },
    sessions: {
      name: 'sessions',
      mode: 'http',
      algorithm: 'consistent-hash',
      hashKey: { from: 'header', name: 'X-User' },
      servers: [{ name: 's1', url: 'http://[::1]:4001', weight: 1, backup: false, maxConnections: 0 }],
      health: { type: 'tcp', interval: 1000, fastInterval: 500, timeout: 500, rise: 2, fall: 2 },
      outlier: { ...DEFAULTS.outlier },
      breaker: { ...DEFAULTS.breaker, enabled: false },
      panicThreshold: DEFAULTS.panicThreshold,
      slowStart: { ...DEFAULTS.slowStart },
      sticky: undefined,
      websocket: DEFAULTS.websocket,
      retry: { retries: 1, budgetPercent: 10, minRetriesPerSecond: 5 },
      queue: { ...DEFAULTS.queue },
      hedge: { ...DEFAULTS.hedge },
      timeouts: { connect: 2000, responseHeaders: 15_000, idle: 60_000 },
      drainTimeout: DEFAULTS.drainTimeout,
      tls: NO_UPSTREAM_TLS,
    },
  },
  routes: [
    { host: '*', path: '/', pool: 'web' },
    { host: '*.example.com', path: '/sessions', pool: 'sessions' },
  ],
};

const MINIMAL = `pools:
  web:
    servers:
      - { name: app1, url: http://127.0.0.1:3001 }
`;

describe('good configs', () => {
  it('slowStart and sticky: the short forms take the defaults', () => {
    const config = parseConfigText(`${MINIMAL}    slowStart: 30s\n    sticky: true\n`, { env: {} });
    expect(config.pools.web?.slowStart).toEqual({ window: 30_000, minPercent: 10 });
    expect(config.pools.web?.sticky).toEqual({ ...DEFAULTS.sticky, domain: undefined });
    const full = parseConfigText(
      `${MINIMAL}    sticky: { cookie: SID, ttl: 2h, path: /app, domain: example.com, secure: true, sameSite: none }\n`,
      { env: {} },
    );
    expect(full.pools.web?.sticky).toEqual({
      cookie: 'SID',
      ttl: 7_200_000,
      path: '/app',
      domain: 'example.com',
      secure: true,
      httpOnly: true,
      sameSite: 'none',
    });
  });

  it('normalises the full example: durations in ms, defaults filled in', () => {
    expect(parseConfigText(FULL, { env: { FAULTLINE_ADMIN_TOKEN: TOKEN } })).toEqual(FULL_NORMALISED);
  });

  it('fills every default of a minimal config, routes included', () => {
    expect(parseConfigText(MINIMAL, { env: {} })).toEqual({
      listeners: httpListener('127.0.0.1', 8080),
      admin: { listen: { host: '127.0.0.1', port: 9090 }, token: undefined },
      timeouts: FULL_NORMALISED.timeouts,
      limits: FULL_NORMALISED.limits,
      shutdownTimeout: 10_000,
      workers: 1,
      pools: {
        web: {
          name: 'web',
          mode: 'http',
          algorithm: 'weighted-round-robin',
          hashKey: { from: 'client-ip' },
          servers: [
            { name: 'app1', url: 'http://127.0.0.1:3001', weight: 1, backup: false, maxConnections: 0 },
          ],
          health: null,
          outlier: DEFAULTS.outlier,
          breaker: DEFAULTS.breaker,
          panicThreshold: DEFAULTS.panicThreshold,
          slowStart: { ...DEFAULTS.slowStart },
          sticky: undefined,
          websocket: DEFAULTS.websocket,
          retry: DEFAULTS.retry,
          queue: DEFAULTS.queue,
          hedge: DEFAULTS.hedge,
          timeouts: DEFAULTS.timeouts,
          drainTimeout: DEFAULTS.drainTimeout,
          tls: NO_UPSTREAM_TLS,
        },
      },
      routes: [{ host: '*', path: '/', pool: 'web' }],
    });
  });

  it('reads JSON to the same result as YAML', () => {
    const json = JSON.stringify({
      pools: { web: { servers: [{ name: 'app1', url: 'http://127.0.0.1:3001' }] } },
    });
    expect(parseConfigText(json, { env: {} })).toEqual(parseConfigText(MINIMAL, { env: {} }));
  });

  it('builds the same config from code as from text', () => {
    const fromCode = normalizeConfig({
      admin: { token: TOKEN },
      pools: { web: { servers: [{ name: 'app1', url: 'http://127.0.0.1:3001' }], retries: 0 } },
    });
    const fromText = parseConfigText(`admin: { token: ${TOKEN} }\n${MINIMAL}    retries: 0\n`, { env: {} });
    expect(fromCode).toEqual(fromText);
    expect(fromCode.pools.web?.retry.retries).toBe(0);
  });

  it('fills health defaults from the interval', () => {
    const health = (h: string) =>
      parseConfigText(`${MINIMAL}    health: ${h}\n`, { env: {} }).pools.web?.health;
    expect(health('{ type: http }')).toEqual({
      type: 'http',
      path: '/health',
      expectStatus: { min: 200, max: 399 },
      interval: 2000,
      fastInterval: 1000,
      timeout: 1000,
      rise: 2,
      fall: 3,
    });
    expect(health('{ type: tcp, interval: 300ms }')).toMatchObject({ fastInterval: 150, timeout: 300 });
    expect(health('{ type: tcp, interval: 150ms }')).toMatchObject({ fastInterval: 100, timeout: 150 });
    expect(health('{ type: tcp, interval: 60 }')).toMatchObject({ fastInterval: 60, timeout: 60 });
    expect(health('{ type: http, expectStatus: 204 }')).toMatchObject({
      expectStatus: { min: 204, max: 204 },
    });
    expect(health('{ type: http, expectStatus: [200, 299] }')).toMatchObject({
      expectStatus: { min: 200, max: 299 },
    });
    expect(health('false')).toBeNull();
    expect(health('null')).toBeNull();
  });

  it('caps a default maxEjectionTime at a longer baseEjectionTime', () => {
    const config = parseConfigText(`${MINIMAL}    outlier: { baseEjectionTime: 2m }\n`, { env: {} });
    expect(config.pools.web?.outlier).toMatchObject({ baseEjectionTime: 120_000, maxEjectionTime: 120_000 });
  });

  it('supports YAML anchors and merge keys', () => {
    const servers = parseConfigText(
      `pools:
  web:
    servers:
      - &app { name: a, url: "http://127.0.0.1:1", weight: 2, maxConnections: 10 }
      - { <<: *app, name: b, url: "http://127.0.0.1:2" }
`,
      { env: {} },
    ).pools.web?.servers;
    expect(servers?.[1]).toEqual({
      name: 'b',
      url: 'http://127.0.0.1:2',
      weight: 2,
      backup: false,
      maxConnections: 10,
    });
  });
});

describe('environment references', () => {
  const envOf = (text: string, env: NodeJS.ProcessEnv) => parseConfigText(`${text}\n${MINIMAL}`, { env });

  it(`substitutes \${VAR}, also unquoted inside a flow mapping`, () => {
    expect(envOf(`admin: { token: \${T} }`, { T: TOKEN }).admin.token).toBe(TOKEN);
    expect(envOf(`admin:\n  token: "\${T}"`, { T: TOKEN }).admin.token).toBe(TOKEN);
  });

  it(`uses the default of \${VAR:-default} when the variable is unset or empty`, () => {
    expect(envOf(`listen: \${L:-127.0.0.1:0}`, {}).listeners).toEqual(httpListener('127.0.0.1', 0));
    expect(envOf(`listen: \${L:-127.0.0.1:0}`, { L: '' }).listeners).toEqual(httpListener('127.0.0.1', 0));
    expect(envOf(`listen: \${L:-127.0.0.1:0}`, { L: '[::1]:7' }).listeners).toEqual(httpListener('::1', 7));
  });

  it('treats an empty token as no token', () => {
    expect(envOf(`admin: { token: \${T:-} }`, {}).admin.token).toBeUndefined();
    expect(envOf(`admin: { token: \${T} }`, { T: '' }).admin.token).toBeUndefined();
  });

  it('types an unquoted number or boolean, keeps a quoted one a string', () => {
    const config = envOf(`listen: \${PORT}\nshutdownTimeout: \${GRACE:-2500}`, { PORT: '9999' });
    expect(config.listeners).toEqual(httpListener('127.0.0.1', 9999));
    expect(config.shutdownTimeout).toBe(2500);
    expect(() => envOf(`shutdownTimeout: "\${GRACE:-2500}"`, {})).toThrow(/must be a duration/);
  });

  it(`joins several references and text, and keeps $\${...} literal`, () => {
    const config = envOf(`admin:\n  listen: \${H}:\${P}\n  token: "$\${NOT_A_VAR}-0123456789"`, {
      H: '127.0.0.2',
      P: '0',
    });
    expect(config.admin).toEqual({
      listen: { host: '127.0.0.2', port: 0 },
      token: `\${NOT_A_VAR}-0123456789`,
    });
  });
});

describe('loadConfigFile', () => {
  it('reads a real file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-config-'));
    const file = join(dir, 'balancer.yaml');
    await writeFile(file, `admin: { token: \${TOKEN} }\n${MINIMAL}`);
    const config = await loadConfigFile(file, { TOKEN });
    expect(config.admin.token).toBe(TOKEN);
    expect(config.pools.web?.servers[0]?.name).toBe('app1');
  });

  it('names the file and the line of a bad field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-config-'));
    const file = join(dir, 'balancer.json');
    await writeFile(file, '{\n  "pools": {\n    "web": { "servers": [] }\n  }\n}\n');
    const error = await loadConfigFile(file, {}).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(
      `${file}:3: pools.web.servers: needs at least one server`,
    );
  });

  it('rejects a missing file, a directory and an empty file clearly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-config-'));
    const missing = join(dir, 'nope.yaml');
    const error = await loadConfigFile(missing).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FaultlineError);
    expect(error).toMatchObject({ code: 'FL_CONFIG_UNREADABLE' });
    expect((error as Error).message).toBe(`cannot read balancer config ${missing}: no such file (ENOENT)`);
    await expect(loadConfigFile(dir)).rejects.toThrow(
      `cannot read balancer config ${dir}: it is a directory`,
    );
    const empty = join(dir, 'empty.yaml');
    await writeFile(empty, '\n');
    await expect(loadConfigFile(empty)).rejects.toThrow(`${empty}: (root): the config is empty`);
    if (process.getuid?.() !== 0) {
      await chmod(empty, 0o000);
      await expect(loadConfigFile(empty)).rejects.toThrow('permission denied');
    }
  });
});
