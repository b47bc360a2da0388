import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BALANCER_EVENT_KINDS, type BalancerEvent } from '../events.ts';
import { type AdminStack, startAdminStack } from './admin.fixture.ts';

/** How long the admin server gets to reach a state a test waits for, checked every 50 ms. */
const SETTLE = { timeout: 2_000, interval: 50 };

/** Reads raw SSE text from /events until `enough(text)` holds, then disconnects. */
function readRaw(
  url: string,
  headers: Record<string, string>,
  enough: (text: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (enough(text)) {
          req.destroy();
          resolve(text);
        }
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

async function take(iterable: AsyncIterable<BalancerEvent>, n: number): Promise<BalancerEvent[]> {
  const out: BalancerEvent[] = [];
  for await (const event of iterable) {
    out.push(event);
    if (out.length === n) break;
  }
  return out;
}

describe('GET /events', () => {
  let stack: AdminStack;
  beforeEach(async () => {
    stack = await startAdminStack();
  });
  afterEach(() => stack.close());

  it('streams admin actions live, in order, over AdminClient.events', async () => {
    const received = take(stack.client.events(), 6);
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'the event stream to be open').toBe(1);
    }, SETTLE);
    await stack.client.disable('web', 'app1');
    await stack.client.disable('web', 'app2');
    await stack.client.setWeight('web', 'app3', 5);
    await stack.client.enable('web', 'app2');
    const events = await received;
    expect(events.map((e) => [e.kind, 'server' in e ? e.server : ''])).toEqual([
      ['server-disabled', 'app1'],
      ['server-disabled', 'app2'],
      ['failover-to-backup', ''],
      ['weight-changed', 'app3'],
      ['server-enabled', 'app2'],
      ['failback', ''],
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events[3]).toMatchObject({ kind: 'weight-changed', pool: 'web', from: 1, to: 5 });
    // Breaking out of the loop closes the connection and unsubscribes on the server.
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'the event stream to be closed on the server').toBe(0);
    }, SETTLE);
  });

  it('sends retry, ids and event names in the SSE wire format', async () => {
    stack.pools.get('web')?.drain('app2');
    const text = await readRaw(`${stack.url}/events?since=0`, {}, (t) => t.includes('id: 2\n'));
    expect(text.startsWith('retry: 1000\n\n')).toBe(true);
    expect(text).toMatch(/id: 1\nevent: server-draining\ndata: \{.*"kind":"server-draining".*\}\n\n/);
  });

  it('replays after Last-Event-ID or ?since, then continues live', async () => {
    const web = stack.pools.get('web');
    web?.disable('app1'); // 1
    web?.enable('app1'); // 2
    web?.setWeight('app2', 4); // 3
    const viaHeader = await readRaw(`${stack.url}/events`, { 'last-event-id': '1' }, (t) =>
      t.includes('id: 3\n'),
    );
    expect([...viaHeader.matchAll(/^id: (\d+)$/gm)].map((m) => m[1])).toEqual(['2', '3']);

    const controller = new AbortController();
    const replayed = take(stack.client.events({ since: 2, signal: controller.signal }), 2);
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'the event stream to be open').toBe(1);
    }, SETTLE);
    web?.drain('app3'); // 4 server-draining, 5 server-drained
    expect((await replayed).map((e) => [e.seq, e.kind])).toEqual([
      [3, 'weight-changed'],
      [4, 'server-draining'],
    ]);
    controller.abort();
  });

  it('filters by ?kinds and rejects unknown kinds', async () => {
    const received = take(stack.client.events({ since: 0, kinds: ['failover-to-backup', 'failback'] }), 2);
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'the event stream to be open').toBe(1);
    }, SETTLE);
    const web = stack.pools.get('web');
    web?.disable('app1');
    web?.disable('app2');
    web?.enable('app1');
    expect((await received).map((e) => e.kind)).toEqual(['failover-to-backup', 'failback']);

    const bad = await fetch(`${stack.url}/events?kinds=server-down,server-exploded`);
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/unknown event kind "server-exploded"/);
    expect(body.error.message).toContain('failover-to-backup');
    expect((await fetch(`${stack.url}/events?since=-1`)).status).toBe(400);
  });

  it('stops the client iteration cleanly when the signal aborts', async () => {
    const controller = new AbortController();
    const seen: BalancerEvent[] = [];
    const loop = (async () => {
      for await (const event of stack.client.events({ signal: controller.signal })) seen.push(event);
    })();
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'the event stream to be open').toBe(1);
    }, SETTLE);
    stack.pools.get('api')?.drain('api1');
    await vi.waitFor(() => {
      expect(seen.length, 'two events from the drain').toBeGreaterThanOrEqual(2);
    }, SETTLE);
    controller.abort();
    await expect(loop).resolves.toBeUndefined();
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'the event stream to be closed on the server').toBe(0);
    }, SETTLE);
  });

  it('waitForEvent resolves with a matching event and times out otherwise', async () => {
    const waiting = stack.client.waitForEvent((e) => e.kind === 'server-disabled' && e.server === 'api1', {
      timeoutMs: 5_000,
    });
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'the event stream to be open').toBe(1);
    }, SETTLE);
    stack.pools.get('web')?.disable('app2');
    stack.pools.get('api')?.disable('api1');
    await expect(waiting).resolves.toMatchObject({ kind: 'server-disabled', pool: 'api', server: 'api1' });
    const late = stack.client.waitForEvent((e) => e.kind === 'pool-empty', { since: 0, timeoutMs: 5_000 });
    await expect(late).resolves.toMatchObject({ kind: 'pool-empty', pool: 'api' });
    const never = stack.client.waitForEvent((e) => e.kind === 'breaker-open', { timeoutMs: 150 });
    await expect(never).rejects.toMatchObject({
      code: 'FL_ADMIN_REQUEST',
      message: /no matching event within 150ms/,
    });
  });

  it('ends open streams when the admin server closes', async () => {
    const first = stack.client.events()[Symbol.asyncIterator]();
    const pending = first.next();
    const loop = take(stack.client.events({ since: 0 }), 100);
    await vi.waitFor(() => {
      expect(stack.admin.openStreams, 'both event streams to be open').toBe(2);
    }, SETTLE);
    const started = Date.now();
    await stack.admin.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    await expect(loop).resolves.toEqual([]);
    expect(stack.admin.openStreams).toBe(0);
  });

  it('sends heartbeats', async () => {
    await stack.close();
    stack = await startAdminStack({ heartbeatMs: 20 });
    const text = await readRaw(`${stack.url}/events`, {}, (t) => t.includes(': heartbeat\n\n'));
    expect(text).toContain(': heartbeat\n\n');
  });

  it('knows every event kind', () => {
    expect(BALANCER_EVENT_KINDS).toHaveLength(25);
    expect(new Set(BALANCER_EVENT_KINDS).size).toBe(25);
  });
});
