import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../test/fixtures/fake-clock.ts';
import { type Db, openHistoryDb } from '../history/history-db.ts';
import { holdRunLock, setJobPaused } from '../history/locks.ts';
import { listRuns, recordRun } from '../history/runs.ts';
import { sampleJournal } from '../reports/sample-journal.ts';
import { parseSchedule, type ScheduleJob } from './schedule-file.ts';
import { type DecisionLine, Scheduler } from './scheduler.ts';

const open: Db[] = [];
const schedulers: Scheduler[] = [];

afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  for (const db of open.splice(0)) db.close();
});

function historyFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'faultline-sched-')), 'history.sqlite');
}

function job(yaml: string): ScheduleJob {
  const plan = parseSchedule(
    `jobs:\n  - name: j\n    run: primary-crash\n${yaml.replace(/^/gm, '    ')}`,
    'schedule.yaml',
  );
  return plan.jobs[0] as ScheduleJob;
}

interface Harness {
  db: Db;
  clock: FakeClock;
  lines: DecisionLine[];
  runs: number[];
  scheduler: Scheduler;
  decisions(): string[];
}

/** A scheduler on a real history with an injected clock; each run takes `runMs` of fake time and is recorded. */
function harness(
  jobs: ScheduleJob[],
  options: { start: string; file?: string; runMs?: number; outage?: string; clock?: FakeClock },
): Harness {
  const file = options.file ?? historyFile();
  const db = openHistoryDb(file);
  open.push(db);
  const clock = options.clock ?? new FakeClock(Date.parse(options.start));
  const lines: DecisionLine[] = [];
  const runs: number[] = [];
  const scheduler = new Scheduler({
    db,
    jobs,
    clock,
    log: (l) => lines.push(l),
    checkOutage: async () => options.outage,
    runJob: async (j, tickAt, signal) => {
      runs.push(tickAt);
      const started = clock.now();
      await clock.sleepUntil(started + (options.runMs ?? 500), signal);
      const journal = sampleJournal();
      journal.runId = `run-${tickAt}-${Math.random()}`;
      journal.startedAt = new Date(started).toISOString();
      journal.endedAt = new Date(clock.now()).toISOString();
      recordRun(db, journal, { job: j.name, tickAt });
      return 'recorded';
    },
  });
  schedulers.push(scheduler);
  return {
    db,
    clock,
    lines,
    runs,
    scheduler,
    decisions: () => lines.map((l) => `${new Date(l.tick).toISOString().slice(11, 19)} ${l.decision}`),
  };
}

describe('Scheduler', () => {
  it('runs a per-second job, and records a tick that finds the run still going as skipped-overlap', async () => {
    const h = harness([job('cron: "* * * * * *"')], { start: '2026-12-02T10:00:00.500Z', runMs: 2500 });
    h.scheduler.start();
    await h.clock.advance(6000);
    expect(h.decisions()).toEqual([
      '10:00:01 ran',
      '10:00:02 skipped-overlap',
      '10:00:03 skipped-overlap',
      '10:00:01 finished',
      '10:00:04 ran',
      '10:00:05 skipped-overlap',
      '10:00:06 skipped-overlap',
      '10:00:04 finished',
    ]);
    const skipped = listRuns(h.db, { job: 'j' }).filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => r.decision)).toEqual(['overlap', 'overlap', 'overlap', 'overlap']);
    expect(skipped[0]?.reason).toContain('still running');
  });

  it('honours a window that wraps midnight, in the job time zone (injected clock)', async () => {
    // Fridays 23:00 to 01:00 in New York (UTC-5 in December): Sat 04:00Z to 06:00Z.
    const h = harness(
      [
        job(
          'cron: "0 30 * * * *"\ntimezone: America/New_York\nwindows:\n  - { days: fri, from: "23:00", to: "01:00" }',
        ),
      ],
      { start: '2026-12-05T02:00:00Z' },
    );
    h.scheduler.start();
    await h.clock.advance(5 * 3600_000, 60_000);
    const ran = h.lines.filter((l) => l.decision === 'ran').map((l) => new Date(l.tick).toISOString());
    expect(ran).toEqual(['2026-12-05T04:30:00.000Z', '2026-12-05T05:30:00.000Z']);
    const outside = h.lines.filter((l) => l.decision === 'skipped-window');
    expect(outside.length).toBe(3);
    expect(outside[0]?.reason).toContain('outside its windows (fri 23:00-01:00)');
    // Calendar skips are logged, not stored as runs.
    expect(listRuns(h.db, { job: 'j' }).filter((r) => r.status === 'skipped')).toEqual([]);
  });

  it('skips blackout dates and keeps the minimum interval between runs', async () => {
    const h = harness([job('cron: "0 0 * * * *"\nblackout: [2026-12-24]\nminInterval: 150m')], {
      start: '2026-12-23T20:30:00Z',
    });
    h.scheduler.start();
    await h.clock.advance(6 * 3600_000, 60_000);
    expect(h.decisions()).toEqual([
      '21:00:00 ran',
      '21:00:00 finished',
      '22:00:00 skipped-min-interval',
      '23:00:00 skipped-min-interval',
      '00:00:00 skipped-blackout',
      '01:00:00 skipped-blackout',
      '02:00:00 skipped-blackout',
    ]);
    const interval = listRuns(h.db, { job: 'j' }).filter((r) => r.decision === 'min-interval');
    expect(interval).toHaveLength(2);
    expect(interval[0]?.reason).toContain('less than the minimum interval 150m');
  });

  it('skips a tick when the outage check reports a degraded pool, and records why', async () => {
    const h = harness([job('cron: "*/10 * * * * *"')], {
      start: '2026-12-02T10:00:01Z',
      outage: 'degraded already: web/app2 is down',
    });
    h.scheduler.start();
    await h.clock.advance(10_000);
    expect(h.runs).toEqual([]);
    const [skip] = listRuns(h.db, { job: 'j' });
    expect(skip?.decision).toBe('outage');
    expect(skip?.reason).toBe('degraded already: web/app2 is down');
  });

  it('pausing takes effect at the next tick, resuming too', async () => {
    const h = harness([job('cron: "*/10 * * * * *"')], { start: '2026-12-02T10:00:01Z' });
    h.scheduler.start();
    setJobPaused(h.db, 'j', true);
    await h.clock.advance(10_000);
    setJobPaused(h.db, 'j', false);
    await h.clock.advance(10_000);
    expect(h.decisions()).toEqual(['10:00:10 skipped-paused', '10:00:20 ran', '10:00:20 finished']);
  });

  it('two schedulers on one history never run at once: the second finds the lock held', async () => {
    const file = historyFile();
    const clock = new FakeClock(Date.parse('2026-12-02T10:00:00.500Z'));
    const a = harness([job('cron: "* * * * * *"')], { start: '', file, clock, runMs: 1500 });
    const b = harness([job('cron: "* * * * * *"')], { start: '', file, clock, runMs: 1500 });
    a.scheduler.start();
    b.scheduler.start();
    await clock.advance(5000);
    const spans = listRuns(a.db, { job: 'j', ranOnly: true }).map((r) => [r.startedAt, r.endedAt as number]);
    expect(spans.length).toBeGreaterThanOrEqual(2);
    spans.sort((x, y) => (x[0] as number) - (y[0] as number));
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
    const crossed = [...a.lines, ...b.lines].filter(
      (l) => l.decision === 'skipped-overlap' && /pid \d+/.test(l.reason ?? ''),
    );
    expect(crossed.length).toBeGreaterThan(0);
  });

  it('a manual run holding the lock makes a tick skip, naming it; once it is over the next tick runs', async () => {
    const h = harness([job('cron: "*/10 * * * * *"')], { start: '2026-12-02T10:00:01Z' });
    const manual = holdRunLock(
      h.db,
      { owner: 'manual-1', holding: 'manual drill primary-crash' },
      { leaseMs: 60_000 },
    );
    if (!manual.acquired) throw new Error('the lock should be free');
    h.scheduler.start();
    await h.clock.advance(10_000);
    manual.release();
    await h.clock.advance(10_000);
    expect(h.decisions()).toEqual(['10:00:10 skipped-overlap', '10:00:20 ran', '10:00:20 finished']);
    expect(h.lines[0]?.reason).toMatch(/^manual drill primary-crash is still running \(pid \d+ on /);
  });

  it('after a restart, the ticks missed while down are recorded (policy skip) and the history is intact', async () => {
    const file = historyFile();
    const clock = new FakeClock(Date.parse('2026-12-02T10:00:00.500Z'));
    const first = harness([job('cron: "0 * * * * *"')], { start: '', file, clock });
    first.scheduler.start();
    await clock.advance(61_000, 500);
    await first.scheduler.stop();
    expect(listRuns(first.db, { job: 'j', ranOnly: true })).toHaveLength(1);
    clock.jump(5 * 60_000); // down for five minutes
    const second = harness([job('cron: "0 * * * * *"')], { start: '', file, clock });
    second.scheduler.start();
    await settle();
    const missed = listRuns(second.db, { job: 'j' }).filter((r) => r.decision === 'missed');
    expect(missed.map((r) => new Date(r.tickAt as number).toISOString().slice(11, 16))).toEqual([
      '10:05',
      '10:04',
      '10:03',
      '10:02',
    ]);
    // 10:06 is 1.5 s late, still on time: it runs; the next one too.
    expect(second.runs).toEqual([Date.parse('2026-12-02T10:06:00Z')]);
    expect(listRuns(second.db, { job: 'j', ranOnly: true })).toHaveLength(1);
    await clock.advance(60_000, 500);
    expect(second.lines.filter((l) => l.decision === 'ran')).toHaveLength(2);
    expect(listRuns(second.db, { job: 'j', ranOnly: true })).toHaveLength(3);
  });

  it('ticks slept through by a stalled or suspended scheduler are recorded as missed, then it goes on', async () => {
    const h = harness([job('cron: "0 * * * * *"')], { start: '2026-12-02T10:00:30Z' });
    h.scheduler.start();
    await h.clock.advance(40_000, 500); // 10:01 runs
    h.clock.jump(4 * 60_000); // suspended from 10:01:10 to 10:05:10
    await h.clock.advance(60_000, 500);
    expect(h.decisions()).toEqual([
      '10:01:00 ran',
      '10:01:00 finished',
      '10:02:00 missed',
      '10:03:00 missed',
      '10:04:00 missed',
      '10:05:00 missed',
      '10:06:00 ran',
      '10:06:00 finished',
    ]);
  });

  it('after a night down, only the ticks inside the windows are missed; a paused job misses none', async () => {
    const file = historyFile();
    const clock = new FakeClock(Date.parse('2026-12-02T16:30:00Z')); // a Wednesday
    const spec = 'cron: "0 0 * * * *"\nwindows:\n  - { days: mon-fri, from: "08:00", to: "18:00" }';
    const first = harness([job(spec)], { start: '', file, clock });
    first.scheduler.start();
    await clock.advance(40 * 60_000, 60_000); // 17:00 runs
    await first.scheduler.stop();
    clock.jump(17 * 3600_000); // down until Thursday 10:10
    const second = harness([job(spec)], { start: '', file, clock });
    second.scheduler.start();
    await settle();
    const missed = listRuns(second.db, { job: 'j' }).filter((r) => r.decision === 'missed');
    expect(missed.map((r) => new Date(r.tickAt as number).toISOString().slice(11, 16))).toEqual([
      '10:00',
      '09:00',
      '08:00',
    ]);
    await second.scheduler.stop();

    setJobPaused(second.db, 'j', true);
    clock.jump(24 * 3600_000); // down and paused until Friday 10:10
    const third = harness([job(spec)], { start: '', file, clock });
    third.scheduler.start();
    await settle();
    expect(listRuns(third.db, { job: 'j' }).filter((r) => r.decision === 'missed')).toHaveLength(3);
    expect(third.decisions()).toEqual(['10:00:00 skipped-paused']);
    expect(third.lines[0]?.reason).toBe('paused: 10 tick(s) since the last one passed while paused');
  });

  it('with run-latest, the newest missed tick runs at start when within the deadline, never an older one', async () => {
    const file = historyFile();
    const clock = new FakeClock(Date.parse('2026-12-02T10:00:00.500Z'));
    const spec = 'cron: "0 * * * * *"\nmissed: { policy: run-latest, deadline: 2m }';
    const first = harness([job(spec)], { start: '', file, clock });
    first.scheduler.start();
    await clock.advance(1000);
    await first.scheduler.stop();
    clock.jump(3 * 60_000 + 30_000); // 10:03:31: ticks 10:01, 10:02, 10:03 missed
    const second = harness([job(spec)], { start: '', file, clock });
    second.scheduler.start();
    await settle();
    expect(second.runs.map((t) => new Date(t).toISOString().slice(11, 19))).toEqual(['10:03:00']);
    const missed = listRuns(second.db, { job: 'j' }).filter((r) => r.decision === 'missed');
    expect(missed).toHaveLength(2);
    expect(missed[0]?.reason).toContain('policy run-latest: a later tick runs');

    // Past the deadline nothing runs: every missed tick is recorded.
    const hourly = 'cron: "0 0 * * * *"\nmissed: { policy: run-latest, deadline: 10m }';
    const late = new FakeClock(Date.parse('2026-12-02T10:00:00.500Z'));
    const lateFile = historyFile();
    const before = harness([job(hourly)], { start: '', file: lateFile, clock: late });
    before.scheduler.start();
    await late.advance(1000);
    await before.scheduler.stop();
    late.jump(2.5 * 3600_000); // 12:30: ticks 11:00 and 12:00 missed, the newest 30 minutes ago
    const after = harness([job(hourly)], { start: '', file: lateFile, clock: late });
    after.scheduler.start();
    await settle();
    expect(after.runs).toEqual([]);
    expect(listRuns(after.db, { job: 'j' }).map((r) => r.decision)).toEqual(['missed', 'missed']);
  });
});
