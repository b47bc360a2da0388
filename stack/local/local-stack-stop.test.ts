import { chmodSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllBackends } from '../../backends/spawn.ts';
import { killFault } from '../../chaos/faults/kill.ts';
import { applyRevert } from '../../chaos/revert.ts';
import { readStackStateFile, updateStackProcess } from '../../chaos/targets/stack-state.ts';
import { type ProcessInstance, processStartTime, waitForExit } from '../../core/process/identity.ts';
import { killInstance } from '../../test/fixtures/detached-processes.ts';
import { type Listener, runsFreely, startListener } from '../../test/fixtures/local-process.ts';
import { LocalStack } from './local-stack.ts';

const strangers: Listener[] = [];
const leftovers: ProcessInstance[] = [];

afterEach(async () => {
  for (const s of strangers.splice(0)) s.child.kill('SIGKILL');
  for (const instance of leftovers.splice(0)) await killInstance(instance);
  await killAllBackends();
});

/** Live (not zombie) sample backends whose parent is this process. */
function backendChildren(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return Number(ppid) === process.pid && state !== 'Z' && cmdline.includes('backends/main.ts');
      } catch {
        return false;
      }
    })
    .map(Number);
}

const stateFile = () => join(mkdtempSync(join(tmpdir(), 'faultline-stop-')), 'stack.json');

describe('LocalStack.stop() checks every process against the instance it recorded', () => {
  it('stops a process a revert started again, skips one already gone, leaves a reused pid alone', async () => {
    const file = stateFile();
    const stack = await LocalStack.start({
      backends: [{ name: 'app1' }, { name: 'app2' }, { name: 'app3' }],
      balancer: 'in-process',
      stateFile: file,
    });
    // app1: gone already.
    await stack.backend('app1').kill();
    // app2: killed, then started again by a revert (detached): the stack file records the new one.
    const target = await stack.targets.resolve('app2');
    const record = killFault.planRevert(target, {});
    await killFault.inject(target, {});
    expect(await applyRevert(record)).toBe('reverted');
    const respawned = readStackStateFile(file).processes.find((p) => p.name === 'app2');
    expect(respawned?.pid).not.toBe(stack.backend('app2').pid);
    expect(processStartTime(respawned?.pid as number)).toBe(respawned?.startTime);
    if (respawned) leftovers.push(respawned);
    // app3: killed; its recorded pid now names an unrelated process on its old port.
    const app3 = stack.backend('app3');
    await app3.kill();
    const stranger = await startListener({ PORT: String(app3.port) });
    strangers.push(stranger);
    updateStackProcess(file, 'app3', {
      pid: stranger.pid,
      startTime: String(Number(stranger.startTime) - 1),
    });

    await stack.stop();
    expect(await waitForExit(respawned?.pid as number, 1000)).toBe(true);
    expect(runsFreely(stranger.pid)).toBe(true);
  }, 60_000);

  it('never throws halfway: what it could not do is named once everything else is stopped', async () => {
    const file = stateFile();
    const stack = await LocalStack.start({
      backends: [{ name: 'app1' }, { name: 'app2' }],
      balancer: 'in-process',
      stateFile: file,
    });
    const handles = [stack.backend('app1'), stack.backend('app2')];
    chmodSync(file, 0o666);
    const error = await stack.stop().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FL_STACK_STOP_INCOMPLETE' });
    expect((error as Error).message).toContain(`refusing stack file ${file}: it is group- or world-writable`);
    for (const h of handles) expect(h.child.exitCode !== null || h.child.signalCode !== null).toBe(true);
  }, 60_000);

  it('a backend that does not start: the ones that did are stopped, nothing is left running', async () => {
    const error = await LocalStack.start({
      backends: [{ name: 'app1' }, { name: 'app2', env: { LATENCY_MS: 'soon' } }],
      balancer: 'in-process',
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('backend app2 exited');
    expect(backendChildren()).toEqual([]);
  }, 60_000);
});
