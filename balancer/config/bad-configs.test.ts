import { describe, expect, it } from 'vitest';
import { expectRow, POOL, pool, type Row, server } from './bad-config.fixture.ts';

/** Bad configs outside the pools: file, fields, listen, admin, durations, routes, environment, JSON. */
const BAD: Row[] = [
  // file level
  { name: 'not YAML', text: 'pools: [unclosed', path: '', line: 1, says: 'not valid YAML/JSON' },
  {
    name: 'duplicate key',
    text: `listen: 1\nlisten: 2\n${POOL}`,
    path: '',
    line: 2,
    says: 'not valid YAML/JSON',
  },
  { name: 'empty file', text: '', path: '', line: undefined, says: 'the config is empty' },
  { name: 'only comments', text: '# nothing yet\n', path: '', line: undefined, says: 'the config is empty' },
  {
    name: 'a list at the top',
    text: '- a\n- b\n',
    path: '',
    line: 1,
    says: 'must be a mapping of fields (got a list)',
  },
  { name: 'no pools', text: 'listen: 8080\n', path: 'pools', line: undefined, says: 'is required' },
  {
    name: 'pools a list',
    text: 'pools: [1, 2]\n',
    path: 'pools',
    line: 1,
    says: 'must be a mapping of pool names',
  },
  { name: 'no pool at all', text: 'pools: {}\n', path: 'pools', line: 1, says: 'needs at least one pool' },
  {
    name: 'bad pool name',
    text: 'pools:\n  web app:\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n',
    path: 'pools.web app',
    line: 2,
    says: 'may contain only letters, digits',
  },
  // unknown fields, with suggestions
  {
    name: 'unknown top-level field',
    text: `lissen: 8080\n${POOL}`,
    path: 'lissen',
    line: 1,
    says: 'unknown field "lissen"; did you mean "listen"?',
  },
  {
    name: 'unknown field, no near match',
    text: `colour: red\n${POOL}`,
    path: 'colour',
    line: 1,
    says: ['unknown field "colour"', 'known fields: listen, tls, listeners, admin, timeouts'],
  },
  {
    name: 'unknown pool field',
    text: pool('    algorythm: random\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n'),
    path: 'pools.web.algorythm',
    line: 3,
    says: 'did you mean "algorithm"?',
  },
  {
    name: 'unknown server field',
    text: server('wieght: 2'),
    path: 'pools.web.servers[0].wieght',
    line: 4,
    says: 'did you mean "weight"?',
  },
  {
    name: 'unknown health field',
    text: `${POOL}    health:\n      type: http\n      intervall: 1s\n`,
    path: 'pools.web.health.intervall',
    line: 7,
    says: 'did you mean "interval"?',
  },
  // listen addresses
  {
    name: 'listen without port',
    text: `listen: localhost\n${POOL}`,
    path: 'listen',
    line: 1,
    says: 'must be "host:port"',
  },
  {
    name: 'listen port too big',
    text: `listen: 127.0.0.1:70000\n${POOL}`,
    path: 'listen',
    line: 1,
    says: 'port must be from 0 to 65535 (got 70000)',
  },
  {
    name: 'listen a mapping',
    text: `listen: { port: 80 }\n${POOL}`,
    path: 'listen',
    line: 1,
    says: 'must be a string or a number',
  },
  {
    name: 'listen bad IPv6',
    text: `listen: "[::zz]:80"\n${POOL}`,
    path: 'listen',
    line: 1,
    says: 'is not an IPv6 address',
  },
  // admin
  {
    name: 'public admin without token',
    text: `admin: { listen: 0.0.0.0:9090 }\n${POOL}`,
    path: 'admin.listen',
    line: 1,
    says: ['refusing to expose the admin API on 0.0.0.0:9090 without a token', 'requires admin.token'],
  },
  {
    name: 'all-interfaces admin without token',
    text: `admin:\n  listen: ":9090"\n  token: \${T:-}\n${POOL}`,
    path: 'admin.listen',
    line: 2,
    says: 'refusing to expose the admin API on 0.0.0.0:9090',
  },
  {
    name: 'short admin token',
    text: `admin: { token: short }\n${POOL}`,
    path: 'admin.token',
    line: 1,
    says: 'at least 16 characters (got 5)',
  },
  {
    name: 'admin token a number',
    text: `admin: { token: 1234 }\n${POOL}`,
    path: 'admin.token',
    line: 1,
    says: 'must be a string (got 1234); quote it',
  },
  // durations
  {
    name: 'bad duration',
    text: `${POOL}    health: { type: http, interval: 1 second }\n`,
    path: 'pools.web.health.interval',
    line: 5,
    says: 'must be a duration such as 250ms, 1.5s, 2m, 1h, or whole milliseconds as a number (got "1 second")',
  },
  {
    name: 'negative duration',
    text: `shutdownTimeout: -5\n${POOL}`,
    path: 'shutdownTimeout',
    line: 1,
    says: 'must be a duration',
  },
  {
    name: 'fractional milliseconds',
    text: `shutdownTimeout: 1.5\n${POOL}`,
    path: 'shutdownTimeout',
    line: 1,
    says: 'whole milliseconds',
  },
  {
    name: 'zero connect timeout',
    text: `timeouts: { connect: 0s }\n${POOL}`,
    path: 'timeouts.connect',
    line: 1,
    says: 'must be at least 1ms (got "0s")',
  },
  {
    name: 'duration too long',
    text: `timeouts: { idle: 600h }\n${POOL}`,
    path: 'timeouts.idle',
    line: 1,
    says: 'at most 24 days',
  },
  // routes
  {
    name: 'route to unknown pool',
    text: `${POOL}routes:\n  - { host: "*", path: /, pool: api }\n`,
    path: 'routes[0].pool',
    line: 6,
    says: 'names pool "api", which does not exist (pools: web)',
  },
  {
    name: 'route pool misspelt',
    text: `${POOL}routes:\n  - { pool: Web }\n`,
    path: 'routes[0].pool',
    line: 6,
    says: 'did you mean "web"?',
  },
  {
    name: 'route without pool',
    text: `${POOL}routes:\n  - { path: /api }\n`,
    path: 'routes[0].pool',
    line: 6,
    says: 'is required (pools: web)',
  },
  {
    name: 'route path without slash',
    text: `${POOL}routes:\n  - { path: api, pool: web }\n`,
    path: 'routes[0].path',
    line: 6,
    says: 'must start with "/"',
  },
  {
    name: 'route host invalid',
    text: `${POOL}routes:\n  - { host: "a b.test", pool: web }\n`,
    path: 'routes[0].host',
    line: 6,
    says: 'must be "*", a host name, or "*.suffix"',
  },
  {
    name: 'duplicate routes',
    text: `${POOL}routes:\n  - { path: /, pool: web }\n  - { host: "*", path: /, pool: web }\n`,
    path: 'routes[1]',
    line: 7,
    says: 'duplicates routes[0] (host *, path /)',
  },
  {
    name: 'routes missing with two pools',
    text: `${POOL}  api:\n    servers: [{ name: b, url: "http://127.0.0.1:2" }]\n`,
    path: 'routes',
    line: undefined,
    says: 'is required when there is more than one pool (pools: web, api)',
  },
  {
    name: 'routes empty',
    text: `${POOL}routes: []\n`,
    path: 'routes',
    line: 5,
    says: 'needs at least one route',
  },
  {
    name: 'routes a mapping',
    text: `${POOL}routes: { pool: web }\n`,
    path: 'routes',
    line: 5,
    says: 'must be a list of routes (got a mapping)',
  },
  // environment
  {
    name: 'unset environment variable',
    text: `admin:\n  token: \${FAULTLINE_ADMIN_TOKEN}\n${POOL}`,
    path: 'admin.token',
    line: 2,
    says: ['environment variable FAULTLINE_ADMIN_TOKEN is not set', `\${FAULTLINE_ADMIN_TOKEN:-default}`],
  },
  {
    name: 'malformed environment reference',
    text: `listen: \${1PORT}\n${POOL}`,
    path: 'listen',
    line: 1,
    says: `malformed environment reference \${1PORT}`,
  },
  // client timeouts and limits
  {
    name: 'client header timeout longer than the request timeout',
    text: `timeouts: { clientHeaders: 40s }\n${POOL}`,
    path: 'timeouts.clientHeaders',
    line: 1,
    says: 'timeouts.clientHeaders (40s) must not exceed timeouts.clientRequest (30s)',
  },
  {
    name: 'client request timeout zero',
    text: `timeouts: { clientRequest: 0 }\n${POOL}`,
    path: 'timeouts.clientRequest',
    line: 1,
    says: 'must be at least 1ms (got 0)',
  },
  {
    name: 'body size in decimal units',
    text: `limits: { maxBodySize: 1MB }\n${POOL}`,
    path: 'limits.maxBodySize',
    line: 1,
    says: 'must be a size such as 65536, 64KiB, 1MiB or 1GiB (got "1MB")',
  },
  {
    name: 'header size below 1 KiB',
    text: `limits: { maxHeaderSize: 512 }\n${POOL}`,
    path: 'limits.maxHeaderSize',
    line: 1,
    says: 'must be from 1024 to 1048576 bytes (got 512)',
  },
  {
    name: 'oversized body policy misspelt',
    text: `limits: { oversizedBody: rejct }\n${POOL}`,
    path: 'limits.oversizedBody',
    line: 1,
    says: 'must be one of stream, reject (got "rejct"); did you mean "reject"?',
  },
  {
    name: 'no connections allowed',
    text: `limits: { maxConnections: 0 }\n${POOL}`,
    path: 'limits.maxConnections',
    line: 1,
    says: 'must be an integer from 1 to 1000000 (got 0)',
  },
  {
    name: 'unknown limits field',
    text: `limits: { maxBodySise: 1MiB }\n${POOL}`,
    path: 'limits.maxBodySise',
    line: 1,
    says: 'did you mean "maxBodySize"?',
  },
  {
    name: 'route path with dot segments',
    text: `${POOL}routes:\n  - { path: /open/../internal, pool: web }\n`,
    path: 'routes[0].path',
    line: 6,
    says: 'must be a normalised path, as requests are matched after normalisation (got /open/../internal; use /internal)',
  },
  {
    name: 'route path with an escaped slash',
    text: `${POOL}routes:\n  - { path: /a%2Fb, pool: web }\n`,
    path: 'routes[0].path',
    line: 6,
    says: 'a path must not contain an escaped slash (%2F)',
  },
  // JSON
  {
    name: 'JSON with a bad weight',
    text: '{\n  "pools": {\n    "web": {\n      "servers": [{ "name": "a", "url": "http://127.0.0.1:1", "weight": -3 }]\n    }\n  }\n}\n',
    path: 'pools.web.servers[0].weight',
    line: 4,
    says: '(got -3)',
  },
  {
    name: 'JSON with an unknown field',
    text: '{\n  "listen": 8080,\n  "shutdownTimout": "5s",\n  "pools": { "web": { "servers": [{ "name": "a", "url": "http://127.0.0.1:1" }] } }\n}\n',
    path: 'shutdownTimout',
    line: 3,
    says: 'did you mean "shutdownTimeout"?',
  },
  { name: 'JSON unclosed', text: '{\n  "pools": {\n', path: '', line: 3, says: 'not valid YAML/JSON' },
];

describe('bad configs: one clear message each, with path and line', () => {
  it('has at least 25 distinct rows', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(25);
    expect(new Set(BAD.map((r) => r.name)).size).toBe(BAD.length);
  });

  it.each(BAD)('$name', (row) => expectRow(row));
});
