import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BackendProcess, killAllBackends, spawnBackend } from '../../backends/spawn.ts';
import { Ledger } from '../ledger.ts';
import { ChaosSession } from '../session.ts';
import { LocalTargetProvider } from '../targets/local-target.ts';

let backend: BackendProcess;
let session: ChaosSession;
let ledger: Ledger;

beforeEach(async () => {
  backend = await spawnBackend('app1');
  ledger = new Ledger(join(mkdtempSync(join(tmpdir(), 'http-faults-')), 'ledger.jsonl'));
  session = new ChaosSession(ledger, LocalTargetProvider.fromBackends([backend]));
});
afterEach(killAllBackends);

async function get(timeoutMs = 2000): Promise<{ status: number; ms: number } | 'no answer'> {
  const started = performance.now();
  try {
    const res = await fetch(`${backend.url}/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.text();
    return { status: res.status, ms: performance.now() - started };
  } catch {
    return 'no answer';
  }
}

const inject = async (fault: string, params: Record<string, unknown> = {}) =>
  session.inject(await session.prepare(fault, 'app1', params));

describe('http faults through the sample backend control API', () => {
  it('http_error: every request fails with the status; revert restores', async () => {
    await inject('http_error', { rate: 1, status: 503 });
    for (let i = 0; i < 5; i++) expect(await get()).toMatchObject({ status: 503 });
    expect(ledger.outstanding()).toHaveLength(1);
    await session.revertAll();
    expect(await get()).toMatchObject({ status: 200 });
    expect(ledger.outstanding()).toEqual([]);
  });

  it('http_latency: answers take at least the latency; revert restores', async () => {
    await inject('http_latency', { latency: '300ms' });
    const slow = await get();
    expect(slow).not.toBe('no answer');
    expect((slow as { ms: number }).ms).toBeGreaterThanOrEqual(280);
    await session.revertAll();
    const fast = await get();
    expect((fast as { ms: number }).ms).toBeLessThan(250);
  });

  it('http_hang: requests are held; revert releases the held one and answers new ones', async () => {
    await inject('http_hang');
    const held = get(5000);
    expect(await get(300)).toBe('no answer');
    await session.revertAll();
    expect(await held).toMatchObject({ status: 200 });
    expect(await get()).toMatchObject({ status: 200 });
  });

  it('bad parameters are refused before anything is injected', async () => {
    await expect(session.prepare('http_error', 'app1', { rate: 2 })).rejects.toThrow(/http_error: rate: /);
    await expect(session.prepare('http_error', 'app1', { colour: 'red' })).rejects.toThrow(
      /unknown parameter\(s\) colour/,
    );
    expect(ledger.outstanding()).toEqual([]);
    expect(await get()).toMatchObject({ status: 200 });
  });
});
