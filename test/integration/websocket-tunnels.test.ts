import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Balancer, type BalancerEvent, normalizeConfig } from '../../balancer/index.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long the balancer gets to reach a state a test waits for, checked every 50 ms. */
const SETTLE = { timeout: 2000, interval: 50 };

interface Upstream {
  url: string;
  server: http.Server;
  wss: WebSocketServer;
  /** Server-side sockets of open WebSocket connections. */
  sockets: Set<WebSocket>;
}

/** A WebSocket echo server on port 0; sends "hello" first; plain GETs answer "plain". */
async function startWsUpstream(): Promise<Upstream> {
  const server = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('error', () => {});
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (m) => ws.send(`echo:${m}`));
    ws.send('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, wss, sockets };
}

async function startBalancer(pool: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const b = await Balancer.start(
    normalizeConfig({
      listen: '127.0.0.1:0',
      admin: { listen: '127.0.0.1:0' },
      pools: { web: pool },
      ...extra,
    }),
  );
  cleanups.push(() => b.stop({ deadlineMs: 200 }));
  return b;
}

/** A ws client that has received its first message ("hello"). */
async function openClient(url: string): Promise<WebSocket> {
  const client = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  client.on('error', () => {});
  cleanups.push(() => client.terminate());
  await new Promise<void>((resolve, reject) => {
    client.once('message', () => resolve());
    client.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade answered ${res.statusCode}`)),
    );
    client.once('close', () => reject(new Error('closed before the first message')));
  });
  return client;
}

function closed(client: WebSocket): Promise<number> {
  if (client.readyState === WebSocket.CLOSED) return Promise.resolve(Date.now());
  return new Promise((r) => client.once('close', () => r(Date.now())));
}

/**
 * A raw TCP client that sends a WebSocket upgrade and records every byte it receives, so a
 * test can see exactly what the balancer wrote into the stream.
 */
/** A masked client text frame, as a browser would send it. */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = payload.map((byte, i) => byte ^ (mask[i % 4] as number));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

function rawUpgrade(
  url: string,
  head: Buffer = Buffer.alloc(0),
): { socket: net.Socket; received: () => string; closed: Promise<void> } {
  const { port } = new URL(url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
  cleanups.push(() => void socket.destroy());
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  socket.write(
    Buffer.concat([
      Buffer.from(
        'GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
      head,
    ]),
  );
  return {
    socket,
    received: () => Buffer.concat(chunks).toString('latin1'),
    closed: new Promise((r) => socket.once('close', () => r())),
  };
}

describe('WebSocket tunnels', () => {
  it('a client that leaves while queued frees its place: the next client is served', async () => {
    const up = await startWsUpstream();
    const b = await startBalancer({
      servers: [{ name: 'ws', url: up.url, maxConnections: 1 }],
      queue: { size: 10, timeout: '2s' },
    });
    const pool = b.pool('web');
    const first = await openClient(b.url);
    const leaver = rawUpgrade(b.url);
    await vi.waitFor(() => {
      expect(pool.queued, 'the second upgrade waits in the queue').toBe(1);
    }, SETTLE);
    leaver.socket.destroy();
    await vi.waitFor(
      () => {
        expect(pool.queued, 'the queue forgets the client that left').toBe(0);
      },
      { ...SETTLE, timeout: 500 },
    );
    first.close();
    await vi.waitFor(() => {
      expect(pool.byName('ws').inflight, 'the first tunnel released its slot').toBe(0);
    }, SETTLE);
    const next = await openClient(b.url);
    next.send('x');
    expect(String(await new Promise((r) => next.once('message', r)))).toBe('echo:x');
    next.close();
    await vi.waitFor(() => {
      expect(pool.byName('ws').inflight, 'the slot is free again').toBe(0);
    }, SETTLE);
  });

  it('bytes a client sends before its tunnel opens (while queued) reach the backend, in order', async () => {
    const up = await startWsUpstream();
    const b = await startBalancer({
      servers: [{ name: 'ws', url: up.url, maxConnections: 1 }],
      queue: { size: 10, timeout: '2s' },
    });
    const pool = b.pool('web');
    const first = await openClient(b.url);
    const eager = rawUpgrade(b.url, clientFrame('one'));
    await vi.waitFor(() => {
      expect(pool.queued, 'the upgrade waits in the queue').toBe(1);
    }, SETTLE);
    eager.socket.write(clientFrame('two'));
    await sleep(50);
    first.close();
    await vi.waitFor(() => {
      expect(eager.received(), 'both frames echoed').toContain('echo:two');
    }, SETTLE);
    const text = eager.received();
    expect(text.startsWith('HTTP/1.1 101 ')).toBe(true);
    expect(text.indexOf('echo:one')).toBeGreaterThan(0);
    expect(text.indexOf('echo:one')).toBeLessThan(text.indexOf('echo:two'));
  });

  it('a backend that does not answer the upgrade within handshakeTimeout: 504, backend side closed', async () => {
    const server = http.createServer();
    const held: net.Socket[] = [];
    let heldClosed = false;
    server.on('upgrade', (_req, socket: net.Socket) => {
      held.push(socket);
      socket.on('error', () => {});
      socket.once('end', () => (heldClosed = true));
      socket.once('close', () => (heldClosed = true));
      socket.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of held) s.destroy();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const b = await startBalancer({
      servers: [{ name: 'mute', url }],
      websocket: { handshakeTimeout: '300ms' },
    });
    const started = Date.now();
    const raw = rawUpgrade(b.url);
    await Promise.race([raw.closed, sleep(3000)]);
    const elapsed = Date.now() - started;
    expect(raw.received()).toMatch(/^HTTP\/1\.1 504 /);
    expect(raw.received()).toContain('x-faultline-error: upstream_header_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    await vi.waitFor(() => {
      expect(heldClosed, 'the backend side is closed').toBe(true);
    }, SETTLE);
    expect(b.pool('web').byName('mute').inflight).toBe(0);
    // A handshake that never came back is the server's failure (before the upgrade).
    expect(b.pool('web').byName('mute').counters.failures).toBe(1);
  });

  it('no bytes either way for idleTimeout closes both sides; traffic keeps a tunnel open', async () => {
    const up = await startWsUpstream();
    const b = await startBalancer({
      servers: [{ name: 'ws', url: up.url }],
      websocket: { idleTimeout: '300ms' },
    });
    const client = await openClient(b.url);
    // Busy for 3 × the idle timeout: still open.
    let quietSince = 0;
    for (let i = 0; i < 9; i++) {
      client.send(`ping${i}`);
      await new Promise((r) => client.once('message', r));
      quietSince = Date.now();
      await sleep(100);
    }
    expect(client.readyState).toBe(WebSocket.OPEN);
    const closedAt = await Promise.race([closed(client), sleep(3000).then(() => 0)]);
    expect(closedAt).toBeGreaterThan(0);
    expect(closedAt - quietSince).toBeGreaterThanOrEqual(250);
    expect(closedAt - quietSince).toBeLessThan(1500);
    await vi.waitFor(() => {
      expect(up.sockets.size, 'the backend side is closed too').toBe(0);
    }, SETTLE);
    await vi.waitFor(() => {
      expect(b.pool('web').byName('ws').inflight, 'the slot is released').toBe(0);
    }, SETTLE);
  });

  it('graceful stop counts open tunnels as in flight and closes them at the deadline', async () => {
    const up = await startWsUpstream();
    const b = await startBalancer({ servers: [{ name: 'ws', url: up.url }] });
    const events: BalancerEvent[] = [];
    b.events.subscribe((e) => events.push(e));
    const client = await openClient(b.url);
    const clientClosed = closed(client);
    const started = Date.now();
    const stopped = b.stop({ deadlineMs: 600 }).then(() => Date.now());
    expect(events.find((e) => e.kind === 'balancer-stopping')).toMatchObject({ inflight: 1 });
    // Still a working tunnel during the grace period.
    await sleep(200);
    client.send('still there?');
    expect(String(await new Promise((r) => client.once('message', r)))).toBe('echo:still there?');
    const closedAt = await Promise.race([clientClosed, sleep(3000).then(() => 0)]);
    expect(closedAt - started).toBeGreaterThanOrEqual(550);
    expect(closedAt - started).toBeLessThan(2000);
    expect((await stopped) - started).toBeLessThan(2500);
    await vi.waitFor(() => {
      expect(up.sockets.size, 'the backend side is closed too').toBe(0);
    }, SETTLE);
  });

  it('graceful stop ends as soon as the last tunnel closes by itself', async () => {
    const up = await startWsUpstream();
    const b = await startBalancer({ servers: [{ name: 'ws', url: up.url }] });
    const client = await openClient(b.url);
    const started = Date.now();
    const stopped = b.stop({ deadlineMs: 5000 }).then(() => Date.now());
    await sleep(200);
    client.close();
    expect((await stopped) - started).toBeLessThan(2000);
  });

  it('the backend dies mid-tunnel: client closed, no HTTP text in the stream, not held against the server', async () => {
    const up = await startWsUpstream();
    const b = await startBalancer({
      servers: [{ name: 'ws', url: up.url }],
      // One counted failure would eject the server and open its breaker.
      outlier: { consecutiveGatewayFailures: 1, consecutive5xx: 1 },
      breaker: { minRequests: 1, failureRatio: 0.5 },
    });
    const events: BalancerEvent[] = [];
    b.events.subscribe((e) => events.push(e));
    const raw = rawUpgrade(b.url);
    await vi.waitFor(() => {
      expect(raw.received(), 'the tunnel is open').toContain('hello');
      expect(up.sockets.size, 'the tunnel is open').toBe(1);
    }, SETTLE);
    const [backendSide] = [...up.sockets];
    (backendSide as unknown as { _socket: net.Socket })._socket.resetAndDestroy();
    await Promise.race([raw.closed, sleep(3000)]);
    expect(raw.socket.destroyed).toBe(true);
    const text = raw.received();
    expect(text.startsWith('HTTP/1.1 101 ')).toBe(true);
    expect(text.indexOf('HTTP/', 1)).toBe(-1);
    await vi.waitFor(() => {
      expect(b.pool('web').byName('ws').inflight, 'the slot is released').toBe(0);
    }, SETTLE);
    const server = b.pool('web').byName('ws');
    expect(server.counters.failures).toBe(0);
    expect(server.state).toBe('up');
    expect(events.map((e) => e.kind)).not.toContain('ejected');
    expect(events.map((e) => e.kind)).not.toContain('breaker-open');
  });

  it('the client resets mid-tunnel: backend side closed, not held against the server', async () => {
    const up = await startWsUpstream();
    const b = await startBalancer({
      servers: [{ name: 'ws', url: up.url }],
      outlier: { consecutiveGatewayFailures: 1, consecutive5xx: 1 },
      breaker: { minRequests: 1, failureRatio: 0.5 },
    });
    const events: BalancerEvent[] = [];
    b.events.subscribe((e) => events.push(e));
    const raw = rawUpgrade(b.url);
    await vi.waitFor(() => {
      expect(raw.received(), 'the tunnel is open').toContain('hello');
      expect(up.sockets.size, 'the tunnel is open').toBe(1);
    }, SETTLE);
    raw.socket.resetAndDestroy();
    await vi.waitFor(() => {
      expect(up.sockets.size, 'the backend side is closed').toBe(0);
    }, SETTLE);
    await vi.waitFor(() => {
      expect(b.pool('web').byName('ws').inflight, 'the slot is released').toBe(0);
    }, SETTLE);
    const server = b.pool('web').byName('ws');
    expect(server.counters.failures).toBe(0);
    expect(server.state).toBe('up');
    expect(events.map((e) => e.kind)).not.toContain('ejected');
    expect(events.map((e) => e.kind)).not.toContain('breaker-open');
  });
});
