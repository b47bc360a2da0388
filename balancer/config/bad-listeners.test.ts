import { describe, expect, it } from 'vitest';
import { expectRow, POOL, type Row } from './bad-config.fixture.ts';

const TCP_POOL = `  db:
    mode: tcp
    servers:
      - { name: db1, url: "tcp://127.0.0.1:5432" }
`;

/** Bad listeners: tcp listeners and pools, TLS, and the shorthand against the list. */
const BAD: Row[] = [
  {
    name: 'listen and listeners together',
    text: `listen: 8080\nlisteners:\n  - { listen: 8081 }\n${POOL}`,
    path: 'listen',
    line: 1,
    says: 'set either listen (with tls) for one http listener, or listeners, not both',
  },
  {
    name: 'a listener without listen',
    text: `listeners:\n  - { name: web }\n${POOL}`,
    path: 'listeners[0].listen',
    line: 2,
    says: 'is required',
  },
  {
    name: 'unknown listener mode',
    text: `listeners:\n  - { listen: 8080, mode: udp }\n${POOL}`,
    path: 'listeners[0].mode',
    line: 2,
    says: 'must be one of http, tcp (got "udp")',
  },
  {
    name: 'a tcp listener naming an http pool',
    text: `listeners:\n  - { listen: 8080 }\n  - { listen: 5433, mode: tcp, pool: web }\n${POOL}${TCP_POOL}`,
    path: 'listeners[1].pool',
    line: 3,
    says: 'names pool "web", which balances HTTP requests: a tcp listener needs a pool with mode: tcp (tcp pools: db)',
  },
  {
    name: 'a tcp listener without pool',
    text: `listeners:\n  - { listen: 8080 }\n  - { listen: 5433, mode: tcp }\n${POOL}`,
    path: 'listeners[1].pool',
    line: 3,
    says: 'is required for mode tcp',
  },
  {
    name: 'tls on a tcp listener',
    text: `listeners:\n  - { listen: 8080 }\n  - { listen: 5433, mode: tcp, pool: db, tls: { cert: a.pem, key: a.key } }\n${POOL}${TCP_POOL}`,
    path: 'listeners[1].tls',
    line: 3,
    says: 'applies only to mode http',
  },
  {
    name: 'pool on an http listener',
    text: `listeners:\n  - { listen: 8080, pool: web }\n${POOL}`,
    path: 'listeners[0].pool',
    line: 2,
    says: 'applies only to mode tcp',
  },
  {
    name: 'two listeners on one address',
    text: `listeners:\n  - { listen: 8080 }\n  - { listen: "127.0.0.1:8080", mode: tcp, pool: db }\n${POOL}${TCP_POOL}`,
    path: 'listeners[1]',
    line: 3,
    says: 'listens on 127.0.0.1:8080, as http-0 does: each listener needs its own address',
  },
  {
    name: 'a tcp pool no listener reaches',
    text: `${POOL}${TCP_POOL}`,
    path: 'pools.db.mode',
    line: 6,
    says: 'tcp pool db is reached by no listener',
  },
  {
    name: 'a route to a tcp pool',
    text: `listeners:\n  - { listen: 8080 }\n  - { listen: 5433, mode: tcp, pool: db }\n${POOL}${TCP_POOL}routes:\n  - { path: /, pool: db }\n`,
    path: 'routes[0].pool',
    line: 13,
    says: 'names pool "db", which has mode: tcp',
  },
  {
    name: 'an http url in a tcp pool',
    text: `listeners:\n  - { listen: 8080 }\n  - { listen: 5433, mode: tcp, pool: db }\n${POOL}  db:\n    mode: tcp\n    servers: [{ name: db1, url: "http://127.0.0.1:5432" }]\n`,
    path: 'pools.db.servers[0].url',
    line: 10,
    says: 'must be tcp://host:port in a tcp pool',
  },
  {
    name: 'a tcp url in an http pool',
    text: 'pools:\n  web:\n    servers: [{ name: a, url: "tcp://127.0.0.1:1" }]\n',
    path: 'pools.web.servers[0].url',
    line: 3,
    says: 'tcp:// servers belong in a pool with mode: tcp',
  },
  {
    name: 'a tcp url without port',
    text: 'pools:\n  web:\n    servers: [{ name: a, url: "tcp://127.0.0.1" }]\n',
    path: 'pools.web.servers[0].url',
    line: 3,
    says: 'must name a port',
  },
  {
    name: 'sticky on a tcp pool',
    text: `listeners:\n  - { listen: 5433, mode: tcp, pool: db }\npools:\n${TCP_POOL}    sticky: true\n`,
    path: 'pools.db.sticky',
    line: 8,
    says: 'applies only to mode http (this pool balances TCP connections)',
  },
  {
    name: 'latency algorithm on a tcp pool',
    text: `listeners:\n  - { listen: 5433, mode: tcp, pool: db }\npools:\n${TCP_POOL}    algorithm: latency\n`,
    path: 'pools.db.algorithm',
    line: 8,
    says: 'latency measures HTTP answers',
  },
  {
    name: 'http health check on a tcp pool',
    text: `listeners:\n  - { listen: 5433, mode: tcp, pool: db }\npools:\n${TCP_POOL}    health: { type: http }\n`,
    path: 'pools.db.health.type',
    line: 8,
    says: 'must be tcp in a tcp pool',
  },
  {
    name: 'drainTimeout on an http pool',
    text: `${POOL}    drainTimeout: 5s\n`,
    path: 'pools.web.drainTimeout',
    line: 5,
    says: 'applies only to mode tcp',
  },
  {
    name: 'tls without a certificate',
    text: `tls: { minVersion: TLSv1.2 }\n${POOL}`,
    path: 'tls',
    line: 1,
    says: 'needs a certificate',
  },
  {
    name: 'tls certificate file missing',
    text: `tls: { cert: /nonexistent/site.pem, key: /nonexistent/site.key }\n${POOL}`,
    path: 'tls.cert',
    line: 1,
    says: 'cannot read /nonexistent/site.pem: no such file (ENOENT)',
  },
  {
    name: 'tls key without cert',
    text: `tls: { key: site.key }\n${POOL}`,
    path: 'tls.cert',
    line: 1,
    says: 'is required: the certificate PEM file',
  },
  {
    name: 'tls minVersion unknown',
    text: `tls: { cert: a.pem, key: a.key, minVersion: TLSv1.1 }\n${POOL}`,
    path: 'tls.minVersion',
    line: 1,
    says: 'must be one of TLSv1.2, TLSv1.3',
  },
  {
    name: 'a pool CA file missing',
    text: `${POOL}    tls: { ca: /nonexistent/ca.pem }\n`,
    path: 'pools.web.tls.ca',
    line: 5,
    says: 'cannot read /nonexistent/ca.pem',
  },
];

describe('bad listeners, tcp pools and TLS are refused with file, line and field', () => {
  for (const row of BAD) it(row.name, () => expectRow(row));
  it('every row names a distinct case', () => {
    expect(new Set(BAD.map((r) => r.name)).size).toBe(BAD.length);
  });
});
