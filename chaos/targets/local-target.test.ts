import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllBackends, spawnBackend } from '../../backends/spawn.ts';
import { processStartTime } from '../../core/process/identity.ts';
import { killDetached, trackListener } from '../../test/fixtures/detached-processes.ts';
import { RequestTimeoutError, request } from '../../test/fixtures/http.ts';
import { type Listener, startListener } from '../../test/fixtures/local-process.ts';
import { killFault } from '../faults/kill.ts';
import { partitionFault } from '../faults/partition.ts';
import { pauseFault } from '../faults/pause.ts';
import { restartFault } from '../faults/restart.ts';
import { stopFault } from '../faults/stop.ts';
import { Ledger } from '../ledger.ts';
import { applyRevert } from '../revert.ts';
import { ChaosSession } from '../session.ts';
import type { RevertRecord } from '../types.ts';
import { TargetNotFoundError } from './errors.ts';
import { LocalTargetProvider } from './local-target.ts';

const strangers: Listener[] = [];

afterEach(async () => {
  for (const s of strangers.splice(0)) s.child.kill('SIGKILL');
  await killAllBackends();
  await killDetached();
});

async function startStack(...names: string[]) {
  const backends = await Promise.all(names.map((n) => spawnBackend(n)));
  return LocalTargetProvider.fromBackends(backends);
}

/** Reverts go through the ledger as JSON: prove the record survives that. */
const viaLedger = (record: RevertRecord): RevertRecord => JSON.parse(JSON.stringify(record));

async function answers(url: string, name: string): Promise<void> {
  const res = await request(url, { timeoutMs: 3000 });
  expect(res.status).toBe(200);
  expect(res.headers['x-backend-instance']).toBe(name);
}

describe('LocalTargetProvider', () => {
  it('lists its targets and refuses an unknown name, naming the ones there are', async () => {
    const provider = await startStack('app1', 'app2');
    expect(await provider.names()).toEqual(['app1', 'app2']);
    const error = await provider.resolve('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetNotFoundError);
    expect((error as TargetNotFoundError).code).toBe('FL_TARGET_NOT_FOUND');
    expect((error as Error).message).toContain('app1, app2');
    const target = await provider.resolve('app1');
    expect(target.kind).toBe('local-process');
    expect(target.controlUrl).toBe(provider.current('app1').url);
    expect(target.partition).toBeUndefined();
  });
});

describe('process faults on real child processes', () => {
  it('kill: the process is gone, connections refused; the revert starts it again on its port', async () => {
    const provider = await startStack('app1');
    const target = await provider.resolve('app1');
    const old = provider.current('app1');
    const record = viaLedger(killFault.planRevert(target, {}));
    expect(record).toMatchObject({ kind: 'respawn-process', name: 'app1', spec: { port: old.port } });
    await killFault.inject(target, {});
    expect((await old.exited).signal).toBe('SIGKILL');
    await expect(request(old.url, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    expect(await applyRevert(record)).toBe('reverted');
    const pid = trackListener(old.port);
    expect(pid).not.toBe(old.pid);
    await answers(old.url, 'app1');
    expect(await applyRevert(record)).toBe('nothing-to-do');
  });

  it('kill after the injector is gone: a respawn record alone brings the backend back', async () => {
    const backend = await spawnBackend('app2');
    const provider = LocalTargetProvider.fromBackends([backend]);
    const record = viaLedger((await provider.resolve('app2')).planRevert('kill'));
    process.kill(backend.pid, 'SIGKILL'); // no fault object, no handle used: only the record remains
    await backend.exited;
    expect(await applyRevert(record)).toBe('reverted');
    trackListener(backend.port);
    await answers(backend.url, 'app2');
  });

  it('stop: graceful exit; the revert starts it again', async () => {
    const provider = await startStack('app1');
    const target = await provider.resolve('app1');
    const old = provider.current('app1');
    const record = viaLedger(stopFault.planRevert(target, {}));
    await stopFault.inject(target, {});
    expect((await old.exited).code).toBe(0);
    await expect(request(old.url, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await applyRevert(record)).toBe('reverted');
    trackListener(old.port);
    await answers(old.url, 'app1');
  });

  it('kill revert with a stranger on the port: nothing started, and the log names who listens', async () => {
    const provider = await startStack('app1');
    const target = await provider.resolve('app1');
    const old = provider.current('app1');
    const record = viaLedger(killFault.planRevert(target, {}));
    await killFault.inject(target, {});
    const stranger = await startListener({ PORT: String(old.port) });
    strangers.push(stranger);
    const lines: string[] = [];
    expect(await applyRevert(record, (l) => lines.push(l))).toBe('nothing-to-do');
    expect(lines.join('\n')).toContain(
      `something already listens on port ${old.port} (pid ${stranger.pid}: `,
    );
    expect(lines.join('\n')).toContain('slow-exit-server.mjs');
  });

  it('restart: a new process answers on the same port, and the provider hands it out', async () => {
    const provider = await startStack('app1');
    const target = await provider.resolve('app1');
    const old = provider.current('app1');
    const record = restartFault.planRevert(target, {});
    await restartFault.inject(target, {});
    const fresh = provider.current('app1');
    expect(fresh.pid).not.toBe(old.pid);
    expect(fresh.port).toBe(old.port);
    expect((await old.exited).code).toBe(0);
    await answers(old.url, 'app1');
    expect(target.controlUrl).toBe(fresh.url);
    expect(await applyRevert(record)).toBe('nothing-to-do');
  });

  it('pause: requests get no answer; the resume record (even after the injector is gone) thaws it', async () => {
    const provider = await startStack('app1');
    const backend = provider.current('app1');
    // The injector writes the record, freezes, then dies: only the JSON record is left.
    const ledgerLine = JSON.stringify(pauseFault.planRevert(await provider.resolve('app1'), {}));
    await pauseFault.inject(await provider.resolve('app1'), {});
    await expect(request(backend.url, { timeoutMs: 300 })).rejects.toBeInstanceOf(RequestTimeoutError);

    const record = JSON.parse(ledgerLine) as RevertRecord;
    expect(record).toMatchObject({
      kind: 'resume-process',
      pid: backend.pid,
      startedAt: processStartTime(backend.pid),
    });
    expect(await applyRevert(record)).toBe('reverted');
    await answers(backend.url, 'app1');
    expect(await applyRevert(record)).toBe('reverted'); // SIGCONT again is harmless
  });

  it('a resume record whose pid names another process instance, or none, signals nothing', async () => {
    const provider = await startStack('app1', 'app2');
    const frozen = provider.current('app1');
    const target = await provider.resolve('app1');
    await target.pause();
    // Same pid, different start time: as if the pid had been recycled.
    const recycled: RevertRecord = { kind: 'resume-process', name: 'app1', pid: frozen.pid, startedAt: '1' };
    expect(await applyRevert(recycled)).toBe('nothing-to-do');
    await expect(request(frozen.url, { timeoutMs: 300 })).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(await applyRevert({ ...recycled, startedAt: '' })).toBe('nothing-to-do');

    const gone = provider.current('app2');
    const stale = (await provider.resolve('app2')).planRevert('pause');
    await gone.kill();
    expect(await applyRevert(stale)).toBe('nothing-to-do');
  });

  it('partition without a toxic proxy fails before injecting, with a clear message', async () => {
    const provider = await startStack('app1');
    const target = await provider.resolve('app1');
    expect(partitionFault.precheck?.(target)).toBe(
      'partition needs a toxic proxy in front of local target app1, or a docker target',
    );
    await expect(partitionFault.inject(target, {})).rejects.toThrow(
      /needs a toxic proxy in front of local target app1/,
    );
    await answers(provider.current('app1').url, 'app1');
  });
});

describe('a session that kills and reverts keeps tracking the process it started again', () => {
  it('kill, revert, then pause: the pause freezes the new process, and its revert thaws it', async () => {
    const provider = await startStack('app1');
    const old = provider.current('app1');
    const session = new ChaosSession(
      new Ledger(join(mkdtempSync(join(tmpdir(), 'faultline-own-')), 'ledger.jsonl')),
      provider,
    );
    const killed = await session.inject(await session.prepare('kill', 'app1', {}));
    expect(await session.revert([killed])).toMatchObject([{ outcome: 'reverted' }]);
    const fresh = provider.current('app1');
    expect(fresh.pid).not.toBe(old.pid);
    expect(fresh.port).toBe(old.port);
    await answers(old.url, 'app1');

    const paused = await session.inject(await session.prepare('pause', 'app1', {}));
    await expect(request(old.url, { timeoutMs: 500 })).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(await session.revert([paused])).toMatchObject([{ outcome: 'reverted' }]);
    await answers(old.url, 'app1');

    // A restart now stops the tracked process and starts another on the same port.
    const restarted = await session.inject(await session.prepare('restart', 'app1', {}));
    await session.revert([restarted]);
    expect(provider.current('app1').pid).not.toBe(fresh.pid);
    await answers(old.url, 'app1');
  });
});
