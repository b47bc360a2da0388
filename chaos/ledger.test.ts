import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger, ledgerPath } from './ledger.ts';

const revert = { kind: 'resume-process', name: 'app1', pid: 1, startedAt: 'x' } as const;

describe('Ledger', () => {
  it('lists what was planned and not reverted, across instances (as after a crash)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ledger-')), 'sub', 'ledger.jsonl');
    const a = new Ledger(file);
    const one = a.plan({ fault: 'pause', target: 'app1', params: {}, description: 'freeze app1', revert });
    a.applied(one.id);
    const two = a.plan({
      fault: 'latency',
      target: 'app2',
      params: { latency: 100 },
      description: 'slow',
      revert,
    });
    a.applied(two.id);
    const three = a.plan({ fault: 'kill', target: 'app3', params: {}, description: 'kill', revert });
    a.reverted(two.id, 'reverted');
    appendFileSync(file, '{"type":"applied","id":"torn'); // a write cut off by a crash

    const b = new Ledger(file);
    const open = b.outstanding();
    expect(open.map((e) => [e.fault, e.state])).toEqual([
      ['pause', 'applied'],
      ['kill', 'planned'],
    ]);
    expect(open[0]?.revert).toEqual(revert);
    b.revertFailed(one.id, 'boom');
    expect(b.outstanding()[0]?.state).toBe('revert-failed');
    b.reverted(one.id, 'nothing-to-do');
    b.reverted(three.id, 'reverted');
    expect(b.outstanding()).toEqual([]);
  });

  it('is empty when the file does not exist, and resolves its path from flag, env, default', () => {
    expect(new Ledger('/nonexistent/dir/ledger.jsonl').outstanding()).toEqual([]);
    expect(ledgerPath('/x/l.jsonl')).toBe('/x/l.jsonl');
    expect(ledgerPath(undefined, { FAULTLINE_LEDGER: '/y/l.jsonl' })).toBe('/y/l.jsonl');
    expect(ledgerPath(undefined, {})).toMatch(/\.faultline\/ledger\.jsonl$/);
  });
});
