import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { type Balancer, type BalancerEvent, loadConfigSource } from '../../balancer/index.ts';
import { startBalancerFromFile } from '../fixtures/balancer-file.ts';
import { createCa, type IssuedCertificate, type TestCa } from '../fixtures/certificates.ts';

let balancer: Balancer | undefined;
const servers: http.Server[] = [];
afterEach(async () => {
  await balancer?.stop({ deadlineMs: 500 });
  balancer = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A backend that answers with its name and the forwarding headers it got. */
async function echoBackend(name: string, tls?: IssuedCertificate): Promise<string> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/health') return void res.end('ok');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        name,
        proto: req.headers['x-forwarded-proto'],
        host: req.headers['x-forwarded-host'],
      }),
    );
  };
  const server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, handler)
    : http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  fingerprint: string | undefined;
  protocol: string | null | undefined;
}

/** One HTTPS request with the CA trusted and `servername` as SNI. */
function get(url: string, options: https.RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { agent: false, ...options }, (res) => {
      const socket = res.socket as TLSSocket;
      const fingerprint = socket.getPeerCertificate?.().fingerprint256;
      const protocol = socket.getProtocol?.();
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, fingerprint, protocol }),
      );
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function start(text: string, dir: string): Promise<{ file: string; events: BalancerEvent[] }> {
  const started = await startBalancerFromFile(dir, text);
  balancer = started.balancer;
  return started;
}

async function setup(): Promise<{ dir: string; ca: TestCa; a: IssuedCertificate; b: IssuedCertificate }> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-tls-'));
  const ca = await createCa(dir);
  const a = await ca.issue(['a.example.com'], dir);
  const b = await ca.issue(['b.example.com', '*.api.example.com'], dir);
  return { dir, ca, a, b };
}

describe('TLS termination', () => {
  it('a key that does not belong to its certificate is refused when the config loads, naming file and line', async () => {
    const { dir } = await setup();
    const file = join(dir, 'balancer.yaml');
    await writeFile(
      file,
      'listen: 127.0.0.1:0\ntls:\n  certificates:\n    - { cert: a.example.com.pem, key: b.example.com.key }\npools: { web: { servers: [{ name: a, url: "http://127.0.0.1:1" }] } }\n',
    );
    await expect(loadConfigSource(file)).rejects.toThrow(
      `${file}:4: tls.certificates[0].key: ${join(dir, 'b.example.com.key')} does not belong to the certificate ${join(dir, 'a.example.com.pem')}`,
    );
  });

  it('HTTPS with SNI choosing between two certificates; X-Forwarded-Proto https; plain HTTP redirected', async () => {
    const { dir, ca, a, b } = await setup();
    const backend = await echoBackend('app1');
    await start(
      `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
tls:
  certificates:
    - { cert: a.example.com.pem, key: a.example.com.key }
    - { cert: b.example.com.pem, key: b.example.com.key }
  redirectHttp: 127.0.0.1:0
pools:
  web:
    servers: [{ name: app1, url: "${backend}" }]
`,
      dir,
    );
    const b0 = balancer as Balancer;
    expect(b0.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const trust = { ca: ca.cert };
    const forA = await get(`${b0.url}/x`, { ...trust, servername: 'a.example.com' });
    expect(forA.status).toBe(200);
    expect(forA.fingerprint).toBe(a.fingerprint256);
    expect(JSON.parse(forA.body)).toMatchObject({ name: 'app1', proto: 'https' });
    const forB = await get(`${b0.url}/`, { ...trust, servername: 'b.example.com' });
    expect(forB.fingerprint).toBe(b.fingerprint256);
    // A wildcard covers one label; an unknown name gets the first certificate (the default).
    expect((await get(`${b0.url}/`, { ...trust, servername: 'v1.api.example.com' })).fingerprint).toBe(
      b.fingerprint256,
    );
    const unknown = await get(`${b0.url}/`, {
      ...trust,
      servername: 'c.example.com',
      checkServerIdentity: () => undefined,
    });
    expect(unknown.fingerprint).toBe(a.fingerprint256);

    const redirect = b0.listenerAddresses()['https/redirect'];
    expect(redirect).toBeDefined();
    expect(b0.listenerUrls().map((l) => l.name)).toEqual(['https', 'https/redirect']);
    const plain = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get(
          { host: '127.0.0.1', port: redirect?.port, path: '/shop?q=1', headers: { host: 'a.example.com' } },
          resolve,
        )
        .on('error', reject),
    );
    plain.resume();
    expect(plain.statusCode).toBe(308);
    expect(plain.headers.location).toBe(`https://a.example.com:${b0.address.port}/shop?q=1`);
  });

  it('minVersion TLSv1.3 refuses a TLS 1.2 client; a TLS 1.3 client gets through', async () => {
    const { dir, ca } = await setup();
    const backend = await echoBackend('app1');
    await start(
      `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
tls: { cert: a.example.com.pem, key: a.example.com.key, minVersion: TLSv1.3 }
pools: { web: { servers: [{ name: app1, url: "${backend}" }] } }
`,
      dir,
    );
    const url = (balancer as Balancer).url;
    const ok = await get(url, { ca: ca.cert, servername: 'a.example.com' });
    expect(ok.protocol).toBe('TLSv1.3');
    await expect(
      get(url, { ca: ca.cert, servername: 'a.example.com', maxVersion: 'TLSv1.2' }),
    ).rejects.toThrow();
  });

  it('certificates reloaded under load: no failed request, new handshakes get the new certificate', async () => {
    const { dir, ca, a } = await setup();
    const backend = await echoBackend('app1');
    await writeFile(join(dir, 'site.pem'), a.cert);
    await writeFile(join(dir, 'site.key'), a.key);
    const { file, events } = await start(
      `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
tls: { cert: site.pem, key: site.key }
pools: { web: { servers: [{ name: app1, url: "${backend}" }] } }
`,
      dir,
    );
    const url = (balancer as Balancer).url;
    const trust = { ca: ca.cert, servername: 'a.example.com' };
    // No session cache: a resumed TLS session sends no certificate, and each answer's is checked.
    const keptAlive = new https.Agent({ keepAlive: true, maxSockets: 4, maxCachedSessions: 0, ...trust });
    const renewed = await ca.issue(['a.example.com'], dir, 'renewed');
    const answers: Promise<Answer>[] = [];
    const deadline = Date.now() + 1500;
    let reloaded: Promise<string[]> | undefined;
    for (let i = 0; Date.now() < deadline && i < 300; i++) {
      // Half on kept-alive connections (opened before the reload), half on new handshakes.
      answers.push(
        get(url, i % 2 === 0 ? { agent: keptAlive } : trust).catch((err: Error) => ({
          status: 0,
          body: err.message,
          headers: {},
          fingerprint: undefined,
          protocol: undefined,
        })),
      );
      if (i === 40) {
        await writeFile(join(dir, 'site.pem'), renewed.cert);
        await writeFile(join(dir, 'site.key'), renewed.key);
        reloaded = (balancer as Balancer).reloadFile();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await reloaded).toEqual(['listener https: TLS certificates or settings changed (a.example.com)']);
    const all = await Promise.all(answers);
    keptAlive.destroy();
    expect(all.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    expect(new Set(all.map((r) => r.fingerprint))).toEqual(
      new Set([a.fingerprint256, renewed.fingerprint256]),
    );
    const fresh = await get(url, trust);
    expect(fresh.fingerprint).toBe(renewed.fingerprint256);
    expect(events.find((e) => e.kind === 'config-reloaded')).toMatchObject({ source: file });
  });

  it('TLS to https:// backends with the pool CA; without it the backend is refused as unverified', async () => {
    const { dir, ca } = await setup();
    const serverCert = await ca.issue(['127.0.0.1'], dir, 'backend');
    const backend = await echoBackend('secure1', serverCert);
    await start(
      `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
pools:
  web:
    servers: [{ name: secure1, url: "${backend}" }]
    health: { type: http, path: /health, interval: 200ms, rise: 1, fall: 1 }
    tls: { ca: ca.pem }
  untrusted:
    servers: [{ name: secure2, url: "${backend}" }]
    retries: 0
routes:
  - { path: /, pool: web }
  - { path: /untrusted, pool: untrusted }
`,
      dir,
    );
    const b0 = balancer as Balancer;
    const ok = await new Promise<{ status: number; body: string }>((resolve, reject) =>
      http
        .get(`${b0.url}/`, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject),
    );
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ name: 'secure1', proto: 'http' });
    await new Promise((r) => setTimeout(r, 500));
    expect(b0.pool('web').byName('secure1').healthy).toBe(true);
    const refused = await new Promise<number>((resolve, reject) =>
      http.get(`${b0.url}/untrusted`, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject),
    );
    expect(refused).toBe(502);
  });
});
