import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../core/errors.ts';
import { normalizeConfig, parseConfigText } from './index.ts';
import type { BalancerConfig } from './types.ts';

/**
 * Any input to the config loader yields a valid config or one ConfigError that names its fields;
 * never a crash, a TypeError, a stack trace or a config that breaks its own invariants.
 */

/** A value that is sometimes right for a field and often not. */
const anyOr = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });

const duration = anyOr(
  fc.oneof(
    fc.constantFrom('100ms', '1s', '2m', '0s', '-1s', '1.5s', 'soon', '1h', ''),
    fc.integer({ min: -5, max: 100_000 }),
  ),
);
const byteSize = anyOr(
  fc.oneof(
    fc.constantFrom('1MiB', '64 KiB', '0', '1.5MB', '2GiB', 'lots', '-1KiB', '1e3'),
    fc.integer({ min: -1, max: 2 ** 31 }),
  ),
);
const host = fc.constantFrom('127.0.0.1', '::1', '[::1]', 'localhost', '0.0.0.0', 'example.com', '', 'a b');
const listen = anyOr(
  fc.oneof(
    fc.tuple(host, fc.integer({ min: -1, max: 70_000 })).map(([h, p]) => `${h}:${p}`),
    fc.integer({ min: -1, max: 70_000 }),
  ),
);
const name = anyOr(fc.constantFrom('app1', 'app2', 'web', 'a.b-c_d', '', 'bad name', 'x/y'));
const server = anyOr(
  fc.record(
    {
      name,
      url: anyOr(
        fc.constantFrom(
          'http://127.0.0.1:3001',
          'http://[::1]:3002',
          'https://x:1',
          'ftp://x',
          'http://',
          'nope',
        ),
      ),
      weight: anyOr(fc.integer({ min: -2, max: 1002 })),
      backup: anyOr(fc.boolean()),
      maxConnections: anyOr(fc.integer({ min: -1, max: 10 })),
    },
    { requiredKeys: [] },
  ),
);
const pool = anyOr(
  fc.record(
    {
      algorithm: anyOr(fc.constantFrom('round-robin', 'latency', 'consistent-hash', 'ip-hash', 'nope')),
      hash: anyOr(
        fc.record({ key: fc.constantFrom('client-ip', 'header', 'cookie', 'x'), name }, { requiredKeys: [] }),
      ),
      servers: anyOr(fc.array(server, { maxLength: 4 })),
      health: anyOr(
        fc.oneof(
          fc.constant(false),
          fc.record(
            {
              type: fc.constantFrom('http', 'tcp', 'udp'),
              path: fc.constantFrom('/health', 'health', '/a b'),
              interval: duration,
              fastInterval: duration,
              timeout: duration,
              rise: anyOr(fc.integer({ min: -1, max: 101 })),
              fall: anyOr(fc.integer({ min: -1, max: 101 })),
              expectStatus: anyOr(fc.constantFrom('200-399', 200, '600', '2xx', '300-200')),
            },
            { requiredKeys: [] },
          ),
        ),
      ),
      retries: anyOr(fc.integer({ min: -1, max: 11 })),
      outlier: anyOr(
        fc.record(
          {
            consecutive5xx: anyOr(fc.integer({ min: -1, max: 1001 })),
            baseEjectionTime: duration,
            maxEjectionTime: duration,
            maxEjectionPercent: anyOr(fc.double({ min: -1, max: 101, noNaN: false })),
          },
          { requiredKeys: [] },
        ),
      ),
      breaker: anyOr(
        fc.record({ enabled: anyOr(fc.boolean()), failureRatio: anyOr(fc.double()), window: duration }),
      ),
      queue: anyOr(
        fc.record({ size: anyOr(fc.integer({ min: -1, max: 10 })), timeout: duration }, { requiredKeys: [] }),
      ),
      timeouts: anyOr(
        fc.record({ connect: duration, responseHeaders: duration, idle: duration }, { requiredKeys: [] }),
      ),
    },
    { requiredKeys: [] },
  ),
);
const config = fc.record(
  {
    listen,
    admin: anyOr(fc.record({ listen, token: anyOr(fc.string()) }, { requiredKeys: [] })),
    timeouts: anyOr(
      fc.record(
        { connect: duration, idle: duration, clientHeaders: duration, clientRequest: duration },
        { requiredKeys: [] },
      ),
    ),
    limits: anyOr(
      fc.record(
        {
          maxBodySize: byteSize,
          oversizedBody: anyOr(fc.constantFrom('stream', 'reject', 'drop')),
          replayBufferBudget: byteSize,
          maxHeaderSize: byteSize,
          maxConnections: anyOr(fc.integer({ min: -1, max: 2_000_000 })),
        },
        { requiredKeys: [] },
      ),
    ),
    shutdownTimeout: duration,
    pools: anyOr(fc.dictionary(fc.constantFrom('web', 'api', 'b ad', ''), pool, { maxKeys: 3 })),
    routes: anyOr(
      fc.array(
        anyOr(
          fc.record(
            {
              host: anyOr(fc.constantFrom('*', 'example.com', '*.example.com', '**', '')),
              path: anyOr(fc.constantFrom('/', '/api', 'api', '/a?b')),
              pool: anyOr(fc.constantFrom('web', 'api', 'missing')),
            },
            { requiredKeys: [] },
          ),
        ),
        { maxLength: 3 },
      ),
    ),
  },
  { requiredKeys: [] },
);

/** The invariants every config the loader hands out must keep. */
function expectSound(c: BalancerConfig): void {
  const finiteAtLeast = (v: number, min: number, what: string) => {
    expect(Number.isFinite(v), `${what} = ${v}`).toBe(true);
    expect(v, what).toBeGreaterThanOrEqual(min);
  };
  expect(c.listeners.length).toBeGreaterThan(0);
  for (const l of c.listeners) {
    finiteAtLeast(l.listen.port, 0, 'listen.port');
    expect(l.listen.port).toBeLessThanOrEqual(65_535);
  }
  finiteAtLeast(c.shutdownTimeout, 0, 'shutdownTimeout');
  const pools = Object.values(c.pools);
  expect(pools.length).toBeGreaterThan(0);
  for (const p of pools) {
    expect(p.servers.length, `pool ${p.name} servers`).toBeGreaterThan(0);
    expect(new Set(p.servers.map((s) => s.name)).size, `pool ${p.name} unique names`).toBe(p.servers.length);
    for (const s of p.servers) {
      expect(() => new URL(s.url)).not.toThrow();
      finiteAtLeast(s.weight, 1, `${s.name}.weight`);
    }
    for (const [k, v] of Object.entries(p.timeouts)) finiteAtLeast(v, 1, `${p.name}.timeouts.${k}`);
    finiteAtLeast(p.outlier.maxEjectionPercent, 0, 'maxEjectionPercent');
    expect(p.outlier.maxEjectionPercent).toBeLessThanOrEqual(100);
  }
  for (const r of c.routes) expect(c.pools[r.pool], `route to ${r.pool}`).toBeDefined();
  for (const [k, v] of Object.entries(c.limits))
    if (typeof v === 'number') finiteAtLeast(v, 0, `limits.${k}`);
}

/** A refusal must be one ConfigError whose every issue names a rule, in plain words. */
function expectClearRefusal(err: unknown): void {
  if (!(err instanceof ConfigError)) throw err;
  expect(err.code).toMatch(/^FL_CONFIG_/);
  expect(err.issues.length).toBeGreaterThan(0);
  for (const issue of err.issues) {
    expect(issue.message.trim().length).toBeGreaterThan(0);
    // "(got NaN)" and "NaN" quote the input; anywhere else NaN or undefined means a value went astray.
    const own = issue.message.replace(/\(got [^)]*\)/g, '').replace(/"[^"]*"/g, '');
    expect(own).not.toMatch(/\[object Object\]|undefined|NaN|\n\s+at /);
  }
}

function loadsOrRefuses(load: () => BalancerConfig): void {
  let loaded: BalancerConfig;
  try {
    loaded = load();
  } catch (err) {
    expectClearRefusal(err);
    return;
  }
  expectSound(loaded);
}

describe('config loader under any input (property-based)', () => {
  it('a config-shaped object: a sound config or one clear ConfigError', () => {
    fc.assert(
      fc.property(config, (raw) => loadsOrRefuses(() => normalizeConfig(raw))),
      { numRuns: 1500 },
    );
  });

  it('the same objects as YAML and JSON text: the same, with lines', () => {
    fc.assert(
      fc.property(config, fc.boolean(), (raw, asJson) => {
        let text: string;
        try {
          text = asJson ? JSON.stringify(raw) : stringify(raw);
        } catch {
          return; // not representable as text (a cycle, a BigInt): nothing a file can hold
        }
        if (text === undefined) return;
        loadsOrRefuses(() => parseConfigText(text, { file: 'fuzz.yaml', env: {} }));
      }),
      { numRuns: 800 },
    );
  });

  it('arbitrary text, env references included: never a crash', () => {
    const fragments = fc.constantFrom(
      'pools:',
      '\n',
      '  web:',
      '    servers:',
      '      - { name: app1, url: "http://127.0.0.1:1" }',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: env references the config loader resolves
      '${PORT}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: as above, with a default
      '${MISSING:-8080}',
      '${',
      '&a',
      '*a',
      '<<: *a',
      '---',
      '{',
      '[',
      ']',
      '"',
      "'",
      ':',
      '- ',
      '\t',
      'listen: ',
      '127.0.0.1:0',
      '!!binary',
      '!!js/function',
      '? ',
      '#',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(fragments, { maxLength: 30 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (t) =>
        loadsOrRefuses(() => parseConfigText(t, { file: 'fuzz.yaml', env: { PORT: '80' } })),
      ),
      { numRuns: 1500 },
    );
  });

  it.each([
    ['a merge key on a non-mapping', '? <<: *a'],
    ['a !!binary value where a mapping belongs', '!!binary\tpools:*a'],
    ['an alias inside its own anchor (a cycle)', '&a\npools:<<: *a'],
    ['a list that holds itself', 'pools: &p [*p]'],
    ['a !!binary list item', 'pools:\n  web:\n    servers:\n      - !!binary aGk='],
  ])('inputs these properties found crashing once: %s', (_what, text) => {
    expect(() => parseConfigText(text, { file: 'found.yaml', env: {} })).toThrow(ConfigError);
  });

  it('the properties can fail: a config that breaks an invariant is caught', () => {
    const broken = {
      ...normalizeConfig({ pools: { web: { servers: [{ name: 'a', url: 'http://127.0.0.1:1' }] } } }),
    };
    broken.routes = [{ host: '*', path: '/', pool: 'missing' }];
    expect(() => expectSound(broken)).toThrow(/route to missing/);
    expect(() =>
      expectClearRefusal(new TypeError("Cannot read properties of undefined (reading 'x')")),
    ).toThrow(TypeError);
  });
});
