import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Journal } from '../../drills/journal/types.ts';
import { startNode } from '../fixtures/cli-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/faultline.js');

function faultline(args: string[], dir: string, env: Record<string, string> = {}) {
  return startNode([BIN, ...args], {
    cwd: dir,
    env: { ...process.env, FAULTLINE_LEDGER: join(dir, 'ledger.jsonl'), ...env },
  });
}

function journals(reportDir: string): Journal[] {
  return readdirSync(reportDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((run) => JSON.parse(readFileSync(join(reportDir, run, 'journal.json'), 'utf8')) as Journal);
}

/** A drill file outside the repository: it imports 'faultline' as a user's file would. */
function drillFile(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.drill.ts`);
  writeFileSync(file, `import { at, defineDrill, kill, pause, restart } from 'faultline';\n${body}\n`);
  return file;
}

describe('faultline drill', () => {
  it('--list and --dry-run load and print the catalog, starting nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-drill-'));
    const list = faultline(['drill', '--list'], dir);
    expect(await list.exited).toBe(0);
    for (const name of [
      'primary-crash',
      'primary-freeze',
      'primaries-down',
      'slow-backend',
      'error-spewer',
      'flapping',
      'rolling-restart',
    ]) {
      expect(list.out()).toContain(name);
    }
    const plan = faultline(['drill', 'primary-freeze', '--dry-run'], dir);
    expect(await plan.exited).toBe(0);
    expect(plan.out()).toContain('at 1s');
    expect(plan.out()).toContain('pause app2, held 2.5s then reverted');
    expect(plan.out()).toContain('detection<1.2s for freeze');
    expect(existsSync(join(dir, 'reports'))).toBe(false);
  });

  it('a bad drill file fails with the file and the field, no stack trace, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-drill-'));
    const file = drillFile(
      dir,
      'bad',
      `export default defineDrill({ name: 'bad', description: 'x', stack: 'sample', load: { rate: 50 },
        method: [at('1s', kill('app9'))], sla: ['p(99)<5%'] });`,
    );
    const r = faultline(['drill', file], dir);
    expect(await r.exited).toBe(1);
    expect(r.err()).toContain(`${file}: method[0].action.targets[0]: no target "app9"`);
    expect(r.err()).toContain('sla[0]:');
    expect(r.err()).toContain('[FL_DRILL_INVALID]');
    expect(r.err()).not.toMatch(/\n\s+at /);
    const missing = faultline(['drill', 'no-such-drill'], dir);
    expect(await missing.exited).toBe(1);
    expect(missing.err()).toContain('no drill "no-such-drill": not a built-in drill (primary-crash');
  });

  it('--target compose refuses a drill the compose stack cannot build, before touching Docker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-drill-'));
    const file = drillFile(
      dir,
      'custom',
      `export default defineDrill({ name: 'custom', description: 'x', load: { rate: 50 },
        stack: { backends: [{ name: 'app1', env: { LATENCY_MS: 5 } }, { name: 'app9' }], balancer: { listen: '127.0.0.1:0' } },
        method: [at('1s', kill('app1'))], sla: ['errors==0'] });`,
    );
    const r = faultline(['drill', '--target', 'compose', file], dir);
    expect(await r.exited).toBe(1);
    expect(r.err()).toContain('cannot run on --target compose');
    expect(r.err()).toContain(`custom.drill.ts: stack.backends[0].env: per-drill backend environment`);
    expect(r.err()).toContain(
      'stack.backends[1].name: "app9" is not a backend service of docker-compose.yml',
    );
    expect(r.err()).toContain('stack.balancer.listen: fixed by the compose stack');
    expect(r.err()).toContain('[FL_DRILL_INVALID]');
    expect(r.err()).not.toMatch(/\n\s+at /);
    const plan = faultline(['drill', '--target', 'compose', '--dry-run', 'slow-backend'], dir);
    expect(await plan.exited).toBe(0);
    expect(plan.out()).toContain(
      'stack       compose: app1 (weight 3), app2, app3 (backup) behind the toxic proxy service',
    );
    const noEngine = faultline(['drill', '--target', 'compose', 'primary-crash'], dir, {
      DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}`,
    });
    expect(await noEngine.exited).toBe(1);
    expect(noEngine.err()).toMatch(
      /no Docker engine answers .*scripts\/ensure-docker\.sh.*\[FL_DOCKER_UNAVAILABLE\]/,
    );
    expect(noEngine.err()).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'reports'))).toBe(false);
    const badProject = faultline(['drill', '--target', 'compose', '--project', 'Bad Name'], dir);
    expect(await badProject.exited).toBe(2);
    expect(badProject.err()).toContain('--project');
  });

  it('an impossible SLA: exit 3, and the journal says which SLA and by how much', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-drill-'));
    const file = drillFile(
      dir,
      'impossible',
      `export default defineDrill({
        name: 'impossible', description: 'p99 under a microsecond', stack: 'sample',
        load: { rate: 100 }, steadyState: { duration: '500ms', thresholds: ['error_rate<50%'] },
        method: [at('500ms', kill('app2'), { as: 'crash' })], duration: '1.5s',
        sla: ['p(99)<0.001ms overall', 'errors<1000 overall'],
      });`,
    );
    const r = faultline(['drill', file, '--report-dir', 'out', '--no-progress'], dir);
    expect(await r.exited).toBe(3);
    const [journal] = journals(join(dir, 'out'));
    expect(journal?.status).toBe('completed');
    expect(journal?.deviated).toBe(true);
    const breached = journal?.sla.find((s) => s.source === 'p(99)<0.001ms overall');
    expect(breached?.verdict).toBe('failed');
    expect(breached?.excess).toBeGreaterThan(0);
    expect(breached?.value).toBeCloseTo((breached?.limit ?? 0) + (breached?.excess ?? 0), 3);
    expect(journal?.sla.find((s) => s.source === 'errors<1000 overall')?.verdict).toBe('passed');
    expect(r.out()).toContain('p(99)<0.001ms');
    for (const f of ['journal.json', 'junit.xml', 'report.html', 'requests.jsonl']) {
      expect(existsSync(join(dir, 'out', journal?.runId ?? '', f))).toBe(true);
    }
  }, 60_000);

  it('SIGINT while a fault is held: the fault is reverted, journal status interrupted, exit 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-drill-'));
    const file = drillFile(
      dir,
      'long-freeze',
      `export default defineDrill({
        name: 'long-freeze', description: 'a freeze held long enough to interrupt', stack: 'sample',
        load: { rate: 50 }, steadyState: { duration: '500ms', thresholds: ['error_rate<50%'] },
        method: [at('200ms', pause('app2'), { as: 'freeze', for: '30s' })], duration: '40s',
        sla: ['errors==0 during freeze'],
      });`,
    );
    const r = faultline(['drill', file, '--report-dir', 'out', '--no-progress'], dir);
    const deadline = Date.now() + 30_000;
    while (!r.out().includes('step freeze:') && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 50));
    expect(r.out()).toContain('step freeze:');
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(130);
    const [journal] = journals(join(dir, 'out'));
    expect(journal?.status).toBe('interrupted');
    // requests.jsonl was streamed during the run and closed before the journal was written:
    // every line complete, as many as the journal says, none dropped.
    const runDir = join(dir, 'out', journal?.runId ?? '');
    const text = readFileSync(join(runDir, 'requests.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const records = text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line) as { intended: number; status: number; latencyMs: number });
    expect(records.length).toBeGreaterThan(20);
    for (const rec of records)
      expect(rec).toMatchObject({ intended: expect.any(Number), status: expect.any(Number) });
    expect(journal?.requestLog).toMatchObject({ written: records.length, dropped: 0 });
    expect(journal?.load.sent).toBe(records.length);
    expect(readdirSync(runDir).sort()).toEqual([
      'journal.json',
      'junit.xml',
      'report.html',
      'requests.jsonl',
    ]);
    expect(journal?.reverts.map((v) => v.outcome)).toEqual(['reverted']);
    expect(journal?.reverts[0]?.description).toContain('app2');
    // Nothing left for `faultline revert`: the ledger holds no outstanding fault.
    const revert = faultline(['revert'], dir);
    expect(await revert.exited).toBe(0);
    expect(revert.out()).toContain('nothing to revert');
  }, 60_000);
});
