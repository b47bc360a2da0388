import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  outcome,
  roundTrip,
  sleep,
  startBlast,
  startEcho,
  startServer,
  type TestServer,
} from '../../chaos/toxic-proxy/test-fixtures.ts';
import { controlUrl, startToxicProxy, stopProcess } from '../fixtures/toxic-proxy-process.ts';

// `faultline toxic-proxy` as a real process, driven only through Toxiproxy's own Node client
// (toxiproxy-node-client from the registry), as a team that already uses Toxiproxy would.
let child: ChildProcess;
let toxiproxy: Toxiproxy;
let echo: TestServer;
let tagged: TestServer;
let blast: TestServer;

beforeAll(async () => {
  echo = await startEcho();
  // A second upstream that says who it is, to see an upstream change take effect.
  tagged = await startServer((socket) => socket.on('data', (d: Buffer) => socket.write(`B:${d}`)));
  blast = await startBlast(100_000);
  const proc = startToxicProxy(['--control', '127.0.0.1:0']);
  child = proc.child;
  toxiproxy = new Toxiproxy(await controlUrl(proc));
}, 30_000);

afterAll(async () => {
  await stopProcess(child);
  await Promise.all([echo.close(), tagged.close(), blast.close()]);
});

afterEach(async () => {
  for (const proxy of Object.values(await toxiproxy.getAll())) await proxy.remove();
});

const create = (name: string, upstream = echo.address) =>
  toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream });

/** Round-trip times of `count` fresh connections through `listen`. */
async function roundTrips(listen: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await connect(listen);
    times.push(await roundTrip(socket, `ping ${i}`));
    socket.destroy();
  }
  return times;
}

/** What the upstream behind `listen` answers to `text` (the tagged upstream says "B:"). */
async function ask(listen: string, text: string): Promise<string> {
  const socket = await connect(listen);
  socket.write(text);
  const [data] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return data.toString();
}

const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (err: unknown) => (err instanceof ToxiproxyError ? err.message : String(err)),
  );

describe('a Toxiproxy client drives the toxic proxy', () => {
  it('reads the version as Toxiproxy writes it', async () => {
    const text = await toxiproxy.getVersion();
    expect(text).toBe('{"version": "2.12.0+faultline"}\n');
  });

  it('creates, lists, reads and deletes proxies', async () => {
    const app = await create('app');
    expect(app).toMatchObject({ name: 'app', upstream: echo.address, enabled: true });
    expect(app.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect((await roundTrips(app.listen, 1))[0]).toBeLessThan(1000);
    const all = await toxiproxy.getAll();
    expect(Object.keys(all)).toEqual(['app']);
    expect(all.app?.toJson()).toEqual(app.toJson());
    expect((await toxiproxy.get('app')).toJson()).toEqual(app.toJson());
    expect(await statusOf(create('app'))).toBe('Request failed with status code 409');
    await app.remove();
    expect(await toxiproxy.getAll()).toEqual({});
    expect(await statusOf(toxiproxy.get('app'))).toBe('Request failed with status code 404');
    await expect(connect(app.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('populates: creates, keeps what matches (toxics and all), replaces what differs', async () => {
    const first = await toxiproxy.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'b', listen: '127.0.0.1:0', upstream: echo.address, enabled: false },
    ]);
    expect(Object.keys(first)).toEqual(['a', 'b']);
    expect([first.a?.enabled, first.b?.enabled]).toEqual([true, false]);
    const a = first.a as NonNullable<typeof first.a>;
    await a.addToxic({ type: 'latency', attributes: { latency: 10 } } as never);
    // Again, as a test suite does at every start: a is kept (same port, its toxic still there).
    const again = await toxiproxy.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'b', listen: '127.0.0.1:0', upstream: tagged.address },
    ]);
    expect(again.a?.listen).toBe(a.listen);
    expect((await a.getToxic('latency_downstream')).attributes).toEqual({ latency: 10, jitter: 0 });
    // b differed (upstream): replaced, enabled by default, and talking to the new upstream.
    expect(again.b).toMatchObject({ upstream: tagged.address, enabled: true });
    expect(await ask(again.b?.listen as string, 'x')).toBe('B:x');
    expect(Object.keys(await toxiproxy.getAll()).sort()).toEqual(['a', 'b']);
    expect(await statusOf(toxiproxy.populate([{ name: 'c' } as never]))).toBe(
      'Request failed with status code 400',
    );
  });

  it('updates a proxy: disable, enable, a new upstream, a new listen address; the others carry on', async () => {
    const app = await create('app');
    const other = await create('other');
    const kept = await connect(other.listen);
    const disabled = await app.update({ ...app.toJson(), enabled: false });
    expect(disabled.enabled).toBe(false);
    await expect(connect(app.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const enabled = await disabled.update({ ...disabled.toJson(), enabled: true });
    expect(enabled).toMatchObject({ enabled: true, listen: app.listen });
    expect((await roundTrips(app.listen, 1))[0]).toBeLessThan(1000);

    const moved = await enabled.update({ ...enabled.toJson(), upstream: tagged.address });
    expect(moved.upstream).toBe(tagged.address);
    expect(await ask(moved.listen, 'y')).toBe('B:y');

    const rebound = await moved.update({ ...moved.toJson(), listen: '127.0.0.1:0' });
    expect(rebound.listen).toBe(moved.listen); // port 0 asks for no change
    const spare = await startEcho(); // a free port to move to
    const newPort = spare.port;
    await spare.close();
    const relisten = await rebound.update({ ...rebound.toJson(), listen: `127.0.0.1:${newPort}` });
    expect(relisten.listen).toBe(`127.0.0.1:${newPort}`);
    await expect(connect(app.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await ask(relisten.listen, 'z')).toBe('B:z');
    // The other proxy and its open connection were not touched.
    expect(await roundTrip(kept, 'still here')).toBeLessThan(1000);
    kept.destroy();
    // A listen address already taken: refused, and the proxy stays where it was.
    expect(await statusOf(relisten.update({ ...relisten.toJson(), listen: other.listen }))).toBe(
      'Request failed with status code 409',
    );
    expect((await toxiproxy.get('app')).toJson()).toEqual(relisten.toJson());
    expect(await ask(relisten.listen, 'w')).toBe('B:w');
  });

  it('latency with jitter: each round trip takes latency ± jitter', async () => {
    const app = await create('app');
    const toxic = await app.addToxic({
      type: 'latency',
      attributes: { latency: 300, jitter: 100 },
    } as never);
    expect(toxic).toMatchObject({ name: 'latency_downstream', stream: 'downstream', toxicity: 1 });
    const times = await roundTrips(app.listen, 8);
    for (const t of times) expect(t).toBeGreaterThanOrEqual(195);
    for (const t of times) expect(t).toBeLessThan(1500);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(40);
    // Updated in place: attributes not sent keep their value.
    const updated = await toxic.update({ attributes: { jitter: 0 } } as never);
    expect(updated.attributes).toEqual({ latency: 300, jitter: 0 });
    await toxic.update({ attributes: { latency: 0 } } as never);
    expect(Math.max(...(await roundTrips(app.listen, 3)))).toBeLessThan(150);
    await toxic.remove();
    expect(await statusOf(app.getToxic('latency_downstream'))).toBe('Request failed with status code 404');
  });

  it('bandwidth: 100 KB at 50 KB/s takes about two seconds', async () => {
    const app = await create('app', blast.address);
    await app.addToxic({ type: 'bandwidth', attributes: { rate: 50 } } as never);
    const result = await outcome(await connect(app.listen));
    expect(result.data.length).toBe(100_000);
    expect(result.endAt).toBeGreaterThanOrEqual(1500);
    expect(result.endAt).toBeLessThan(6000);
  });

  it('slow_close: the data comes at once, the FIN late', async () => {
    const app = await create('app', blast.address);
    await app.addToxic({ type: 'slow_close', attributes: { delay: 600 } } as never);
    const socket = await connect(app.listen);
    const started = performance.now();
    const firstData = once(socket, 'data').then(() => performance.now() - started);
    const result = await outcome(socket);
    expect(await firstData).toBeLessThan(400);
    expect(result.data.length).toBe(100_000);
    expect(result.endAt).toBeGreaterThanOrEqual(550);
  });

  it('timeout: nothing passes, then the connection closes', async () => {
    const app = await create('app');
    await app.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 400 } } as never);
    const socket = await connect(app.listen);
    socket.write('lost');
    const result = await outcome(socket);
    expect(result.data.length).toBe(0);
    expect(result.closeAt).toBeGreaterThanOrEqual(350);
    expect(result.closeAt).toBeLessThan(3000);
  });

  it('reset_peer: the connection is reset after its timeout', async () => {
    const app = await create('app');
    await app.addToxic({ type: 'reset_peer', attributes: { timeout: 300 } } as never);
    const socket = await connect(app.listen);
    expect(await roundTrip(socket, 'before')).toBeLessThan(250);
    const result = await outcome(socket);
    expect(result.error).toBe('ECONNRESET');
    expect(result.closeAt).toBeLessThan(3000);
  });

  it('limit_data: exactly that many bytes, then the connection closes', async () => {
    const app = await create('app', blast.address);
    await app.addToxic({ type: 'limit_data', attributes: { bytes: 1234 } } as never);
    const result = await outcome(await connect(app.listen));
    expect(result.data.length).toBe(1234);
  });

  it('slicer: the data arrives in pieces, whole and in order', async () => {
    const app = await create('app');
    await app.addToxic({
      type: 'slicer',
      attributes: { average_size: 100, size_variation: 20, delay: 20_000 },
    } as never);
    const socket = await connect(app.listen);
    const sent = Buffer.from(Array.from({ length: 2000 }, (_, i) => 'abcdefghij'[i % 10]).join(''));
    const pieces: Buffer[] = [];
    socket.on('data', (d: Buffer) => pieces.push(d));
    socket.write(sent);
    const deadline = Date.now() + 10_000;
    while (Buffer.concat(pieces).length < sent.length && Date.now() < deadline) await sleep(20);
    socket.destroy();
    expect(Buffer.concat(pieces).equals(sent)).toBe(true);
    expect(pieces.length).toBeGreaterThanOrEqual(5);
  });

  it('toxicity below 1: some connections get the toxic, others do not', async () => {
    const app = await create('app');
    await app.addToxic({ type: 'latency', toxicity: 0.5, attributes: { latency: 200 } } as never);
    const times = await roundTrips(app.listen, 24);
    const slow = times.filter((t) => t >= 190).length;
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThan(24);
    const toxic = await app.getToxic('latency_downstream');
    expect(toxic.toxicity).toBe(0.5);
    await toxic.update({ ...toxic.toJson(), toxicity: 0 });
    expect(Math.max(...(await roundTrips(app.listen, 4)))).toBeLessThan(150);
  });

  it('reset: every toxic removed, every proxy enabled', async () => {
    const app = await create('app');
    await app.addToxic({ type: 'latency', attributes: { latency: 500 } } as never);
    await app.addToxic({ name: 'cut', type: 'timeout', stream: 'upstream', attributes: {} } as never);
    await app.update({ ...app.toJson(), enabled: false });
    await toxiproxy.reset();
    const after = await toxiproxy.get('app');
    expect(after.enabled).toBe(true);
    expect(await statusOf(after.getToxic('cut'))).toBe('Request failed with status code 404');
    expect((await roundTrips(app.listen, 1))[0]).toBeLessThan(250);
  });
});
