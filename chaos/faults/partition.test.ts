import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyRevert } from '../revert.ts';
import { ToxicProxyClient } from '../toxic-proxy/client.ts';
import { ToxicProxyServer } from '../toxic-proxy/proxy-server.ts';
import { connect, roundTrip, startEcho, type TestServer } from '../toxic-proxy/test-fixtures.ts';
import type { Target, TargetKind } from '../types.ts';
import { downFault } from './down.ts';
import { partitionFault } from './partition.ts';

let server: ToxicProxyServer;
let upstream: TestServer;
let controlUrl: string;
let client: ToxicProxyClient;
let listen: string;

beforeEach(async () => {
  server = new ToxicProxyServer();
  upstream = await startEcho();
  controlUrl = (await server.listenControl()).url;
  client = new ToxicProxyClient(controlUrl);
  listen = (await client.createProxy({ name: 'app1', listen: '127.0.0.1:0', upstream: upstream.address }))
    .listen;
});

afterEach(async () => {
  await server.close();
  await upstream.close();
});

/** A target whose own actions are recorded (and fail), to see which path a fault takes. */
function target(kind: TargetKind, calls: string[]): Target {
  const refuse = (what: string) => () => {
    calls.push(what);
    throw new Error(`${what} must not be called`);
  };
  return {
    name: 'app1',
    kind,
    proxy: { controlUrl, name: 'app1' },
    kill: refuse('kill'),
    stop: refuse('stop'),
    restart: refuse('restart'),
    pause: refuse('pause'),
    partition: async () => {
      calls.push('partition');
    },
    planRevert: (action) => {
      calls.push(`planRevert:${action}`);
      return { kind: 'none' };
    },
  };
}

/** Whether an echo through the proxy comes back (refused, cut or silent for 1s: no). */
async function reaches(): Promise<boolean> {
  const socket = await connect(listen).catch(() => undefined);
  if (!socket) return false;
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('silent')), 1000));
    await Promise.race([roundTrip(socket, 'ping'), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

describe('partition and down', () => {
  it('on a local target, partition is down: same plan, same effect, undone the same way', async () => {
    const calls: string[] = [];
    const local = target('local-process', calls);
    const plan = partitionFault.planRevert(local, {});
    expect(plan).toEqual(downFault.planRevert(local, {}));
    expect(plan).toMatchObject({ kind: 'enable-proxy', proxy: 'app1' });
    expect(partitionFault.describe(local, {})).toBe('partition app1 (its toxic proxy down)');

    expect(await reaches()).toBe(true);
    await partitionFault.inject(local, {});
    expect((await client.proxy('app1')).enabled).toBe(false);
    expect(await reaches()).toBe(false);
    expect(await applyRevert(plan)).toBe('reverted');
    expect((await client.proxy('app1')).enabled).toBe(true);
    expect(await reaches()).toBe(true);
    // The target's own network cut is not used for a local process.
    expect(calls).toEqual([]);
  });

  it('on a container, partition leaves its networks and leaves its proxy alone; down only the proxy', async () => {
    const calls: string[] = [];
    const container = target('container', calls);
    expect(partitionFault.precheck?.(container)).toBeUndefined();
    partitionFault.planRevert(container, {});
    await partitionFault.inject(container, {});
    expect(calls).toEqual(['planRevert:partition', 'partition']);
    expect((await client.proxy('app1')).enabled).toBe(true);

    await downFault.inject(container, {});
    expect(calls).toEqual(['planRevert:partition', 'partition']);
    expect((await client.proxy('app1')).enabled).toBe(false);
  });
});
