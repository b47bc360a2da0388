import { afterEach, describe, expect, it } from 'vitest';
import { type BackendProcess, killAllBackends, spawnBackend } from '../../backends/spawn.ts';
import { Balancer, type BalancerEvent, normalizeConfig } from '../../balancer/index.ts';
import { TcpLineClient } from '../fixtures/tcp-client.ts';

let balancer: Balancer | undefined;
afterEach(async () => {
  await balancer?.stop({ deadlineMs: 200 });
  balancer = undefined;
  await killAllBackends();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tcpBackends(names: string[]): Promise<BackendProcess[]> {
  return Promise.all(names.map((n) => spawnBackend(n, { PROTOCOL: 'tcp' })));
}

async function startTcpBalancer(
  backends: { process: BackendProcess; backup?: boolean }[],
  pool: Record<string, unknown> = {},
  listener: Record<string, unknown> = {},
): Promise<{ port: number; events: BalancerEvent[] }> {
  balancer = await Balancer.start(
    normalizeConfig({
      admin: { listen: '127.0.0.1:0' },
      listeners: [{ name: 'db', mode: 'tcp', listen: '127.0.0.1:0', pool: 'db', ...listener }],
      pools: {
        db: {
          mode: 'tcp',
          servers: backends.map((b) => ({
            name: b.process.name,
            url: `tcp://127.0.0.1:${b.process.port}`,
            ...(b.backup ? { backup: true } : {}),
          })),
          health: { type: 'tcp', interval: '200ms', timeout: '150ms', rise: 1, fall: 1 },
          ...pool,
        },
      },
    }),
  );
  const events: BalancerEvent[] = [];
  balancer.events.subscribe((e) => events.push(e));
  const port = balancer.listenerAddresses().db?.port;
  if (!port) throw new Error('no tcp listener');
  return { port, events };
}

/** New connections every `everyMs` for `durationMs`: each connects, exchanges a line and quits. */
async function connectionLoad(port: number, durationMs: number, everyMs = 20) {
  const results: { startedAt: number; server?: string; error?: string }[] = [];
  const pending: Promise<void>[] = [];
  const end = Date.now() + durationMs;
  for (let i = 0; Date.now() < end && i < 500; i++) {
    const startedAt = Date.now();
    pending.push(
      (async () => {
        try {
          const c = await TcpLineClient.connect(port, 3000);
          const server = await c.exchange(`n${i}`, 3000);
          c.close();
          results.push({ startedAt, server });
        } catch (err) {
          results.push({ startedAt, error: (err as Error).message });
        }
      })(),
    );
    await sleep(everyMs);
  }
  await Promise.all(pending);
  return results;
}

describe('tcp listeners and pools (real child processes)', () => {
  it('SIGKILL of a backend under connection load: new connections go elsewhere at once; every primary gone: the backup takes over', async () => {
    const [db1, db2, db3] = (await tcpBackends(['db1', 'db2', 'db3'])) as BackendProcess[];
    const { port, events } = await startTcpBalancer([
      { process: db1 as BackendProcess },
      { process: db2 as BackendProcess },
      { process: db3 as BackendProcess, backup: true },
    ]);
    // Long-lived connections, spread by least-connections.
    const longLived = await Promise.all([0, 1, 2, 3].map(() => TcpLineClient.connect(port)));
    expect(new Set(longLived.map((c) => c.server))).toEqual(new Set(['db1', 'db2']));

    let killedAt = 0;
    const load = connectionLoad(port, 1600);
    await sleep(400);
    await db1?.kill();
    // From here db1 is gone: a connection sent to it is refused, and must be retried elsewhere.
    killedAt = Date.now();
    await sleep(500);
    // The connections on db2 live on; those on db1 died with it.
    for (const c of longLived) {
      if (c.server === 'db2') expect(await c.exchange('still-there')).toBe('db2');
      else expect(c.closed).toBe(true);
    }
    const secondKill = Date.now();
    await db2?.kill();
    const bothAt = Date.now();
    const results = await load;
    // A connection opened just before db2 died may be in its exchange with db2 then: it fails
    // with db2, as one on db1 did. Any other that started after db1 was gone must not fail.
    const onDyingDb2 = (r: { startedAt: number }) => r.startedAt > secondKill - 100 && r.startedAt <= bothAt;
    const afterKill = results.filter((r) => r.startedAt > killedAt);
    const failed = afterKill.filter((r) => r.error);
    expect(
      failed.filter((r) => !onDyingDb2(r)),
      JSON.stringify(failed.slice(0, 3)),
    ).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(2);
    expect(afterKill.some((r) => r.server === 'db1')).toBe(false);
    const afterBoth = results.filter((r) => r.startedAt > bothAt + 50);
    expect(afterBoth.length).toBeGreaterThan(5);
    expect(new Set(afterBoth.map((r) => r.server))).toEqual(new Set(['db3']));
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['server-down', 'failover-to-backup']));
    for (const c of longLived) c.close();
  });

  it('a drained server takes no new connection, and its open ones are closed at the drain deadline', async () => {
    const [db1, db2] = (await tcpBackends(['db1', 'db2'])) as BackendProcess[];
    const { port, events } = await startTcpBalancer(
      [{ process: db1 as BackendProcess }, { process: db2 as BackendProcess }],
      { drainTimeout: '600ms' },
    );
    const clients = await Promise.all([0, 1, 2, 3].map(() => TcpLineClient.connect(port)));
    const onDb1 = clients.filter((c) => c.server === 'db1');
    expect(onDb1.length).toBe(2);
    const b = balancer as Balancer;
    const drainedAt = Date.now();
    b.pool('db').drain('db1');
    const fresh = await Promise.all([0, 1, 2].map(() => TcpLineClient.connect(port)));
    expect(fresh.map((c) => c.server)).toEqual(['db2', 'db2', 'db2']);
    // Still working until the deadline...
    for (const c of onDb1) expect(await c.exchange('before-deadline')).toBe('db1');
    await sleep(1000);
    // ...then closed by the balancer; db2's untouched.
    for (const c of onDb1) {
      expect(c.closed).toBe(true);
      expect((c.closedAt ?? 0) - drainedAt).toBeGreaterThanOrEqual(550);
      expect((c.closedAt ?? 0) - drainedAt).toBeLessThan(1000);
    }
    for (const c of clients.filter((x) => x.server === 'db2')) expect(await c.exchange('after')).toBe('db2');
    expect(events.map((e) => `${e.kind} ${'server' in e ? e.server : ''}`)).toEqual(
      expect.arrayContaining(['server-draining db1', 'server-drained db1']),
    );
    for (const c of [...clients, ...fresh]) c.close();
  });

  it('a reload keeps established connections: one server re-weighted, one added, a removed one drained at its deadline', async () => {
    const [db1, db2, db3] = (await tcpBackends(['db1', 'db2', 'db3'])) as BackendProcess[];
    const { port, events } = await startTcpBalancer(
      [{ process: db1 as BackendProcess }, { process: db2 as BackendProcess }],
      { drainTimeout: '500ms' },
    );
    const b = balancer as Balancer;
    const before = await Promise.all([0, 1, 2, 3].map(() => TcpLineClient.connect(port)));
    const next = normalizeConfig({
      admin: { listen: '127.0.0.1:0' },
      listeners: [{ name: 'db', mode: 'tcp', listen: `127.0.0.1:${port}`, pool: 'db' }],
      pools: {
        db: {
          mode: 'tcp',
          drainTimeout: '500ms',
          servers: [
            { name: 'db1', url: `tcp://127.0.0.1:${db1?.port}`, weight: 3 },
            { name: 'db3', url: `tcp://127.0.0.1:${db3?.port}` },
          ],
          health: { type: 'tcp', interval: '200ms', timeout: '150ms', rise: 1, fall: 1 },
        },
      },
    });
    // The admin listener is the running one's: only what a reload may change differs.
    const changes = b.reload({ ...next, admin: b.config.admin }, 'test');
    expect(changes).toEqual(
      expect.arrayContaining(['db/db1: weight 1 -> 3', 'db/db2 removed', 'db/db3 added']),
    );
    // Connections on db1 go on; db2's until its drain deadline; new ones go to db1 and db3.
    for (const c of before) expect(await c.exchange('after-reload')).toBe(c.server);
    const fresh = await Promise.all([0, 1, 2, 3].map(() => TcpLineClient.connect(port)));
    expect(new Set(fresh.map((c) => c.server))).toEqual(new Set(['db1', 'db3']));
    await sleep(800);
    for (const c of before) expect(c.closed).toBe(c.server === 'db2');
    expect(events.find((e) => e.kind === 'server-removed' && e.server === 'db2')).toBeDefined();
    for (const c of [...before, ...fresh]) c.close();
  });

  it('connection limits: the listener closes connections beyond maxConnections; metrics count what was relayed', async () => {
    const [db1] = (await tcpBackends(['db1'])) as BackendProcess[];
    const { port } = await startTcpBalancer([{ process: db1 as BackendProcess }], {}, { maxConnections: 2 });
    const two = await Promise.all([0, 1].map(() => TcpLineClient.connect(port)));
    await expect(TcpLineClient.connect(port, 1000)).rejects.toThrow(/^(closed|ECONNRESET|no_greeting)$/);
    two[0]?.close();
    await sleep(100);
    const again = await TcpLineClient.connect(port);
    expect(await again.exchange('hi')).toBe('db1');
    for (const c of [...two, again]) c.close();
    await sleep(100);
    const metrics = await (await fetch(`${(balancer as Balancer).adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^faultline_tcp_connections_total\{pool="db",server="db1"\} 3$/m);
    expect(metrics).toMatch(
      /^faultline_tcp_bytes_total\{pool="db",server="db1",direction="to-server"\} \d+$/m,
    );
  });
});
