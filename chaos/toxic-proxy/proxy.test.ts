import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToxicProxyServer } from './proxy-server.ts';
import {
  connect,
  outcome,
  receive,
  roundTrip,
  sleep,
  startBlast,
  startEcho,
  startServer,
  type TestServer,
} from './test-fixtures.ts';

let server: ToxicProxyServer;
let upstream: TestServer;
const sockets: Socket[] = [];

async function open(address: string): Promise<Socket> {
  const socket = await connect(address);
  sockets.push(socket);
  return socket;
}

async function proxyTo(target: TestServer, name = 'app'): Promise<string> {
  const info = await server.createProxy({ name, listen: '127.0.0.1:0', upstream: target.address });
  return info.listen;
}

beforeEach(async () => {
  server = new ToxicProxyServer();
  upstream = await startEcho();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server.close();
  await upstream.close();
});

describe('plain proxying', () => {
  it('pipes both ways and reports the real port', async () => {
    const listen = await proxyTo(upstream);
    expect(listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    const socket = await open(listen);
    expect(await roundTrip(socket, 'hello')).toBeLessThan(1000);
    const big = 'y'.repeat(2_000_000); // exercises flow control in both directions
    await roundTrip(socket, big);
  });

  it('carries many connections at once, each to its own upstream connection', async () => {
    const listen = await proxyTo(upstream);
    const clients = await Promise.all(Array.from({ length: 30 }, () => open(listen)));
    await Promise.all(clients.map((c, i) => roundTrip(c, `client-${i}-`.repeat(100))));
  });

  it('passes the FIN on: half-close works', async () => {
    const listen = await proxyTo(upstream);
    const socket = await open(listen);
    const done = outcome(socket);
    socket.end('bye');
    const result = await done;
    expect(result.data.toString()).toBe('bye');
    expect(result.error).toBeUndefined();
  });

  it('closes the client when the upstream refuses, without crashing', async () => {
    const dead = await startEcho();
    await dead.close();
    const listen = await proxyTo(dead);
    const result = await outcome(await open(listen));
    expect(result.data.length).toBe(0);
  });
});

describe('latency', () => {
  it('adds its value to a round trip, and only while present', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'latency', attributes: { latency: 200 } });
    const socket = await open(listen);
    const slow = await roundTrip(socket, 'ping');
    expect(slow).toBeGreaterThanOrEqual(195);
    expect(slow).toBeLessThan(200 + 600);
    expect(server.removeToxic('app', 'latency_downstream')).toBe(true);
    expect(server.removeToxic('app', 'latency_downstream')).toBe(false);
    expect(await roundTrip(socket, 'ping')).toBeLessThan(150); // existing connection restored
    expect(await roundTrip(await open(listen), 'ping')).toBeLessThan(150);
  });

  it('applies to connections opened before it was added', async () => {
    const listen = await proxyTo(upstream);
    const socket = await open(listen);
    await roundTrip(socket, 'warm');
    server.addToxic('app', { type: 'latency', stream: 'upstream', attributes: { latency: 200 } });
    expect(await roundTrip(socket, 'ping')).toBeGreaterThanOrEqual(195);
  });

  it('keeps jitter within bounds and never reorders bytes', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'latency', attributes: { latency: 100, jitter: 50 } });
    const socket = await open(listen);
    for (let i = 0; i < 5; i++) {
      const t = await roundTrip(socket, `j${i}`);
      expect(t).toBeGreaterThanOrEqual(45);
      expect(t).toBeLessThan(150 + 500);
    }
    const parts = Array.from({ length: 40 }, (_, i) => `<${i}>`);
    const reply = receive(socket, parts.join('').length);
    for (const part of parts) {
      socket.write(part);
      await sleep(2);
    }
    expect((await reply).toString()).toBe(parts.join(''));
  });
});

describe('timeout', () => {
  it('0 is a blackhole: nothing arrives while it is there', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'timeout', attributes: { timeout: 0 } });
    const socket = await open(listen);
    const got: Buffer[] = [];
    socket.on('data', (c: Buffer) => got.push(c));
    socket.write('lost');
    await sleep(500);
    expect(Buffer.concat(got).length).toBe(0);
    expect(socket.destroyed).toBe(false);
    server.removeToxic('app', 'timeout_downstream');
    socket.removeAllListeners('data');
    expect(await roundTrip(socket, 'again')).toBeLessThan(1000); // new data flows; the held data was dropped
  });

  it('N closes the connection after about N ms', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'timeout', attributes: { timeout: 300 } });
    const socket = await open(listen);
    socket.write('lost');
    const result = await outcome(socket);
    expect(result.data.length).toBe(0);
    expect(result.closeAt).toBeGreaterThanOrEqual(280);
    expect(result.closeAt).toBeLessThan(1500);
  });
});

describe('reset_peer', () => {
  it('resets the connection after its timeout', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'reset_peer', attributes: { timeout: 300 } });
    const socket = await open(listen);
    expect(await roundTrip(socket, 'before')).toBeLessThan(250);
    const result = await outcome(socket);
    expect(result.error).toBe('ECONNRESET');
    expect(result.closeAt).toBeGreaterThanOrEqual(150);
    expect(result.closeAt).toBeLessThan(1500);
  });
});

describe('bandwidth', () => {
  it('limits throughput to rate KB/s', async () => {
    const blast = await startBlast(100_000);
    try {
      const listen = await proxyTo(blast);
      server.addToxic('app', { type: 'bandwidth', attributes: { rate: 100 } });
      const start = performance.now();
      const result = await outcome(await open(listen));
      const elapsed = performance.now() - start;
      expect(result.data.length).toBe(100_000);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(2500);
    } finally {
      await blast.close();
    }
  });
});

describe('slow_close and limit_data', () => {
  it('slow_close delays the FIN, not the data', async () => {
    const blast = await startBlast(10);
    try {
      const listen = await proxyTo(blast);
      server.addToxic('app', { type: 'slow_close', attributes: { delay: 500 } });
      const socket = await open(listen);
      const start = performance.now();
      const data = receive(socket, 10);
      const result = outcome(socket);
      expect((await data).length).toBe(10);
      expect(performance.now() - start).toBeLessThan(300);
      const { endAt } = await result;
      expect(endAt).toBeGreaterThanOrEqual(450);
      expect(endAt).toBeLessThan(2000);
    } finally {
      await blast.close();
    }
  });

  it('limit_data closes the connection after that many bytes', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'limit_data', attributes: { bytes: 10 } });
    const socket = await open(listen);
    const result = outcome(socket);
    socket.write('0123456789abcdefghij');
    expect((await result).data.toString()).toBe('0123456789');
  });
});

describe('toxicity', () => {
  it('0 never applies, 1 always does', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'latency', toxicity: 0, attributes: { latency: 300 } });
    for (let i = 0; i < 3; i++) expect(await roundTrip(await open(listen), 'x')).toBeLessThan(200);
    server.removeToxic('app', 'latency_downstream');
    server.addToxic('app', { type: 'latency', toxicity: 1, attributes: { latency: 300 } });
    for (let i = 0; i < 3; i++) expect(await roundTrip(await open(listen), 'x')).toBeGreaterThanOrEqual(295);
  });
});

describe('enabled: false (down)', () => {
  it('refuses new connections, cuts open ones, and comes back on the same port', async () => {
    const listen = await proxyTo(upstream);
    const socket = await open(listen);
    await roundTrip(socket, 'up');
    const cut = outcome(socket);
    const down = await server.setEnabled('app', false);
    expect(down.enabled).toBe(false);
    await cut;
    await expect(connect(listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const up = await server.setEnabled('app', true);
    expect(up.listen).toBe(listen);
    expect(await roundTrip(await open(listen), 'again')).toBeLessThan(1000);
  });

  it('a proxy created disabled gets a port but does not listen', async () => {
    const info = await server.createProxy({
      name: 'off',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
      enabled: false,
    });
    expect(info.listen).not.toBe('127.0.0.1:0');
    await expect(connect(info.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.setEnabled('off', true);
    await roundTrip(await open(info.listen), 'on');
  });

  it('reset() removes every toxic and enables every proxy', async () => {
    const listen = await proxyTo(upstream);
    server.addToxic('app', { type: 'timeout', attributes: { timeout: 0 } });
    await server.setEnabled('app', false);
    await server.reset();
    expect(server.proxy('app')).toMatchObject({ enabled: true, toxics: [] });
    expect(await roundTrip(await open(listen), 'ok')).toBeLessThan(1000);
  });

  it('deleteProxy frees the port', async () => {
    const listen = await proxyTo(upstream);
    await server.deleteProxy('app');
    await expect(connect(listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(server.list()).toEqual([]);
  });
});

describe('in-process API errors', () => {
  it('names fields, types, proxies and duplicates', async () => {
    await proxyTo(upstream);
    expect(() => server.addToxic('app', { type: 'latency', attributes: { latency: 'x' } })).toThrow(
      'latency.latency: must be an integer >= 0 (got "x")',
    );
    expect(() => server.addToxic('app', { type: 'latency', attributes: { latncy: 1 } })).toThrow(
      'latency.latncy: unknown attribute (known: latency, jitter)',
    );
    expect(() => server.addToxic('app', { type: 'nope', attributes: {} })).toThrow(
      'invalid toxic type: "nope"; known types: latency, bandwidth, timeout, reset_peer, slow_close, limit_data, slicer',
    );
    expect(() => server.addToxic('app', { type: 'latency', toxicity: 2 })).toThrow(
      'toxicity: must be a number from 0 to 1 (got 2)',
    );
    server.addToxic('app', { type: 'latency', attributes: {} });
    expect(() => server.addToxic('app', { type: 'latency', attributes: {} })).toThrow(
      expect.objectContaining({ code: 'toxic_exists', status: 409 }),
    );
    expect(() => server.proxy('nope')).toThrow('no proxy named nope (proxies: app)');
    await expect(
      server.createProxy({ name: 'app', listen: '127.0.0.1:0', upstream: upstream.address }),
    ).rejects.toThrow(expect.objectContaining({ code: 'proxy_exists' }));
    await expect(
      server.createProxy({ name: 'b', listen: 'nowhere', upstream: upstream.address }),
    ).rejects.toThrow('listen: must be "host:port" with a port from 0 to 65535 (got "nowhere")');
  });

  it('survives peers that reset mid-stream', async () => {
    const rude = await startServer((s) => s.on('data', () => s.resetAndDestroy()));
    try {
      const listen = await proxyTo(rude);
      const socket = await open(listen);
      socket.write('hi');
      const result = await outcome(socket);
      expect(result.data.length).toBe(0);
      expect(await roundTrip(await open(await proxyTo(upstream, 'echo')), 'still alive')).toBeLessThan(1000);
    } finally {
      await rude.close();
    }
  });
});
