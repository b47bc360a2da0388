import { describe, expect, it } from 'vitest';
import { expectRow, POOL, pool, type Row, server } from './bad-config.fixture.ts';

/** Bad pools: algorithm and hash, servers, health checks, retry, outlier, breaker, queue. */
const BAD: Row[] = [
  // algorithm and hash
  {
    name: 'unknown algorithm',
    text: pool('    algorithm: round-robbin\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n'),
    path: 'pools.web.algorithm',
    line: 3,
    says: ['must be one of round-robin, weighted-round-robin', 'did you mean "round-robin"?'],
  },
  {
    name: 'hash without consistent-hash',
    text: `${POOL}    hash: { key: client-ip }\n`,
    path: 'pools.web.hash',
    line: 5,
    says: 'applies only to algorithm consistent-hash (this pool uses weighted-round-robin)',
  },
  {
    name: 'hash with ip-hash',
    text: `${POOL}    algorithm: ip-hash\n    hash: { key: client-ip }\n`,
    path: 'pools.web.hash',
    line: 6,
    says: 'which always hashes the client IP',
  },
  {
    name: 'hash header without name',
    text: pool(
      '    algorithm: consistent-hash\n    hash: { key: header }\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n',
    ),
    path: 'pools.web.hash.name',
    line: 4,
    says: 'is required with key header',
  },
  {
    name: 'hash key unknown',
    text: `${POOL}    algorithm: consistent-hash\n    hash: { key: cookies, name: sid }\n`,
    path: 'pools.web.hash.key',
    line: 6,
    says: 'did you mean "cookie"?',
  },
  // servers
  {
    name: 'server without url',
    text: pool('    servers:\n      - name: a\n'),
    path: 'pools.web.servers[0].url',
    line: 4,
    says: 'is required',
  },
  {
    name: 'server without name',
    text: pool('    servers:\n      - url: http://127.0.0.1:1\n'),
    path: 'pools.web.servers[0].name',
    line: 4,
    says: 'is required',
  },
  {
    name: 'weight not a number',
    text: server('weight: heavy'),
    path: 'pools.web.servers[0].weight',
    line: 4,
    says: 'must be an integer from 1 to 1000 (got "heavy")',
  },
  {
    name: 'weight zero',
    text: pool('    servers:\n      - name: a\n        url: http://127.0.0.1:1\n        weight: 0\n'),
    path: 'pools.web.servers[0].weight',
    line: 6,
    says: 'from 1 to 1000 (got 0)',
  },
  {
    name: 'weight too big',
    text: server('weight: 1001'),
    path: 'pools.web.servers[0].weight',
    line: 4,
    says: '(got 1001)',
  },
  {
    name: 'weight fractional',
    text: server('weight: 2.5'),
    path: 'pools.web.servers[0].weight',
    line: 4,
    says: 'must be an integer',
  },
  {
    name: 'https backend',
    text: pool('    servers: [{ name: a, url: "https://127.0.0.1:1" }]\n'),
    path: 'pools.web.servers[0].url',
    line: 3,
    says: 'must use http://',
  },
  {
    name: 'backend url with path',
    text: pool('    servers: [{ name: a, url: "http://127.0.0.1:1/api" }]\n'),
    path: 'pools.web.servers[0].url',
    line: 3,
    says: 'must not have a path (got "/api")',
  },
  {
    name: 'backend url with query',
    text: pool('    servers: [{ name: a, url: "http://127.0.0.1:1/?x=1" }]\n'),
    path: 'pools.web.servers[0].url',
    line: 3,
    says: 'must not have a query',
  },
  {
    name: 'not a URL',
    text: pool('    servers: [{ name: a, url: "127.0.0.1:1" }]\n'),
    path: 'pools.web.servers[0].url',
    line: 3,
    says: 'must be an absolute URL',
  },
  {
    name: 'duplicate server names',
    text: pool(
      '    servers:\n      - { name: a, url: "http://127.0.0.1:1" }\n      - { name: a, url: "http://127.0.0.1:2" }\n',
    ),
    path: 'pools.web.servers[1].name',
    line: 5,
    says: ['already the name of servers[0]', 'must be unique in pool web'],
  },
  {
    name: 'bad server name',
    text: pool('    servers: [{ name: "app 1", url: "http://127.0.0.1:1" }]\n'),
    path: 'pools.web.servers[0].name',
    line: 3,
    says: 'may contain only letters',
  },
  {
    name: 'only backups',
    text: server('backup: true'),
    path: 'pools.web.servers',
    line: 3,
    says: 'at least one primary',
  },
  {
    name: 'no servers',
    text: pool('    servers: []\n'),
    path: 'pools.web.servers',
    line: 3,
    says: 'at least one server',
  },
  {
    name: 'servers missing',
    text: pool('    algorithm: random\n'),
    path: 'pools.web.servers',
    line: 2,
    says: 'is required: a list of servers',
  },
  {
    name: 'server a string',
    text: pool('    servers:\n      - app1\n'),
    path: 'pools.web.servers[0]',
    line: 4,
    says: 'must be a mapping such as { name: app1',
  },
  {
    name: 'backup not boolean',
    text: server('backup: "yes"'),
    path: 'pools.web.servers[0].backup',
    line: 4,
    says: 'must be true or false (got "yes")',
  },
  {
    name: 'maxConnections negative',
    text: server('maxConnections: -1'),
    path: 'pools.web.servers[0].maxConnections',
    line: 4,
    says: 'from 0 to',
  },
  // health
  {
    name: 'health type missing',
    text: `${POOL}    health: { path: /health }\n`,
    path: 'pools.web.health.type',
    line: 5,
    says: 'is required: http or tcp',
  },
  {
    name: 'health type unknown',
    text: `${POOL}    health: { type: grpc }\n`,
    path: 'pools.web.health.type',
    line: 5,
    says: 'must be one of http, tcp',
  },
  {
    name: 'health timeout above interval',
    text: `${POOL}    health: { type: http, interval: 1s, timeout: 2s }\n`,
    path: 'pools.web.health.timeout',
    line: 5,
    says: 'must not exceed health.interval (2s > 1s)',
  },
  {
    name: 'health fastInterval above interval',
    text: `${POOL}    health: { type: http, interval: 1s, fastInterval: 2s }\n`,
    path: 'pools.web.health.fastInterval',
    line: 5,
    says: 'must not exceed health.interval',
  },
  {
    name: 'health interval too short',
    text: `${POOL}    health: { type: tcp, interval: 10ms }\n`,
    path: 'pools.web.health.interval',
    line: 5,
    says: 'must be at least 50ms',
  },
  {
    name: 'health path without slash',
    text: `${POOL}    health: { type: http, path: health }\n`,
    path: 'pools.web.health.path',
    line: 5,
    says: 'must start with "/"',
  },
  {
    name: 'tcp check with path',
    text: `${POOL}    health: { type: tcp, path: /health }\n`,
    path: 'pools.web.health.path',
    line: 5,
    says: 'applies only to type http',
  },
  {
    name: 'expectStatus reversed',
    text: `${POOL}    health: { type: http, expectStatus: 399-200 }\n`,
    path: 'pools.web.health.expectStatus',
    line: 5,
    says: 'min <= max (got "399-200")',
  },
  {
    name: 'expectStatus out of range',
    text: `${POOL}    health: { type: http, expectStatus: 600 }\n`,
    path: 'pools.web.health.expectStatus',
    line: 5,
    says: 'from 100 to 599',
  },
  {
    name: 'expectStatus list reversed',
    text: `${POOL}    health: { type: http, expectStatus: [399, 200] }\n`,
    path: 'pools.web.health.expectStatus',
    line: 5,
    says: '(got [399,200])',
  },
  {
    name: 'rise zero',
    text: `${POOL}    health: { type: http, rise: 0 }\n`,
    path: 'pools.web.health.rise',
    line: 5,
    says: 'from 1 to 100',
  },
  // retry, outlier, breaker, queue
  {
    name: 'retries twice',
    text: `${POOL}    retries: 1\n    retry: { retries: 2 }\n`,
    path: 'pools.web.retries',
    line: 5,
    says: 'either retries or retry.retries, not both',
  },
  {
    name: 'retries negative',
    text: `${POOL}    retries: -1\n`,
    path: 'pools.web.retries',
    line: 5,
    says: 'from 0 to 10',
  },
  {
    name: 'retry budget above 100',
    text: `${POOL}    retry: { budgetPercent: 150 }\n`,
    path: 'pools.web.retry.budgetPercent',
    line: 5,
    says: 'from 0 to 100 (got 150)',
  },
  {
    name: 'breaker ratio above 1',
    text: `${POOL}    breaker: { failureRatio: 1.5 }\n`,
    path: 'pools.web.breaker.failureRatio',
    line: 5,
    says: 'from 0 to 1',
  },
  {
    name: 'breaker enabled "on"',
    text: `${POOL}    breaker: { enabled: "on" }\n`,
    path: 'pools.web.breaker.enabled',
    line: 5,
    says: 'must be true or false',
  },
  {
    name: 'outlier percent above 100',
    text: `${POOL}    outlier: { maxEjectionPercent: 150 }\n`,
    path: 'pools.web.outlier.maxEjectionPercent',
    line: 5,
    says: 'from 0 to 100',
  },
  {
    name: 'outlier max below base',
    text: `${POOL}    outlier: { baseEjectionTime: 30s, maxEjectionTime: 10s }\n`,
    path: 'pools.web.outlier.maxEjectionTime',
    line: 5,
    says: 'must not be shorter than outlier.baseEjectionTime (10s < 30s)',
  },
  {
    name: 'queue size negative',
    text: `${POOL}    queue: { size: -1 }\n`,
    path: 'pools.web.queue.size',
    line: 5,
    says: 'from 0 to 1000000',
  },
];

describe('bad pools: one clear message each, with path and line', () => {
  it('has at least 25 distinct rows', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(25);
    expect(new Set(BAD.map((r) => r.name)).size).toBe(BAD.length);
  });

  it.each(BAD)('$name', (row) => expectRow(row));
});
