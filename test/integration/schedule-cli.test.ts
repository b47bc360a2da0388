import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../chaos/ledger.ts';
import { processStartTime, processState } from '../../core/process/identity.ts';
import { openHistoryDb } from '../../drills/history/history-db.ts';
import { type HistoryRun, listRuns } from '../../drills/history/runs.ts';
import type { Journal } from '../../drills/journal/types.ts';
import { type RunningProcess, startNode } from '../fixtures/cli-process.ts';
import { BIN } from '../fixtures/demo-stack.ts';
import { deadUrl, startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

const started: RunningProcess[] = [];
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  for (const r of receivers.splice(0)) await r.close();
});

function faultline(args: string[], dir: string): RunningProcess {
  const p = startNode([BIN, ...args], {
    cwd: dir,
    env: { ...process.env, FAULTLINE_LEDGER: join(dir, 'ledger.jsonl'), FORCE_COLOR: '0' },
  });
  started.push(p);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A drill of a few seconds: kill app1 under light load. `sla` decides whether it passes. */
function quickDrill(dir: string, sla = "['detection<5s']"): string {
  const file = join(dir, 'quick.drill.ts');
  writeFileSync(
    file,
    `import { at, defineDrill, kill } from 'faultline';
export default defineDrill({ name: 'quick', description: 'kill app1', stack: 'sample',
  load: { rate: 40, warmup: '300ms' }, steadyState: { duration: '300ms', thresholds: ['error_rate<50%'] },
  method: [at('300ms', kill('app1'))], duration: '1s', sla: ${sla} });
`,
  );
  return file;
}

function runsIn(dir: string): HistoryRun[] {
  const db = openHistoryDb(join(dir, 'reports', 'history.sqlite'));
  try {
    return listRuns(db, { limit: 1000 });
  } finally {
    db.close();
  }
}

describe('faultline schedule', () => {
  it('two scheduler processes on one history never run at once; SIGTERM stops both with nothing left injected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-schedule-'));
    quickDrill(dir);
    writeFileSync(
      join(dir, 'schedule.yaml'),
      'jobs:\n  - name: every-second\n    cron: "* * * * * *"\n    run: quick.drill.ts\n',
    );
    const a = faultline(['schedule', '--config', 'schedule.yaml'], dir);
    const b = faultline(['schedule', '--config', 'schedule.yaml'], dir);
    // Until two runs finished (each a few seconds; longer on a busy machine), at most 45 s.
    const finished = () => (`${a.out()}${b.out()}`.match(/decision=finished/g) ?? []).length;
    for (let i = 0; i < 450 && finished() < 2; i++) await sleep(100);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    for (const p of [a, b]) {
      expect(p.out()).toContain('scheduler stopped');
      expect(p.err()).not.toMatch(/\n\s+at /);
    }
    const runs = runsIn(dir);
    const ran = runs.filter((r) => r.status !== 'skipped').sort((x, y) => x.startedAt - y.startedAt);
    expect(ran.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < ran.length; i++) {
      expect(ran[i]?.startedAt, 'runs overlapped').toBeGreaterThanOrEqual(ran[i - 1]?.endedAt as number);
    }
    const overlap = runs.filter((r) => r.decision === 'overlap');
    expect(overlap.length).toBeGreaterThan(5);
    // The other process's run is named with its pid.
    const pids = [a.child.pid, b.child.pid];
    expect(overlap.some((r) => pids.some((pid) => r.reason?.includes(`pid ${pid}`)))).toBe(true);
    const decisions = `${a.out()}${b.out()}`.match(/decision=\S+/g) ?? [];
    expect(decisions).toContain('decision=ran');
    expect(decisions).toContain('decision=skipped-overlap');
    expect(new Ledger(join(dir, 'ledger.jsonl')).outstanding()).toEqual([]);
  }, 90_000);

  it('a leashed job injects nothing; after a restart the missed ticks are recorded and run-latest catches up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-schedule-'));
    quickDrill(dir);
    writeFileSync(
      join(dir, 'schedule.yaml'),
      'jobs:\n  - name: leashed\n    cron: "*/2 * * * * *"\n    run: quick.drill.ts\n    leashed: true\n    missed: { policy: run-latest, deadline: 1m }\n',
    );
    const first = faultline(['schedule', '--config', 'schedule.yaml'], dir);
    for (let i = 0; i < 450 && !/decision=finished/.test(first.out()); i++) await sleep(100);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const [run] = runsIn(dir).filter((r) => r.status !== 'skipped');
    expect(run).toMatchObject({ job: 'leashed', status: 'passed', leashed: true });
    const journal = JSON.parse(
      readFileSync(join(run?.reportDir as string, 'journal.json'), 'utf8'),
    ) as Journal;
    expect(journal.leashed).toBe(true);
    const kill = journal.actions.find((a) => a.name === 'kill-app1');
    expect(kill?.description).toMatch(/^would inject: kill app1 \(SIGKILL\)/);
    // app1 went on serving: nothing was killed.
    const methodStart = journal.phases.method?.start ?? 0;
    const served = journal.timeline
      .filter((b) => b.t > methodStart + 500)
      .reduce((n, b) => n + (b.servedBy.app1 ?? 0), 0);
    expect(served).toBeGreaterThan(0);
    expect(journal.sla.every((s) => s.verdict === 'inconclusive' && s.detail.includes('leashed'))).toBe(true);

    await sleep(16_000); // the scheduler is down for several ticks (10 s is still on time)
    const second = faultline(['schedule', '--config', 'schedule.yaml'], dir);
    for (let i = 0; i < 200 && !/decision=ran/.test(second.out()); i++) await sleep(100);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.out()).toMatch(
      /decision=missed reason="no scheduler ran it \(down, or stalled past the tick; policy run-latest: a later tick runs\)"/,
    );
    expect(second.out()).toContain('catching up: the latest missed tick');
    const missed = runsIn(dir).filter((r) => r.decision === 'missed');
    expect(missed.length).toBeGreaterThanOrEqual(2);
    expect(runsIn(dir).filter((r) => r.runId === run?.runId)).toHaveLength(1);
  }, 120_000);

  it('pause and resume a job by name, print the next runs, and refuse an unknown job or a bad file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-schedule-'));
    writeFileSync(
      join(dir, 'schedule.yaml'),
      'timezone: Asia/Tokyo\njobs:\n  - name: office\n    cron: "0 0 10 * * *"\n    run: primary-crash\n    blackout: [2099-01-01]\n',
    );
    const next = faultline(['schedule', '--config', 'schedule.yaml', '--next', '2'], dir);
    expect(await next.exited).toBe(0);
    expect(next.out()).toMatch(
      /office: cron "0 0 10 \* \* \*", Asia\/Tokyo\n {2}\d{4}-\d\d-\d\d 10:00:00 GMT\+9 {3}\(\d{4}-\d\d-\d\dT01:00:00\.000Z\)\n/,
    );
    const pause = faultline(['schedule', '--config', 'schedule.yaml', 'pause', 'office'], dir);
    expect(await pause.exited).toBe(0);
    expect(pause.out()).toContain('job office paused');
    const paused = faultline(['schedule', '--config', 'schedule.yaml', '--next', '1'], dir);
    await paused.exited;
    expect(paused.out()).toContain('Asia/Tokyo, PAUSED');
    const resume = faultline(['schedule', 'resume', 'office', '--config', 'schedule.yaml'], dir);
    expect(await resume.exited).toBe(0);
    expect(resume.out()).toContain('job office resumed');
    const unknown = faultline(['schedule', '--config', 'schedule.yaml', 'pause', 'nightly'], dir);
    expect(await unknown.exited).toBe(1);
    expect(unknown.err()).toContain(
      'schedule.yaml has no job "nightly" (jobs: office) [FL_SCHEDULE_JOB_UNKNOWN]',
    );
    writeFileSync(join(dir, 'bad.yaml'), 'jobs:\n  - name: x\n    cron: "* * *"\n    run: primary-crash\n');
    const bad = faultline(['schedule', '--config', 'bad.yaml'], dir);
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toContain('bad.yaml:3: jobs[0].cron: is not a valid cron expression');
    expect(bad.err()).not.toMatch(/\n\s+at /);
    writeFileSync(
      join(dir, 'typo.yaml'),
      'jobs:\n  - name: typo\n    cron: "* * * * *"\n    run: [primary-crsh]\n',
    );
    const typo = faultline(['schedule', '--config', 'typo.yaml'], dir);
    expect(await typo.exited).toBe(1);
    expect(typo.err()).toContain('typo.yaml:2: job typo: no drill "primary-crsh": not a built-in drill');
    expect(typo.err()).toContain('[FL_DRILL_NOT_FOUND]');
    const noConfig = faultline(['schedule'], dir);
    expect(await noConfig.exited).toBe(2);
    expect(noConfig.err()).toContain('pass --config schedule.yaml');
  }, 30_000);
});

describe('faultline schedule guards', () => {
  it('skips every tick while the outage check cannot see a healthy service, and records why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-schedule-'));
    const admin = (await deadUrl()).replace(/\/hook$/, '');
    writeFileSync(
      join(dir, 'schedule.yaml'),
      `jobs:\n  - name: guarded\n    cron: "* * * * * *"\n    run: primary-crash\n    outageCheck: { admin: "${admin}" }\n`,
    );
    const p = faultline(['schedule', '--config', 'schedule.yaml'], dir);
    for (let i = 0; i < 100 && (p.out().match(/decision=skipped-outage/g) ?? []).length < 2; i++)
      await sleep(100);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.out()).not.toContain('decision=ran');
    const runs = runsIn(dir);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const r of runs) {
      expect(r).toMatchObject({
        status: 'skipped',
        decision: 'outage',
        name: 'primary-crash',
        job: 'guarded',
      });
      expect(r.reason).toContain(`outage check: the admin API at ${admin} did not answer`);
    }
  }, 30_000);

  it('at start, reverts faults an earlier run left when its process died, and leaves live ones alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-schedule-'));
    const frozen = spawn('sleep', ['60'], { stdio: 'ignore' });
    const alsoFrozen = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const gone = spawn('true');
      await once(gone, 'exit');
      for (const child of [frozen, alsoFrozen]) process.kill(child.pid as number, 'SIGSTOP');
      await sleep(100);
      const planned = (pid: number, owner: number, name: string) =>
        JSON.stringify({
          type: 'planned',
          id: `id-${name}`,
          at: new Date().toISOString(),
          pid: owner,
          fault: 'pause',
          target: name,
          params: {},
          description: `SIGSTOP ${name} (pid ${pid})`,
          revert: { kind: 'resume-process', name, pid, startedAt: processStartTime(pid) },
        });
      const ledger = join(dir, 'ledger.jsonl');
      // One left by a dead process, one held by a live one (this test process).
      writeFileSync(
        ledger,
        `${planned(frozen.pid as number, gone.pid as number, 'orphan')}\n${planned(alsoFrozen.pid as number, process.pid, 'live')}\n`,
        { mode: 0o600 },
      );
      writeFileSync(
        join(dir, 'schedule.yaml'),
        'jobs:\n  - name: later\n    cron: "0 0 0 1 1 *"\n    run: primary-crash\n',
      );
      const p = faultline(['schedule', '--config', 'schedule.yaml'], dir);
      for (let i = 0; i < 100 && !p.out().includes('faultline schedule:'); i++) await sleep(100);
      p.child.kill('SIGTERM');
      expect(await p.exited, `signal ${p.child.signalCode}\n${p.out()}\n${p.err()}`).toBe(0);
      expect(p.out()).toContain(
        'the ledger holds 1 fault(s) of processes that are gone: reverting them first',
      );
      expect(processState(frozen.pid as number)).not.toBe('T');
      expect(processState(alsoFrozen.pid as number)).toBe('T');
    } finally {
      frozen.kill('SIGKILL');
      alsoFrozen.kill('SIGKILL');
    }
  }, 30_000);
});

describe('faultline history and --notify', () => {
  it('a breaching drill is recorded and POSTed to the webhook; a dead webhook changes nothing but its note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-history-'));
    quickDrill(dir, "['detection<1ms']");
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const dead = await deadUrl();
    const run = faultline(
      ['drill', 'quick.drill.ts', '--no-progress', '--notify', receiver.url, '--notify', dead],
      dir,
    );
    expect(await run.exited).toBe(3);
    expect(run.out()).toMatch(/history: run #1 \(breached\) in reports\/history\.sqlite/);
    expect(run.out()).toContain(`webhook ${receiver.url}: breach delivered`);
    expect(run.out()).toContain(`webhook ${dead}: breach NOT delivered after 3 attempt(s): ECONNREFUSED`);
    expect(receiver.received[0]?.body).toMatchObject({ event: 'breach', drill: 'quick', status: 'breached' });
    const body = receiver.received[0]?.body as { failing: Array<{ sla: string; limit: number }> } | undefined;
    const [failing] = body?.failing ?? [];
    expect(failing).toMatchObject({ sla: 'detection<1ms', limit: 1 });

    const list = faultline(['history'], dir);
    expect(await list.exited).toBe(0);
    expect(list.out()).toMatch(/ {4}1 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}quick +- +local +breached/);
    const json = faultline(['history', '--json', '--drill', 'quick'], dir);
    await json.exited;
    expect(
      (JSON.parse(json.out()) as HistoryRun[])[0]?.sla.find((s) => s.source === 'detection<1ms')?.verdict,
    ).toBe('failed');
    const trend = faultline(['history', 'trend', 'quick'], dir);
    expect(await trend.exited).toBe(0);
    expect(trend.out()).toMatch(/detection<1ms +[▁▂▃▄▅▆▇█] +first/);
  }, 60_000);

  it('a damaged history stops the command before anything runs, and is left as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-history-'));
    const file = join(dir, 'hist.sqlite');
    writeFileSync(file, 'garbage'.repeat(1000));
    for (const args of [
      ['history', '--history', file],
      ['drill', 'primary-crash', '--history', file],
    ]) {
      const p = faultline(args, dir);
      expect(await p.exited).toBe(1);
      expect(p.err()).toContain('hist.sqlite cannot be used: file is not a database');
      expect(p.err()).toContain('[FL_HISTORY_CORRUPT]');
      expect(p.err()).not.toMatch(/\n\s+at /);
      expect(p.out()).not.toContain('▶');
    }
    expect(readFileSync(file, 'utf8')).toBe('garbage'.repeat(1000));
  }, 30_000);
});
