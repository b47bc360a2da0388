import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../chaos/ledger.ts';
import { at, defineDrill, kill } from '../../drills/define.ts';
import type { Journal } from '../../drills/journal/types.ts';
import { parseRunbook } from '../../drills/runbook/parse-runbook.ts';
import { runbookDrillPlan, verifyRunbook } from '../../drills/runbook/verify.ts';
import { validateDrill } from '../../drills/validate.ts';

/** app1 (weight 3) killed 300 ms into the method and left down: the runbook must bring it back. */
const DRILL = validateDrill(
  defineDrill({
    name: 'runbook-fault',
    description: 'kill app1 and leave it down',
    stack: 'sample',
    load: { rate: 100, warmup: '1s' },
    steadyState: { duration: '500ms', thresholds: ['error_rate==0'] },
    method: [at('300ms', kill('app1'), { as: 'crash' })],
    duration: '1s',
    sla: ['errors<1000 overall'],
  }),
  'test/runbook-fault.drill.ts',
);

const dir = mkdtempSync(join(tmpdir(), 'faultline-runbooks-'));
const ADMIN = 'curl -s "$FAULTLINE_ADMIN_URL/pools/web/servers/app1"';

async function verify(
  name: string,
  body: string,
  front = 'rto: 20s\nrestored:\n  when: [error_rate==0, served_by(app1)>0]\n  for: 1s',
) {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, `---\nfault: runbook-fault\n${front}\n---\n# ${name}\n\n${body}`);
  const ledgerFile = join(dir, `${name}.ledger.jsonl`);
  const runbook = parseRunbook(readFileSync(file, 'utf8'), file);
  const { journal } = await verifyRunbook(runbook, runbookDrillPlan(runbook, DRILL), { ledgerFile });
  return { journal, ledger: new Ledger(ledgerFile), file };
}

const runbookSteps = (journal: Journal) =>
  journal.actions.filter((a) => a.kind === 'runbook').map((a) => [a.name, a.status, a.failure, a.line]);

const START = '```sh {"name":"start"}\n$FAULTLINE_SERVICES start app1\n```\n';
const BACK = `\`\`\`console {"name":"back","eventually":"15s"}\n$ ${ADMIN}\n.*"state":"up".* (re)\n\`\`\`\n`;

describe('faultline runbook verify on the local stack', () => {
  it('a runbook that restores service is verified, with the time to restore against its RTO', async () => {
    const { journal, ledger } = await verify('good', `${START}\n${BACK}`);
    expect(journal.status, journal.reason).toBe('completed');
    expect(journal.deviated).toBe(false);
    expect(runbookSteps(journal)).toEqual([
      ['start', 'ok', undefined, 10],
      ['back', 'ok', undefined, 14],
    ]);
    expect(journal.runbook).toMatchObject({ verdict: 'verified', rtoMs: 20_000 });
    const rto = journal.sla.find((s) => s.source.startsWith('restored within rto'));
    expect(rto?.verdict).toBe('passed');
    expect(rto?.value).toBeGreaterThan(0);
    expect(rto?.value).toBeLessThan(20_000);
    expect(ledger.outstanding()).toEqual([]);
  }, 60_000);

  it('a wrong command fails at its line, and the fault is still reverted', async () => {
    const { journal, ledger, file } = await verify(
      'wrong-command',
      '```console {"name":"restart"}\n$ faultline-servicez start app1\n```\n',
    );
    expect(journal.deviated).toBe(true);
    expect(runbookSteps(journal)).toEqual([['restart', 'failed', 'command-not-found', 10]]);
    expect(journal.runbook?.reason).toBe(`${file}:11: command not found: faultline-servicez`);
    expect(journal.sla[0]).toMatchObject({ verdict: 'failed' });
    expect(ledger.outstanding()).toEqual([]);
  }, 60_000);

  it('output that changed since the runbook was written fails at the command', async () => {
    const { journal, file } = await verify(
      'changed-output',
      `\`\`\`console {"name":"look"}\n$ ${ADMIN}\n.*"state":"maintenance".* (re)\n\`\`\`\n${START}`,
    );
    expect(runbookSteps(journal)).toEqual([
      ['look', 'failed', 'output-changed', 10],
      ['start', 'skipped', undefined, 14],
    ]);
    expect(journal.runbook?.reason).toContain(
      `${file}:11: \`${ADMIN}\`: output line 1: expected .*"state":"maintenance".* (re), got`,
    );
  }, 60_000);

  it('a step that hangs past its timeout fails at its line', async () => {
    const { journal, file } = await verify(
      'hangs',
      '```console {"name":"wait","timeout":"1s"}\n$ sleep 60\n```\n',
    );
    expect(runbookSteps(journal)).toEqual([['wait', 'failed', 'timed-out', 10]]);
    expect(journal.runbook?.reason).toBe(`${file}:11: \`sleep 60\` did not finish within 1s`);
  }, 60_000);

  it('steps that all succeed but never restore service fail on the RTO', async () => {
    const { journal, file } = await verify(
      'never-restores',
      '```sh {"name":"look"}\ntrue\n```\n',
      'rto: 3s\nrestored:\n  when: [served_by(app1)>0]\n  for: 1s',
    );
    expect(runbookSteps(journal)).toEqual([['look', 'ok', undefined, 10]]);
    expect(journal.deviated).toBe(true);
    expect(journal.runbook).toMatchObject({ verdict: 'failed', restoredAt: null });
    expect(journal.runbook?.reason).toContain(
      `${file}:3: service was never restored: served_by(app1)>0 did not hold over 1s within the RTO of 3s`,
    );
  }, 60_000);

  it('service restored after the RTO has passed fails as a blown RTO, with how long it took', async () => {
    const { journal, file } = await verify(
      'too-slow',
      `\`\`\`sh {"name":"dawdle"}\nsleep 3\n\`\`\`\n${START}\n${BACK}`,
      'rto: 2s\nrestored:\n  when: [error_rate==0, served_by(app1)>0]\n  for: 1s',
    );
    expect(runbookSteps(journal).map(([name, status]) => [name, status])).toEqual([
      ['dawdle', 'ok'],
      ['start', 'ok'],
      ['back', 'ok'],
    ]);
    const rto = journal.sla.find((s) => s.source === 'restored within rto 2s');
    expect(rto?.verdict).toBe('failed');
    expect(rto?.value).toBeGreaterThan(3000);
    expect(journal.runbook?.reason).toMatch(
      new RegExp(`^${file.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}:3: .* after the fault, past the RTO of 2s$`),
    );
  }, 60_000);
});
