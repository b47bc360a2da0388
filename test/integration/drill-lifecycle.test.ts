import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../chaos/ledger.ts';
import {
  after as afterEvent,
  at,
  type DrillDefinition,
  defineDrill,
  event,
  kill,
  shell,
} from '../../drills/define.ts';
import { runDrill } from '../../drills/runner/run-drill.ts';
import { validateDrill } from '../../drills/validate.ts';

function drill(overrides: Partial<DrillDefinition>) {
  return validateDrill(
    defineDrill({
      name: 'lifecycle',
      description: 'a short drill for one lifecycle rule',
      stack: 'sample',
      load: { rate: 100 },
      steadyState: { duration: '500ms', thresholds: ['error_rate<50%'] },
      method: [at('300ms', kill('app2'), { as: 'crash' })],
      duration: '1.5s',
      sla: ['errors<1000 overall'],
      ...overrides,
    }),
    'test/lifecycle.drill.ts',
  );
}

function ledgerFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'faultline-lifecycle-')), 'ledger.jsonl');
}

describe('the drill lifecycle on the local stack', () => {
  it('not steady before the method: aborted, and no fault is injected', async () => {
    const ledger = ledgerFile();
    const { journal } = await runDrill(
      drill({ steadyState: { duration: '500ms', thresholds: ['p(99)<0.001ms'] } }),
      {
        ledgerFile: ledger,
      },
    );
    expect(journal.status).toBe('aborted');
    expect(journal.reason).toContain('not in steady state before the method, no fault injected');
    expect(journal.steadyState.before[0]?.verdict).toBe('failed');
    expect(journal.actions).toEqual([]);
    expect(journal.phases.method).toBeUndefined();
    expect(journal.sla.map((s) => s.verdict)).toEqual(['inconclusive']);
    expect(new Ledger(ledger).outstanding()).toEqual([]);
    expect(journal.load.sent).toBeGreaterThan(0);
  }, 30_000);

  it('warms up on a ramp before steady state is judged; the journal records the phase', async () => {
    const { journal } = await runDrill(
      drill({
        load: { rate: 200, warmup: { duration: '1s', from: 0.1 } },
        steadyState: { duration: '500ms', thresholds: ['p(99)<0.001ms'] },
      }),
      { ledgerFile: ledgerFile() },
    );
    const warmup = journal.phases.warmup;
    expect(warmup).toBeDefined();
    // The ramp (1 s) and the hold at the full rate (500 ms), then steady state.
    expect((warmup?.end ?? 0) - (warmup?.start ?? 0)).toBeCloseTo(1500, 0);
    expect(journal.phases.before?.start).toBe(warmup?.end);
    const requestsIn = (from: number, to: number) =>
      journal.timeline
        .filter((b) => b.t >= (warmup?.start ?? 0) + from && b.t < (warmup?.start ?? 0) + to)
        .reduce((n, b) => n + b.requests, 0);
    // 250 ms at 10-32% of 200/s is 5-16 requests; 250 ms at the full rate is 50.
    expect(requestsIn(0, 250)).toBeLessThan(20);
    expect(requestsIn(1000, 1500)).toBeGreaterThan(80);
  }, 30_000);

  it('an abort condition that holds stops the run at once and reverts the faults', async () => {
    const ledger = ledgerFile();
    const { journal } = await runDrill(
      drill({
        method: [at('200ms', kill(['app1', 'app2', 'app3']), { as: 'blackout' })],
        duration: '20s',
        abortWhen: ['error_rate>50%'],
        sla: ['errors==0 during blackout'],
      }),
      { ledgerFile: ledger },
    );
    expect(journal.status).toBe('aborted');
    expect(journal.reason).toMatch(/^abort condition error_rate>50% held: error_rate \d+\.\d+%/);
    // The method (which ends once the reverts are done) stopped long before its 20 s were up.
    // Not the whole run: stack start-up and the reverts' restarts take what the machine's load
    // makes them take (19 s in all once, on a loaded CI machine).
    const method = journal.phases.method as { start: number; end: number };
    expect(method.end - method.start).toBeLessThan(15_000);
    expect(journal.reverts.map((r) => r.outcome)).toEqual(['reverted', 'reverted', 'reverted']);
    expect(new Ledger(ledger).outstanding()).toEqual([]);
    expect(journal.deviated).toBe(true);
  }, 30_000);

  it('shell steps run through zx: output recorded; a failing one fails the run and skips the rest', async () => {
    const ok = await runDrill(
      drill({
        method: [
          at('200ms', shell('echo "runbook step 1 done"')),
          at('400ms', kill('app2'), { as: 'crash' }),
        ],
        sla: ['errors<1000 overall'],
      }),
      { ledgerFile: ledgerFile() },
    );
    expect(ok.journal.status).toBe('completed');
    expect(ok.journal.actions[0]).toMatchObject({
      kind: 'shell',
      status: 'ok',
      output: 'runbook step 1 done',
    });

    const failing = await runDrill(
      drill({
        method: [at('200ms', shell('echo broken >&2; exit 3')), at('400ms', kill('app2'), { as: 'crash' })],
        sla: ['errors<1000 overall'],
      }),
      { ledgerFile: ledgerFile() },
    );
    expect(failing.journal.status).toBe('failed');
    expect(failing.journal.reason).toContain('exited 3: broken');
    expect(failing.journal.actions.map((a) => a.status)).toEqual(['failed', 'skipped']);
    expect(failing.journal.reverts).toEqual([]);
  }, 60_000);

  it('a step waits for a balancer event; one that never comes fails the run', async () => {
    const { journal } = await runDrill(
      drill({
        method: [
          at('200ms', kill('app2'), { as: 'crash' }),
          afterEvent(event('server-down', 'app2'), shell('true'), { as: 'noticed' }),
          afterEvent(event('failback'), shell('true'), { as: 'never', timeout: '500ms' }),
        ],
        sla: ['errors<1000 overall'],
      }),
      { ledgerFile: ledgerFile() },
    );
    const [crash, noticed, never] = journal.actions;
    expect(noticed?.status).toBe('ok');
    const down = journal.events.find((e) => e.kind === 'server-down' && e.server === 'app2');
    expect(down).toBeDefined();
    expect(noticed?.startedAt).toBeGreaterThanOrEqual(down?.at ?? Number.POSITIVE_INFINITY);
    expect(noticed?.startedAt).toBeGreaterThan(crash?.startedAt ?? 0);
    expect(never).toMatchObject({
      status: 'skipped',
      error: 'step never: after failback not observed within 500ms',
    });
    expect(journal.status).toBe('failed');
    expect(journal.reverts.map((r) => r.outcome)).toEqual(['reverted']);
  }, 30_000);
});
