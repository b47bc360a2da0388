import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, FaultlineError } from '../errors.ts';
import { DEFAULTS, loadConfigFile, normalizeConfig, parseConfigText } from './index.ts';

const POOL = `pools:
  web:
    servers:
      - { name: app1, url: http://127.0.0.1:3001 }
`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseConfigText(text, { file: 'bad.yaml', env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { error: err as ConfigError, issues: (err as ConfigError).issues };
  }
  throw new Error('config was accepted');
}

// name, config text, expected path, expected line, expected message fragment
const BAD: [string, string, string, number | undefined, string][] = [
  ['not YAML', 'pools: [unclosed', '', 1, 'not valid YAML/JSON'],
  ['empty file', '', '', undefined, 'the config is empty'],
  ['no pools', 'listen: 8080\n', 'pools', undefined, 'is required'],
  ['pools not a mapping', 'pools: [1, 2]\n', 'pools', 1, 'must be a mapping of pool names'],
  [
    'unknown top-level field',
    `lissen: 8080\n${POOL}`,
    'lissen',
    1,
    'unknown field "lissen"; did you mean "listen"?',
  ],
  [
    'unknown pool field',
    `pools:\n  web:\n    algorythm: random\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n`,
    'pools.web.algorythm',
    3,
    'did you mean "algorithm"?',
  ],
  ['bad listen', `listen: "localhost"\n${POOL}`, 'listen', undefined, 'must be "host:port"'],
  [
    'listen port too big',
    `listen: 127.0.0.1:70000\n${POOL}`,
    'listen',
    undefined,
    'port must be from 0 to 65535',
  ],
  [
    'unknown algorithm',
    `pools:\n  web:\n    algorithm: round-robbin\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n`,
    'pools.web.algorithm',
    3,
    'did you mean "round-robin"?',
  ],
  [
    'server without url',
    'pools:\n  web:\n    servers:\n      - name: a\n',
    'pools.web.servers[0].url',
    4,
    'is required',
  ],
  [
    'server without name',
    'pools:\n  web:\n    servers:\n      - url: http://127.0.0.1:1\n',
    'pools.web.servers[0].name',
    4,
    'is required',
  ],
  [
    'weight not an integer',
    'pools:\n  web:\n    servers:\n      - { name: a, url: "http://127.0.0.1:1", weight: heavy }\n',
    'pools.web.servers[0].weight',
    4,
    'must be an integer from 1 to 1000 (got "heavy")',
  ],
  [
    'weight zero',
    'pools:\n  web:\n    servers:\n      - name: a\n        url: http://127.0.0.1:1\n        weight: 0\n',
    'pools.web.servers[0].weight',
    6,
    'from 1 to 1000 (got 0)',
  ],
  [
    'https backend',
    'pools:\n  web:\n    servers: [{ name: a, url: "https://127.0.0.1:1" }]\n',
    'pools.web.servers[0].url',
    3,
    'must use http://',
  ],
  [
    'backend url with path',
    'pools:\n  web:\n    servers: [{ name: a, url: "http://127.0.0.1:1/api" }]\n',
    'pools.web.servers[0].url',
    3,
    'must not have a path',
  ],
  [
    'not a URL',
    'pools:\n  web:\n    servers: [{ name: a, url: "127.0.0.1:1" }]\n',
    'pools.web.servers[0].url',
    3,
    'must be an absolute URL',
  ],
  [
    'duplicate server names',
    'pools:\n  web:\n    servers:\n      - { name: a, url: "http://127.0.0.1:1" }\n      - { name: a, url: "http://127.0.0.1:2" }\n',
    'pools.web.servers[1].name',
    5,
    'server names must be unique',
  ],
  [
    'bad server name',
    'pools:\n  web:\n    servers: [{ name: "app 1", url: "http://127.0.0.1:1" }]\n',
    'pools.web.servers[0].name',
    3,
    'may contain only letters',
  ],
  [
    'only backups',
    'pools:\n  web:\n    servers: [{ name: a, url: "http://127.0.0.1:1", backup: true }]\n',
    'pools.web.servers',
    3,
    'at least one primary',
  ],
  ['no servers', 'pools:\n  web:\n    servers: []\n', 'pools.web.servers', 3, 'at least one server'],
  [
    'backup not boolean',
    'pools:\n  web:\n    servers: [{ name: a, url: "http://127.0.0.1:1", backup: "yes" }]\n',
    'pools.web.servers[0].backup',
    3,
    'must be true or false',
  ],
  [
    'bad duration',
    `${POOL}    health: { type: http, interval: 1 second }\n`,
    'pools.web.health.interval',
    5,
    'must be a duration such as 500ms',
  ],
  [
    'health type missing',
    `${POOL}    health: { path: /health }\n`,
    'pools.web.health.type',
    5,
    'is required: http or tcp',
  ],
  [
    'health type unknown',
    `${POOL}    health: { type: grpc }\n`,
    'pools.web.health.type',
    5,
    'must be one of http, tcp',
  ],
  [
    'health timeout above interval',
    `${POOL}    health: { type: http, interval: 1s, timeout: 2s }\n`,
    'pools.web.health.timeout',
    5,
    'must not exceed health.interval',
  ],
  [
    'health path without slash',
    `${POOL}    health: { type: http, path: health }\n`,
    'pools.web.health.path',
    5,
    'must start with "/"',
  ],
  [
    'tcp check with path',
    `${POOL}    health: { type: tcp, path: /health }\n`,
    'pools.web.health.path',
    5,
    'applies only to type http',
  ],
  [
    'bad expectStatus',
    `${POOL}    health: { type: http, expectStatus: 200-99 }\n`,
    'pools.web.health.expectStatus',
    5,
    'must be a status (200), a range',
  ],
  ['rise zero', `${POOL}    health: { type: http, rise: 0 }\n`, 'pools.web.health.rise', 5, 'from 1 to 100'],
  ['retries twice', `${POOL}    retries: 1\n    retry: { retries: 2 }\n`, 'pools.web.retries', 5, 'not both'],
  ['retries negative', `${POOL}    retries: -1\n`, 'pools.web.retries', 5, 'from 0 to 10'],
  [
    'hash without consistent-hash',
    `${POOL}    hash: { key: client-ip }\n`,
    'pools.web.hash',
    5,
    'applies only to algorithm consistent-hash',
  ],
  [
    'hash header without name',
    `pools:\n  web:\n    algorithm: consistent-hash\n    hash: { key: header }\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n`,
    'pools.web.hash.name',
    4,
    'is required with key header',
  ],
  [
    'breaker ratio above 1',
    `${POOL}    breaker: { failureRatio: 1.5 }\n`,
    'pools.web.breaker.failureRatio',
    5,
    'from 0 to 1',
  ],
  [
    'outlier percent above 100',
    `${POOL}    outlier: { maxEjectionPercent: 150 }\n`,
    'pools.web.outlier.maxEjectionPercent',
    5,
    'from 0 to 100',
  ],
  [
    'route to unknown pool',
    `${POOL}routes:\n  - { host: "*", path: /, pool: api }\n`,
    'routes[0].pool',
    6,
    'names pool "api", which does not exist (pools: web)',
  ],
  [
    'route path without slash',
    `${POOL}routes:\n  - { path: api, pool: web }\n`,
    'routes[0].path',
    6,
    'must start with "/"',
  ],
  [
    'duplicate routes',
    `${POOL}routes:\n  - { path: /, pool: web }\n  - { host: "*", path: /, pool: web }\n`,
    'routes[1]',
    7,
    'duplicates an earlier route',
  ],
  [
    'routes missing with two pools',
    `${POOL}  api:\n    servers: [{ name: b, url: "http://127.0.0.1:2" }]\n`,
    'routes',
    undefined,
    'is required when there is more than one pool',
  ],
  [
    'public admin without token',
    `admin: { listen: 0.0.0.0:9090 }\n${POOL}`,
    'admin.listen',
    1,
    'refusing to expose the admin API',
  ],
  ['short admin token', `admin: { token: short }\n${POOL}`, 'admin.token', 1, 'at least 16 characters'],
  ['duplicate key', `listen: 1\nlisten: 2\n${POOL}`, '', 2, 'not valid YAML/JSON'],
  [
    'JSON with a bad weight',
    '{\n  "pools": {\n    "web": {\n      "servers": [{ "name": "a", "url": "http://127.0.0.1:1", "weight": -3 }]\n    }\n  }\n}\n',
    'pools.web.servers[0].weight',
    4,
    '(got -3)',
  ],
];

describe('bad configs: one clear message each, with path and line', () => {
  it.each(BAD)('%s', (_name, text, path, line, fragment) => {
    const { error, issues } = issuesOf(text);
    const issue = issues.find((i) => i.path === path);
    expect(issue, `issues: ${JSON.stringify(issues)}`).toBeDefined();
    expect(issue?.message).toContain(fragment);
    if (line !== undefined) expect(issue?.line).toBe(line);
    const where = (path || '(root)').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(error.message).toMatch(new RegExp(`bad\\.yaml(:\\d+)?: ${where}: `));
    expect(error.message).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace text
  });

  it('reports every problem at once', () => {
    const { issues } = issuesOf(
      'pools:\n  web:\n    servers:\n      - { name: a, url: "ftp://x", weight: 0 }\n    retries: 99\n',
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['pools.web.retries', 'pools.web.servers[0].weight']);
  });

  it('names an unset environment variable and its line', () => {
    const { error, issues } = issuesOf(`admin:\n  token: \${MISSING_TOKEN}\n${POOL}`);
    expect(error.code).toBe('FL_CONFIG_ENV_MISSING');
    expect(issues[0]).toMatchObject({ line: 2 });
    expect(issues[0]?.message).toContain('MISSING_TOKEN is not set');
  });
});

describe('good configs', () => {
  it('normalises the full example: durations in ms, defaults filled in', () => {
    const config = parseConfigText(
      `listen: 127.0.0.1:8080
admin: { listen: 127.0.0.1:9090, token: \${TOKEN} }
pools:
  web:
    algorithm: weighted-round-robin
    servers:
      - { name: app1, url: http://127.0.0.1:3001, weight: 3 }
      - { name: app2, url: http://127.0.0.1:3002 }
      - { name: app3, url: http://127.0.0.1:3003, backup: true }
    health: { type: http, path: /health, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }
    retries: 2
routes:
  - { host: "*", path: /, pool: web }
`,
      { env: { TOKEN: 'a-long-enough-token-123' } },
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.admin).toEqual({
      listen: { host: '127.0.0.1', port: 9090 },
      token: 'a-long-enough-token-123',
    });
    const web = config.pools.web;
    expect(web?.servers).toEqual([
      { name: 'app1', url: 'http://127.0.0.1:3001', weight: 3, backup: false, maxConnections: 0 },
      { name: 'app2', url: 'http://127.0.0.1:3002', weight: 1, backup: false, maxConnections: 0 },
      { name: 'app3', url: 'http://127.0.0.1:3003', weight: 1, backup: true, maxConnections: 0 },
    ]);
    expect(web?.health).toEqual({
      type: 'http',
      path: '/health',
      expectStatus: { min: 200, max: 399 },
      interval: 1000,
      fastInterval: 500,
      timeout: 500,
      rise: 2,
      fall: 2,
    });
    expect(web?.retry).toEqual({ ...DEFAULTS.retry, retries: 2 });
    expect(web?.outlier).toEqual(DEFAULTS.outlier);
    expect(web?.timeouts).toEqual(DEFAULTS.timeouts);
    expect(config.routes).toEqual([{ host: '*', path: '/', pool: 'web' }]);
  });

  it('fills a minimal config and defaults routes for a single pool', () => {
    const config = parseConfigText(POOL, { env: {} });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.admin.token).toBeUndefined();
    expect(config.pools.web?.algorithm).toBe('weighted-round-robin');
    expect(config.pools.web?.health).toBeNull();
    expect(config.routes).toEqual([{ host: '*', path: '/', pool: 'web' }]);
  });

  it('accepts JSON, listen forms, env defaults, per-pool timeouts and a tcp check', () => {
    const config = parseConfigText(
      JSON.stringify({
        listen: '[::1]:0',
        admin: {
          listen: ':0',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an env reference, on purpose
          token: '${T:-0123456789abcdefXYZ}',
        },
        timeouts: { connect: 500 },
        pools: {
          web: {
            servers: [{ name: 'a', url: 'http://[::1]:3001' }],
            health: { type: 'tcp', interval: '300ms' },
            timeouts: { idle: '5s' },
          },
        },
      }),
      { env: {} },
    );
    expect(config.listen).toEqual({ host: '::1', port: 0 });
    expect(config.admin.listen).toEqual({ host: '0.0.0.0', port: 0 });
    expect(config.admin.token).toBe('0123456789abcdefXYZ');
    expect(config.pools.web?.timeouts).toEqual({ ...DEFAULTS.timeouts, connect: 500, idle: 5000 });
    expect(config.pools.web?.health).toEqual({
      type: 'tcp',
      interval: 300,
      fastInterval: 150,
      timeout: 300,
      rise: 2,
      fall: 3,
    });
  });

  it('validates configs built in code the same way, without lines', () => {
    expect(() =>
      normalizeConfig({ pools: { web: { servers: [{ name: 'a', url: 'http://x:1', weight: 'x' }] } } }),
    ).toThrow(/pools\.web\.servers\[0\]\.weight: must be an integer/);
  });
});

describe('loadConfigFile', () => {
  it('reads a real file and names a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-config-'));
    const file = join(dir, 'balancer.yaml');
    await writeFile(file, POOL);
    expect((await loadConfigFile(file, {})).pools.web?.servers[0]?.name).toBe('app1');
    const missing = join(dir, 'nope.yaml');
    await expect(loadConfigFile(missing)).rejects.toThrow(FaultlineError);
    await expect(loadConfigFile(missing)).rejects.toThrow(
      `cannot read balancer config ${missing}: no such file`,
    );
  });
});
