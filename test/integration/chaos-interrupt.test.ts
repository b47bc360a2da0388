/**
 * Ctrl-C while an injection is in flight: the CLI waits for it to finish, then reverts it,
 * and the ledger says planned → applied → reverted. A second Ctrl-C says what is left and that
 * `faultline revert` finishes it. The slow injection is real: `stop` on a process that keeps
 * serving for a while after SIGTERM (test/fixtures/slow-exit-server.mjs).
 */

import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { StackState } from '../../chaos/targets/stack-state.ts';
import { processStartTime, waitForExit } from '../../core/process/identity.ts';
import { startNode } from '../fixtures/cli-process.ts';
import { answers, ROOT, stackEntry, startListener, writeStackFile } from '../fixtures/local-process.ts';

const BIN = join(ROOT, 'bin/faultline.js');
const dir = mkdtempSync(join(tmpdir(), 'faultline-interrupt-'));
const stackFile = join(dir, 'stack.json');
const ledgerFile = join(dir, 'ledger.jsonl');
const mark = join(dir, 'sigterms');
const exitLog = join(dir, 'exits.log');
const env = { ...process.env, FAULTLINE_STACK: stackFile, FAULTLINE_LEDGER: ledgerFile };
const LINGER_MS = '2500';

const start = (args: string[]) => startNode([BIN, ...args], { cwd: ROOT, env });
/** How long a child process gets to reach what a test waits for, checked every 50 ms. */
const SETTLE = { timeout: 15_000, interval: 50 };

const sigterms = () => (existsSync(mark) ? readFileSync(mark, 'utf8').trim().split('\n').length : 0);
/** What the slow processes wrote about themselves, and whether the recorded one runs: for failure messages. */
const story = (extra = '') =>
  `${extra}\nexit log:\n${existsSync(exitLog) ? readFileSync(exitLog, 'utf8') : '(none)'}` +
  `recorded ${JSON.stringify(recorded())}, start time now ${processStartTime(recorded().pid)}`;
const recorded = () =>
  (JSON.parse(readFileSync(stackFile, 'utf8')) as StackState).processes[0] as StackState['processes'][0];

/** Ledger line types per fault id, in file order. */
function ledgerOrder(): string[][] {
  const byId = new Map<string, string[]>();
  for (const text of readFileSync(ledgerFile, 'utf8').trim().split('\n')) {
    const line = JSON.parse(text) as { id: string; type: string };
    byId.set(line.id, [...(byId.get(line.id) ?? []), line.type]);
  }
  return [...byId.values()];
}

let first: ChildProcess | undefined;

afterAll(async () => {
  first?.kill('SIGKILL');
  // The process a revert started, by the instance the stack file records for it.
  const now = recorded();
  if (processStartTime(now.pid) === now.startTime) {
    process.kill(now.pid, 'SIGKILL');
    await waitForExit(now.pid, 5000);
  }
});

describe('Ctrl-C while an injection is in flight', () => {
  it('waits for the injection, then reverts it: the ledger says applied before reverted', async () => {
    const slow = await startListener({ LINGER_MS, SIGTERM_MARK: mark, EXIT_LOG: exitLog });
    first = slow.child;
    const entry = stackEntry('slowpoke', slow);
    entry.spec.env = { ...entry.spec.env, LINGER_MS, SIGTERM_MARK: mark, EXIT_LOG: exitLog };
    writeStackFile(stackFile, [entry]);

    const r = start(['chaos', 'stop', 'slowpoke']);
    // SIGTERM delivered, the process still serving: `stop` is in flight for LINGER_MS.
    await vi.waitFor(() => {
      expect(sigterms(), `SIGTERM to the slow process (${r.err()})`).toBe(1);
    }, SETTLE);
    r.child.kill('SIGINT');
    expect(await r.exited, r.err()).toBe(130);
    expect(r.out()).toContain(
      'received SIGINT: waiting for the injection in flight to finish, then reverting',
    );
    expect(r.out()).toContain('reverted: stop slowpoke');
    expect(ledgerOrder()).toEqual([['planned', 'applied', 'reverted']]);

    expect(slow.child.exitCode).toBe(0); // the fault was applied ...
    const fresh = recorded();
    expect(fresh.pid, story(r.out())).not.toBe(slow.pid); // ... and reverted: started again, recorded in the stack file
    expect(processStartTime(fresh.pid)).toBe(fresh.startTime);
    expect(await answers(slow.port), story(r.out())).toBe(true);
  }, 90_000);

  it('a second Ctrl-C quits at once, says what is left, and `faultline revert` finishes it', async () => {
    const before = recorded();
    const r = start(['chaos', 'stop', 'slowpoke']);
    await vi.waitFor(() => {
      expect(sigterms(), `SIGTERM to the slow process (${r.err()})`).toBe(2);
    }, SETTLE);
    r.child.kill('SIGINT');
    await vi.waitFor(() => {
      expect(r.out(), 'the first SIGINT').toContain('received SIGINT');
    }, SETTLE);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(130);
    expect(r.err()).toContain('received SIGINT again: quitting without finishing the revert');
    expect(r.err()).toContain('still to revert: stop slowpoke');
    expect(r.err()).toContain(`finish it with: faultline revert   (ledger ${ledgerFile})`);
    expect(ledgerOrder()[1]).toEqual(['planned']);

    await waitForExit(before, 10_000); // the stop it left behind completes by itself
    const revert = start(['revert']);
    expect(await revert.exited, revert.err()).toBe(0);
    expect(revert.out(), story(revert.err())).toContain('1 reverted, 0 failed');
    expect(recorded().pid).not.toBe(before.pid);
    expect(await answers(before.port), story(revert.out())).toBe(true);
    expect(ledgerOrder()[1]).toEqual(['planned', 'reverted']);
  }, 90_000);
});
