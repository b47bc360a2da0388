/**
 * A stale stack file, or a pid that names another process now, is refused with one message
 * (FL_TARGET_STALE) by `faultline chaos` and `faultline revert`, and the unrelated process that
 * holds the pid survives untouched.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../core/net/ports.ts';
import {
  answers,
  type Listener,
  ROOT,
  runsFreely,
  stackEntry,
  startListener,
  writeStackFile,
} from '../fixtures/local-process.ts';

const BIN = join(ROOT, 'bin/faultline.js');
const started: Listener[] = [];

afterEach(() => {
  for (const l of started.splice(0)) if (l.child.exitCode === null) l.child.kill('SIGKILL');
});

async function cli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

async function unrelated(): Promise<Listener> {
  const l = await startListener();
  started.push(l);
  return l;
}

/** A start time the kernel never gave this pid: the record names another instance. */
const otherStartTime = (l: Listener) => String(Number(l.startTime) - 1);

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-stale-'));
  const stack = join(dir, 'stack.json');
  const ledger = join(dir, 'ledger.jsonl');
  return { dir, stack, ledger, env: { FAULTLINE_STACK: stack, FAULTLINE_LEDGER: ledger } };
}

describe('a stale stack file or a reused pid is refused, and the process holding the pid survives', () => {
  it('faultline chaos kill/pause/stop: refused before anything is planned', async () => {
    const { stack, ledger, env } = setup();
    const stranger = await unrelated();
    // The stack's app1 was pid P listening on this port; P now belongs to `stranger`.
    writeStackFile(stack, [stackEntry('app1', stranger, { startTime: otherStartTime(stranger) })]);
    for (const fault of ['kill', 'pause', 'stop']) {
      const r = await cli(['chaos', fault, 'app1'], env);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain(
        `refusing to act on app1: pid ${stranger.pid} is not the process faultline recorded`,
      );
      expect(r.err).toContain(`in ${stack}`);
      expect(r.err).toContain('[FL_TARGET_STALE]');
    }
    expect(runsFreely(stranger.pid)).toBe(true);
    expect(await answers(stranger.port)).toBe(true);
    expect(existsSync(ledger)).toBe(false);
  }, 60_000);

  it('a stack file whose owner pid names another process is refused as a whole', async () => {
    const { stack, env } = setup();
    const stranger = await unrelated();
    const owner = { pid: stranger.pid, startTime: otherStartTime(stranger) };
    writeStackFile(stack, [stackEntry('app1', stranger)], owner);
    const r = await cli(['chaos', 'kill', 'app1'], env);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(`refusing to act on the local stack (its owner process): pid ${stranger.pid}`);
    expect(r.err).toContain('[FL_TARGET_STALE]');
    expect(runsFreely(stranger.pid)).toBe(true);
  }, 30_000);

  it('faultline revert: a resume record whose pid was reused signals nothing; a respawn for a stale stack starts nothing', async () => {
    const { dir, stack, ledger, env } = setup();
    const stranger = await unrelated();
    const port = await freePort();
    // A stack whose owner pid now names the stranger: its app2 must not be started again.
    writeStackFile(stack, [stackEntry('app1', stranger)], {
      pid: stranger.pid,
      startTime: otherStartTime(stranger),
    });
    const marker = join(dir, 'started');
    const lines = [
      {
        type: 'planned',
        id: 'a',
        at: new Date().toISOString(),
        pid: 1,
        fault: 'pause',
        target: 'app1',
        params: {},
        description: 'freeze app1 (SIGSTOP)',
        revert: {
          kind: 'resume-process',
          name: 'app1',
          pid: stranger.pid,
          startedAt: otherStartTime(stranger),
        },
      },
      { type: 'applied', id: 'a', at: new Date().toISOString() },
      {
        type: 'planned',
        id: 'b',
        at: new Date().toISOString(),
        pid: 1,
        fault: 'kill',
        target: 'app2',
        params: {},
        description: 'kill app2 (SIGKILL)',
        revert: {
          kind: 'respawn-process',
          name: 'app2',
          stackFile: stack,
          spec: {
            command: process.execPath,
            args: [
              '-e',
              `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); setTimeout(() => {}, 5000)`,
            ],
            cwd: ROOT,
            env: {},
            port,
          },
        },
      },
      { type: 'applied', id: 'b', at: new Date().toISOString() },
    ];
    writeFileSync(ledger, lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
    // The stranger is frozen by someone else: a SIGCONT from faultline would change it.
    process.kill(stranger.pid, 'SIGSTOP');
    const r = await cli(['revert'], env);
    const stillFrozen = !runsFreely(stranger.pid);
    process.kill(stranger.pid, 'SIGCONT');
    expect(stillFrozen).toBe(true);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      `refusing to act on app1: pid ${stranger.pid} is not the process faultline recorded`,
    );
    expect(r.out).toContain(
      'app2: not started again, its stack is no more: refusing to act on the local stack',
    );
    expect(r.out).toContain('[FL_TARGET_STALE]');
    expect(r.out).toContain('2 reverted, 0 failed');
    expect(existsSync(marker)).toBe(false);
    const outcomes = readFileSync(ledger, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'reverted')
      .map((l) => l.outcome);
    expect(outcomes).toEqual(['nothing-to-do', 'nothing-to-do']);
    expect(runsFreely(stranger.pid)).toBe(true);
  }, 30_000);
});
