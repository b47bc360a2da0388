import { randomBytes } from 'node:crypto';
import { formatDuration } from '../../core/duration.ts';
import type { Db } from '../history/history-db.ts';
import { holdRunLock, readJobState, setLastTick } from '../history/locks.ts';
import { listRuns, recordSkip, type SkipDecision } from '../history/runs.ts';
import { calendarVeto, localTime, nextTicks, ticksBetween } from './calendar.ts';
import type { ScheduleJob } from './schedule-file.ts';

/** Wall-clock time as the scheduler sees it: real in use, injected in tests. */
export interface SchedulerClock {
  now(): number;
  /** Resolves at `t` (epoch ms); rejects when `signal` aborts. */
  sleepUntil(t: number, signal: AbortSignal): Promise<void>;
}

/** Timers re-check the wall clock at least this often, so a clock step or a suspend is noticed. */
const MAX_TIMER_MS = 60_000;

export const realClock: SchedulerClock = {
  now: () => Date.now(),
  async sleepUntil(t, signal) {
    while (Date.now() < t) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, Math.min(MAX_TIMER_MS, t - Date.now()));
        function done() {
          signal.removeEventListener('abort', abort);
          resolve();
        }
        function abort() {
          clearTimeout(timer);
          reject(signal.reason);
        }
        signal.addEventListener('abort', abort, { once: true });
      });
    }
  },
};

/** Every decision the scheduler takes, one per tick. */
export type Decision =
  | 'ran'
  | 'finished'
  | 'skipped-overlap'
  | 'skipped-window'
  | 'skipped-blackout'
  | 'skipped-paused'
  | 'skipped-outage'
  | 'skipped-min-interval'
  | 'missed';

export interface DecisionLine {
  at: number;
  job: string;
  tick: number;
  decision: Decision;
  reason?: string;
}

export interface SchedulerOptions {
  db: Db;
  jobs: readonly ScheduleJob[];
  /** Runs the job's drills and runbooks for the tick (recording them in the history); aborting `signal` interrupts and reverts. */
  runJob: (job: ScheduleJob, tickAt: number, signal: AbortSignal) => Promise<string>;
  /** Why the target is degraded right now (a server down, ejected, failed over), or undefined when healthy. */
  checkOutage?: (job: ScheduleJob) => Promise<string | undefined>;
  clock?: SchedulerClock;
  log: (line: DecisionLine) => void;
  /** The run lock's lease: renewed every third of it while a run goes on. */
  leaseMs?: number;
  /** A tick handled later than this (a stalled or suspended process) is missed, not run. */
  lateMs?: number;
  /** At most this many missed ticks per job are recorded one by one. */
  missedLimit?: number;
  /** What history calls each thing a job runs (a drill's own name); default: from the file name. */
  describeItems?: (job: ScheduleJob) => Array<{ kind: 'drill' | 'runbook'; name: string; file?: string }>;
}

/**
 * Fires each job on its ticks and decides, tick by tick: paused, blackout, outside the windows,
 * too soon after the last run, another run still going (in this process or any other on the
 * same history), the target degraded — or run it. Ticks missed while no scheduler ran (or this
 * one stalled) are recorded per the job's missed policy.
 */
export class Scheduler {
  private readonly stopping = new AbortController();
  private readonly owner = `scheduler-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly clock: SchedulerClock;
  private running: { job: string; tick: number; done: Promise<void>; abort: AbortController } | undefined;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? realClock;
  }

  /** Catches up on missed ticks, then runs every job's loop until stop(). */
  start(): void {
    if (this.stopping.signal.aborted) return;
    const now = this.clock.now();
    for (const job of this.options.jobs) {
      const { lastTickAt } = readJobState(this.options.db, job.name);
      // A job seen for the first time starts now: ticks from here on count, missed ones too.
      if (lastTickAt === undefined) setLastTick(this.options.db, job.name, now, now);
      this.loops.push(this.loop(job, lastTickAt ?? now, lastTickAt !== undefined));
    }
  }

  /** Stops ticking; a run in progress is interrupted (its faults reverted) and awaited. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('scheduler stopping'));
    this.running?.abort.abort(new Error('scheduler stopping'));
    await Promise.allSettled(this.loops);
    await this.running?.done;
  }

  private async loop(job: ScheduleJob, from: number, catchUp: boolean): Promise<void> {
    const signal = this.stopping.signal;
    const lateMs = this.options.lateMs ?? 10_000;
    let cursor = from;
    // Ticks up to lateMs old are still on time: the loop runs them.
    if (catchUp) cursor = await this.catchUp(job, cursor, this.clock.now() - lateMs);
    while (!signal.aborted) {
      const [tick] = nextTicks(job, cursor, 1);
      if (tick === undefined) return;
      try {
        await this.clock.sleepUntil(tick, signal);
      } catch {
        return;
      }
      const now = this.clock.now();
      if (now - tick > lateMs) {
        // Woke far too late (suspended, stalled): every tick since is missed, per policy.
        cursor = await this.catchUp(job, cursor, now - lateMs);
        continue;
      }
      cursor = tick;
      setLastTick(this.options.db, job.name, tick, now);
      await this.decide(job, tick);
    }
  }

  /** Records the ticks in (from, until] as missed; with run-latest, runs the newest within its deadline. */
  private async catchUp(job: ScheduleJob, from: number, until: number): Promise<number> {
    const limit = this.options.missedLimit ?? 100;
    const now = this.clock.now();
    // Only ticks the calendar would have let run count: a night outside the windows is not missed.
    const { ticks, total, capped } = ticksBetween(job, from, until, limit);
    if (total === 0) {
      if (until > from) setLastTick(this.options.db, job.name, until, now);
      return Math.max(from, until);
    }
    const latest = ticks[ticks.length - 1] as number;
    setLastTick(this.options.db, job.name, latest, now);
    if (readJobState(this.options.db, job.name).paused) {
      this.log(
        job,
        latest,
        'skipped-paused',
        `paused: ${total} tick(s) since the last one passed while paused`,
      );
      return latest;
    }
    const runLatest = job.missed.policy === 'run-latest' && now - latest <= job.missed.deadlineMs;
    const missed = runLatest ? ticks.slice(0, -1) : ticks;
    const more = total - ticks.length;
    missed.forEach((tick, i) => {
      const reason =
        `no scheduler ran it (down, or stalled past the tick; policy ${job.missed.policy}${runLatest ? ': a later tick runs' : ''})` +
        (i === 0 && more > 0
          ? `; ${capped ? 'more than ' : ''}${more} earlier missed tick(s) not listed`
          : '');
      this.skip(job, tick, 'missed', reason);
    });
    if (runLatest)
      await this.decide(
        job,
        latest,
        `catching up: the latest missed tick, within the ${formatDuration(job.missed.policy === 'run-latest' ? job.missed.deadlineMs : 0)} deadline`,
      );
    return latest;
  }

  private async decide(job: ScheduleJob, tick: number, note?: string): Promise<void> {
    const { db } = this.options;
    if (readJobState(db, job.name).paused)
      return this.skip(job, tick, 'skipped-paused', 'the job is paused (faultline schedule resume)');
    const veto = calendarVeto(tick, job);
    if (veto)
      return this.skip(
        job,
        tick,
        veto.decision === 'blackout' ? 'skipped-blackout' : 'skipped-window',
        veto.reason,
      );
    if (this.running) {
      return this.skip(
        job,
        tick,
        'skipped-overlap',
        `job ${this.running.job} (tick ${iso(this.running.tick)}) is still running in this scheduler`,
      );
    }
    if (job.minIntervalMs > 0) {
      const [last] = listRuns(db, { job: job.name, ranOnly: true, limit: 1 });
      if (last && tick - last.startedAt < job.minIntervalMs) {
        return this.skip(
          job,
          tick,
          'skipped-min-interval',
          `the last run started ${formatDuration(tick - last.startedAt)} before, less than the minimum interval ${formatDuration(job.minIntervalMs)}`,
        );
      }
    }
    const lock = holdRunLock(
      db,
      { owner: this.owner, holding: `job ${job.name}, tick ${iso(tick)}` },
      {
        leaseMs: this.options.leaseMs ?? 60_000,
        now: () => this.clock.now(),
        onLost: () => this.log(job, tick, 'ran', 'warning: another scheduler took the run lock over'),
      },
    );
    if (!lock.acquired) {
      const h = lock.holder;
      return this.skip(
        job,
        tick,
        'skipped-overlap',
        `${h.holding} is still running (pid ${h.pid} on ${h.host}, since ${iso(h.acquiredAt)})`,
      );
    }
    const abort = new AbortController();
    let outage: string | undefined;
    try {
      outage = await this.options.checkOutage?.(job);
    } catch (err) {
      outage = `the outage check failed: ${(err as Error).message}`;
    }
    if (outage) {
      lock.release();
      return this.skip(job, tick, 'skipped-outage', outage);
    }
    this.log(
      job,
      tick,
      'ran',
      [note, job.leashed ? 'leashed: faults recorded as "would inject"' : ''].filter(Boolean).join('; ') ||
        undefined,
    );
    const done = this.options
      .runJob(job, tick, abort.signal)
      .then(
        (outcome) => this.log(job, tick, 'finished', outcome),
        (err) => this.log(job, tick, 'finished', `error: ${(err as Error).message}`),
      )
      .finally(() => {
        try {
          lock.release();
        } finally {
          this.running = undefined;
        }
      });
    this.running = { job: job.name, tick, done, abort };
  }

  private skip(job: ScheduleJob, tick: number, decision: Decision, reason: string): void {
    const recorded: Partial<Record<Decision, SkipDecision>> = {
      'skipped-overlap': 'overlap',
      'skipped-outage': 'outage',
      'skipped-min-interval': 'min-interval',
      missed: 'missed',
    };
    const kind = recorded[decision];
    if (kind) {
      const items =
        this.options.describeItems?.(job) ??
        job.run.map((item) => ({
          kind: item.endsWith('.md') ? ('runbook' as const) : ('drill' as const),
          name: itemName(item),
          ...(item.includes('/') ? { file: item } : {}),
        }));
      for (const item of items) {
        recordSkip(this.options.db, {
          job: job.name,
          ...item,
          target: job.target,
          tickAt: tick,
          decision: kind,
          reason,
          at: this.clock.now(),
        });
      }
    }
    this.log(job, tick, decision, reason);
  }

  private log(job: ScheduleJob, tick: number, decision: Decision, reason?: string): void {
    this.options.log({ at: this.clock.now(), job: job.name, tick, decision, ...(reason ? { reason } : {}) });
  }
}

/** The name history keeps for a run entry: a catalog name, or the file's name without its extension. */
export function itemName(item: string): string {
  const base = item.split(/[/\\]/).pop() ?? item;
  return base.replace(/\.drill\.(ts|js|mjs)$/i, '').replace(/\.md$/i, '');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** One logfmt line per decision: `2026-12-02T09:00:00.004Z job=crash tick=… decision=ran`. */
export function formatDecision(d: DecisionLine, timezone?: string): string {
  const tick = timezone
    ? localTime(d.tick, timezone)
        .text.replace(' ', 'T')
        .replace(/ (\S+)$/, '[$1]')
    : iso(d.tick);
  return `${iso(d.at)} job=${d.job} tick=${tick} decision=${d.decision}${d.reason ? ` reason=${JSON.stringify(d.reason)}` : ''}`;
}
