import { afterEach, describe, expect, it } from 'vitest';
import { type RunningTcpEcho, startTcpEcho } from '../../backends/tcp-echo.ts';
import { isFailure } from '../recording.ts';
import { startLoad } from './open-model.ts';

let echo: RunningTcpEcho | undefined;
afterEach(async () => {
  await echo?.close({ timeoutMs: 0 });
  echo = undefined;
});

describe('tcp load (line exchanges over new and long-lived connections)', () => {
  it('sends rate × duration exchanges, half on their own connection, half on the long-lived ones, each naming its server', async () => {
    echo = await startTcpEcho({ name: 'db1', host: '127.0.0.1', port: 0 });
    const load = startLoad({
      url: `tcp://127.0.0.1:${echo.port}`,
      rate: 200,
      maxDurationMs: 1000,
      connections: 4,
      newConnectionShare: 0.5,
    });
    const records = await load.done;
    expect(records.length).toBe(200);
    expect(records.filter(isFailure)).toEqual([]);
    expect(new Set(records.map((r) => r.servedBy))).toEqual(new Set(['db1']));
    const kept = records.filter((r) => r.path === 'kept').length;
    const fresh = records.filter((r) => r.path === 'new').length;
    // Kept exchanges fall back to a connection of their own only while every kept one is busy.
    expect(fresh).toBeGreaterThanOrEqual(100);
    expect(kept).toBeGreaterThan(60);
    expect(kept + fresh).toBe(200);
  });

  it('once the server is gone, an exchange is a failure with its reason (ECONNREFUSED); those before were answered', async () => {
    echo = await startTcpEcho({ name: 'db1', host: '127.0.0.1', port: 0 });
    const port = echo.port;
    const load = startLoad({
      url: `tcp://127.0.0.1:${port}`,
      rate: 100,
      maxDurationMs: 1200,
      connections: 2,
      timeoutMs: 500,
    });
    await new Promise((r) => setTimeout(r, 400));
    await echo.close({ timeoutMs: 0 });
    echo = undefined;
    const records = await load.done;
    const late = records.filter((r) => r.intended - load.startedAt > 600);
    expect(late.length).toBeGreaterThan(40);
    expect(late.every((r) => r.status === 0)).toBe(true);
    expect(new Set(late.map((r) => r.error))).toEqual(new Set(['ECONNREFUSED']));
    expect(records.filter((r) => r.intended - load.startedAt < 300).every((r) => r.status === 200)).toBe(
      true,
    );
  });
});
