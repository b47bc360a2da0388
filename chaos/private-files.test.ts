import { chmodSync, chownSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processStartTime } from '../core/process/identity.ts';
import { Ledger } from './ledger.ts';
import { readStackState, type StackState, writeStackState } from './targets/stack-state.ts';

const revert = { kind: 'none' } as const;
const fresh = () => join(mkdtempSync(join(tmpdir(), 'faultline-perm-')), '.faultline');

function ledgerWithOneFault(): Ledger {
  const ledger = new Ledger(join(fresh(), 'ledger.jsonl'));
  ledger.plan({ fault: 'pause', target: 'app1', params: {}, description: 'freeze app1', revert });
  return ledger;
}

const state = (): StackState => ({
  version: 1,
  startedAt: new Date().toISOString(),
  ownerPid: process.pid,
  ownerStartTime: processStartTime(process.pid) as string,
  balancer: { url: 'http://127.0.0.1:9', adminUrl: 'http://127.0.0.1:9' },
  proxyControlUrl: null,
  processes: [],
});

describe('ledger and stack files others could have written are refused', () => {
  it('creates them 0600 in a 0700 folder', () => {
    const ledger = ledgerWithOneFault();
    expect(statSync(ledger.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(ledger.file, '..')).mode & 0o777).toBe(0o700);
    const stack = join(fresh(), 'stack.json');
    writeStackState(stack, state());
    expect(statSync(stack).mode & 0o777).toBe(0o600);
    expect(readStackState(stack).ownerPid).toBe(process.pid);
  });

  it('a group- or world-writable ledger: refused to read and to append, naming the file and the rule', () => {
    for (const mode of [0o666, 0o620]) {
      const ledger = ledgerWithOneFault();
      chmodSync(ledger.file, mode);
      const expected = `refusing fault ledger ${ledger.file}: it is group- or world-writable (mode 0${mode.toString(8)}); faultline only trusts a fault ledger owned by the user running it and writable by that user alone (fix: chmod go-w ${ledger.file})`;
      expect(() => ledger.outstanding()).toThrow(expected);
      expect(() => ledger.applied('x')).toThrow(expected);
      expect(() => ledger.outstanding()).toThrow(expect.objectContaining({ code: 'FL_UNSAFE_FILE' }));
    }
  });

  it.runIf(process.getuid?.() === 0)('a ledger or stack file owned by another user: refused', () => {
    const ledger = ledgerWithOneFault();
    chownSync(ledger.file, 4242, 4242);
    expect(() => ledger.outstanding()).toThrow(
      `refusing fault ledger ${ledger.file}: it is owned by uid 4242, not by uid 0 running faultline`,
    );
    const stack = join(fresh(), 'stack.json');
    writeStackState(stack, state());
    chownSync(stack, 4242, 4242);
    expect(() => readStackState(stack)).toThrow(`refusing stack file ${stack}: it is owned by uid 4242`);
    expect(() => writeStackState(stack, state())).toThrow(
      expect.objectContaining({ code: 'FL_UNSAFE_FILE' }),
    );
  });

  it('a world-writable stack file: refused', () => {
    const stack = join(fresh(), 'stack.json');
    writeStackState(stack, state());
    chmodSync(stack, 0o646);
    expect(() => readStackState(stack)).toThrow(
      `refusing stack file ${stack}: it is group- or world-writable (mode 0646)`,
    );
  });
});
