import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { POOL, rejection } from './bad-config.fixture.ts';
import { normalizeConfig } from './index.ts';

describe('reporting', () => {
  it('reports every problem at once, shape and rules together, in line order', () => {
    const error = rejection(`listen: 127.0.0.1:99999
pools:
  web:
    algorithm: consistent-hash
    hash: { key: header }
    servers:
      - { name: a, url: "ftp://x", weight: 0, colour: red }
    health: { type: http, interval: 1s, timeout: 2s }
    retries: 99
routes:
  - { pool: api }
`);
    expect(error.code).toBe('FL_CONFIG_INVALID');
    expect(error.issues.map((i) => [i.line, i.path])).toEqual([
      [1, 'listen'],
      [5, 'pools.web.hash.name'],
      [7, 'pools.web.servers[0].url'],
      [7, 'pools.web.servers[0].weight'],
      [7, 'pools.web.servers[0].colour'],
      [8, 'pools.web.health.timeout'],
      [9, 'pools.web.retries'],
      [11, 'routes[0].pool'],
    ]);
  });

  it('does not add rule errors that only follow from a value already rejected', () => {
    const error = rejection(`${POOL}    algorithm: consistent-hsh
    hash: { key: client-ip }
    health: { type: http, interval: soon, timeout: 3s }
routes:
  - { path: /a, pool: web }
  - { path: a, pool: web }
  - { path: /a, pool: web }
`);
    expect(error.issues.map((i) => i.path)).toEqual([
      'pools.web.algorithm',
      'pools.web.health.interval',
      'routes[1].path',
      'routes[2]',
    ]);
  });

  it('still checks routes when a pool is broken', () => {
    const error = rejection('pools:\n  web: 5\nroutes:\n  - { pool: web }\n  - { path: /x, pool: nope }\n');
    expect(error.issues.map((i) => i.path)).toEqual(['pools.web', 'routes[1].pool']);
  });

  it('an unset variable is FL_CONFIG_ENV_MISSING; every unset one is named', () => {
    const error = rejection(`listen: \${HOST}:\${PORT}\nadmin: { token: "\${TOKEN}" }\n${POOL}`);
    expect(error.code).toBe('FL_CONFIG_ENV_MISSING');
    expect(error.issues.map((i) => [i.line, i.path, i.message.split(' (')[0]])).toEqual([
      [1, 'listen', 'environment variable HOST is not set'],
      [1, 'listen', 'environment variable PORT is not set'],
      [2, 'admin.token', 'environment variable TOKEN is not set'],
    ]);
  });

  it('validates configs built in code the same way, without lines', () => {
    let error: ConfigError | undefined;
    try {
      normalizeConfig({
        pools: { web: { servers: [{ name: 'a', url: 'http://x:1', weight: 'x' }], retrys: 1 } },
        routes: [{ pool: 'api' }],
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues).toEqual([
      { path: 'pools.web.servers[0].weight', message: 'must be an integer from 1 to 1000 (got "x")' },
      { path: 'pools.web.retrys', message: 'unknown field "retrys"; did you mean "retry"?' },
      { path: 'routes[0].pool', message: 'names pool "api", which does not exist (pools: web)' },
    ]);
    expect(error?.message).toContain('config: pools.web.servers[0].weight: must be an integer');
  });

  it('rejects what is not a config object', () => {
    expect(() => normalizeConfig(null)).toThrow('(root): must be a mapping of fields (got null)');
    expect(() => normalizeConfig('pools')).toThrow('(root): must be a mapping of fields (got "pools")');
  });
});
