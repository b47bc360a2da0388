import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startNode } from '../fixtures/cli-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/faultline.js');
const dir = mkdtempSync(join(tmpdir(), 'faultline-runbook-cli-'));

/** Writes `<dir>/<name>.md` and returns its path. */
function runbookFile(name: string, text: string): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, text);
  return file;
}

async function runbook(...args: string[]) {
  const p = startNode([BIN, 'runbook', ...args], { cwd: ROOT, env: process.env });
  return { code: await p.exited, out: p.out(), err: p.err() };
}

describe('faultline runbook verify (no stack started)', () => {
  it('--dry-run prints every shipped runbook: its fault, restored condition and steps', async () => {
    const r = await runbook('verify', 'runbooks', '--dry-run');
    expect(r.code, r.err).toBe(0);
    for (const file of ['all-primaries-down.md', 'bad-backend.md', 'primary-down.md', 'rolling-deploy.md']) {
      expect(r.out).toContain(`runbook runbooks/${file}:`);
    }
    expect(r.out).toContain('fault       at 1s crash: kill app1 (left in place)');
    expect(r.out).toContain('fault       none: the runbook acts on a healthy stack');
    expect(r.out).toMatch(/line 28\s+start-app1\s+script/);
    expect(r.out).toContain('(dry run: nothing started, nothing injected)');
  }, 30_000);

  it('a malformed runbook: one message naming the file and each line, exit 1, nothing started', async () => {
    const file = runbookFile(
      'bad',
      '---\nfault: primary-crash\nrto: soon\nrestored: { when: p(99)<<1 }\n---\n```sh {"nmae":"x"}\ntrue\n```\n',
    );
    const r = await runbook('verify', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:3: rto: must be a duration`);
    expect(r.err).toContain(`${file}:4: restored.when[0]:`);
    expect(r.err).toContain(`${file}:6: step: unknown block attribute "nmae"; did you mean "name"?`);
    expect(r.err).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('an unknown fault drill or step, and a missing runbook, are named', async () => {
    const unknown = runbookFile(
      'unknown',
      '---\nfault: primary-krash\nrto: 10s\nrestored: { when: errors==0 }\n---\n```sh\ntrue\n```\n',
    );
    const r = await runbook('verify', unknown, '--dry-run');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${unknown}:2: fault: no drill "primary-krash"`);
    const step = runbookFile(
      'step',
      '---\nfault: { drill: primary-crash, step: boom }\nrto: 10s\nrestored: { when: errors==0 }\n---\n```sh\ntrue\n```\n',
    );
    const s = await runbook('verify', step, '--dry-run');
    expect(s.code).toBe(1);
    expect(s.err).toContain(
      `${step}:2: fault.step: drill primary-crash has no step "boom" (steps: crash, restore)`,
    );
    const missing = await runbook('verify', join(dir, 'nope.md'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no runbook at');
  }, 30_000);

  it('a runbook that fails verification exits 3 and names its line', async () => {
    // Its own fault drill, with a steady state that does not hinge on p99: a parallel test file
    // busying both cores once pushed primary-crash's steady state to p99 347 ms (aborted, exit 1).
    writeFileSync(
      join(dir, 'kill-app1.drill.ts'),
      `import { at, defineDrill, kill } from 'faultline';
export default defineDrill({ name: 'kill-app1', description: 'kill app1', stack: 'sample',
  load: { rate: 50, warmup: '500ms' }, steadyState: { duration: '500ms', thresholds: ['error_rate<50%'] },
  method: [at('300ms', kill('app1'), { as: 'crash' })], duration: '1s', sla: ['errors<1000'] });
`,
    );
    const file = runbookFile(
      'fails',
      '---\nfault: ./kill-app1.drill.ts\nrto: 10s\nrestored: { when: errors==0 }\n---\n```console {"name":"check"}\n$ echo v2\nv1\n```\n',
    );
    const r = await runbook('verify', file, '--no-progress', '--report-dir', join(dir, 'reports'));
    expect(r.code, r.err).toBe(3);
    expect(r.out).toContain(`${file}:7: \`echo v2\`: output line 1: expected "v1", got "v2"`);
    expect(r.out).toContain('FAILED VERIFICATION');
  }, 60_000);
});
