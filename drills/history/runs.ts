import { randomBytes } from 'node:crypto';
import type { Journal } from '../journal/types.ts';
import type { SlaResult } from '../sla/types.ts';
import { type Db, writeHistory } from './history-db.ts';

/** How a run ended, as history keeps it. */
export type RunOutcome =
  | 'passed'
  | 'breached'
  | 'inconclusive'
  | 'aborted'
  | 'error'
  | 'interrupted'
  | 'skipped';

/** Why a scheduled tick did not run (the scheduler's decisions that history keeps). */
export type SkipDecision = 'overlap' | 'outage' | 'min-interval' | 'missed';

/** An SLA's result as history keeps it: the window by name only. */
export type HistorySla = Pick<
  SlaResult,
  'source' | 'verdict' | 'value' | 'limit' | 'unit' | 'op' | 'detail'
> & {
  window: string;
};

export interface HistoryRun {
  id: number;
  runId: string;
  /** The schedule job that started it; absent for a manual run. */
  job?: string;
  kind: 'drill' | 'runbook';
  name: string;
  file?: string;
  target: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt?: number;
  status: RunOutcome;
  reason?: string;
  reportDir?: string;
  /** For scheduled runs and skips: the tick it was for. */
  tickAt?: number;
  decision?: SkipDecision | 'ran';
  /** Faults were recorded as "would inject", not injected. */
  leashed: boolean;
  sla: HistorySla[];
}

/** The history status of a finished run, and why when it is not `passed`. */
export function outcomeOf(journal: Journal): { status: RunOutcome; reason?: string } {
  const failed = journal.sla.filter((s) => s.verdict === 'failed');
  const why = (fallback: string) => journal.reason ?? fallback;
  switch (journal.status) {
    case 'failed':
      return { status: 'error', reason: why('the run failed') };
    case 'interrupted':
      return { status: 'interrupted', reason: why('interrupted') };
    case 'aborted':
      return { status: 'aborted', reason: why('aborted') };
    case 'completed':
      if (journal.leashed) {
        return journal.deviated
          ? {
              status: 'breached',
              reason: why('the steady state did not hold after (leashed: nothing injected)'),
            }
          : { status: 'passed', reason: 'leashed: faults recorded as "would inject", SLAs not judged' };
      }
      if (failed.length > 0 || journal.deviated) {
        return {
          status: 'breached',
          reason:
            journal.runbook?.reason ??
            (failed.map((s) => s.detail).join('; ') || why('the steady state did not hold after')),
        };
      }
      if (journal.sla.some((s) => s.verdict === 'inconclusive')) {
        return { status: 'inconclusive', reason: 'an SLA could not be measured' };
      }
      return { status: 'passed' };
  }
}

export interface RunContext {
  job?: string;
  tickAt?: number;
  reportDir?: string;
  leashed?: boolean;
}

/** Records a finished run with every SLA's measured value and limit; returns its row. */
export function recordRun(db: Db, journal: Journal, context: RunContext = {}): HistoryRun {
  const { status, reason } = outcomeOf(journal);
  const steady = (when: string) => (s: SlaResult) => ({ ...s, source: `steady ${when}: ${s.source}` });
  const sla: HistorySla[] = [
    ...journal.steadyState.before.map(steady('before')),
    ...journal.sla,
    ...journal.steadyState.after.map(steady('after')),
  ].map((s) => ({
    source: s.source,
    verdict: s.verdict,
    value: s.value,
    limit: s.limit,
    unit: s.unit,
    op: s.op,
    window: s.window.name,
    detail: s.detail,
  }));
  const run: Omit<HistoryRun, 'id'> = {
    runId: journal.runId,
    ...(context.job ? { job: context.job } : {}),
    kind: journal.runbook ? 'runbook' : 'drill',
    name: journal.runbook?.name ?? journal.drill.name,
    file: journal.runbook?.file ?? journal.drill.file,
    target: journal.stack,
    startedAt: Date.parse(journal.startedAt),
    endedAt: Date.parse(journal.endedAt),
    status,
    ...(reason ? { reason } : {}),
    ...(context.reportDir ? { reportDir: context.reportDir } : {}),
    ...(context.tickAt !== undefined ? { tickAt: context.tickAt, decision: 'ran' as const } : {}),
    leashed: context.leashed === true,
    sla,
  };
  return insertRun(db, run);
}

export interface SkipRecord {
  job: string;
  kind: 'drill' | 'runbook';
  name: string;
  file?: string;
  target: string;
  tickAt: number;
  decision: SkipDecision;
  reason: string;
  /** When the decision was taken (default: now). */
  at?: number;
}

/** Records a tick that did not run, with its decision and reason. */
export function recordSkip(db: Db, skip: SkipRecord): HistoryRun {
  return insertRun(db, tickRow('skip', skip, 'skipped', skip.decision));
}

/** Records a scheduled run that could not start (its stack did not come up): status error. */
export function recordError(db: Db, failure: Omit<SkipRecord, 'decision'>): HistoryRun {
  return insertRun(db, tickRow('error', failure, 'error', 'ran'));
}

/** A row for a tick that produced no journal. */
function tickRow(
  prefix: string,
  r: Omit<SkipRecord, 'decision'>,
  status: RunOutcome,
  decision: HistoryRun['decision'],
): Omit<HistoryRun, 'id'> {
  const at = r.at ?? Date.now();
  return {
    runId: `${prefix}-${r.job}-${r.tickAt}-${randomBytes(3).toString('hex')}`,
    job: r.job,
    kind: r.kind,
    name: r.name,
    ...(r.file ? { file: r.file } : {}),
    target: r.target,
    startedAt: at,
    endedAt: at,
    status,
    reason: r.reason,
    tickAt: r.tickAt,
    ...(decision ? { decision } : {}),
    leashed: false,
    sla: [],
  };
}

function insertRun(db: Db, run: Omit<HistoryRun, 'id'>): HistoryRun {
  const insert = db.prepare(
    `INSERT INTO runs (run_id, job, kind, name, file, target, started_at, ended_at, status, reason,
       report_dir, tick_at, decision, leashed)
     VALUES (@runId, @job, @kind, @name, @file, @target, @startedAt, @endedAt, @status, @reason,
       @reportDir, @tickAt, @decision, @leashed)`,
  );
  const insertSla = db.prepare(
    `INSERT INTO sla_results (run, position, source, verdict, value, limit_value, unit, op, window, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return writeHistory(db, () => {
    const { lastInsertRowid } = insert.run({
      job: null,
      file: null,
      endedAt: null,
      reason: null,
      reportDir: null,
      tickAt: null,
      decision: null,
      ...run,
      leashed: run.leashed ? 1 : 0,
    } as unknown as Record<string, unknown>);
    const id = Number(lastInsertRowid);
    run.sla.forEach((s, i) => {
      insertSla.run(id, i, s.source, s.verdict, s.value, s.limit, s.unit, s.op, s.window, s.detail);
    });
    return { id, ...run };
  });
}

export interface RunQuery {
  name?: string;
  job?: string;
  /** Epoch ms: runs that started at or after. */
  since?: number;
  /** Newest first, at most this many (default 50). */
  limit?: number;
  /** Leave out skipped ticks. */
  ranOnly?: boolean;
  /** Runs that started before this row id (the previous runs of a run). */
  beforeId?: number;
}

interface RunRow {
  id: number;
  run_id: string;
  job: string | null;
  kind: 'drill' | 'runbook';
  name: string;
  file: string | null;
  target: string;
  started_at: number;
  ended_at: number | null;
  status: RunOutcome;
  reason: string | null;
  report_dir: string | null;
  tick_at: number | null;
  decision: HistoryRun['decision'] | null;
  leashed: number;
}

/** Runs matching the query, newest first, each with its SLA results. */
export function listRuns(db: Db, query: RunQuery = {}): HistoryRun[] {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: query.limit ?? 50 };
  if (query.name !== undefined) {
    where.push('name = @name');
    params.name = query.name;
  }
  if (query.job !== undefined) {
    where.push('job = @job');
    params.job = query.job;
  }
  if (query.since !== undefined) {
    where.push('started_at >= @since');
    params.since = query.since;
  }
  if (query.beforeId !== undefined) {
    where.push('id < @beforeId');
    params.beforeId = query.beforeId;
  }
  if (query.ranOnly) where.push("status <> 'skipped'");
  const rows = db
    .prepare(
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at DESC, id DESC LIMIT @limit`,
    )
    .all(params) as RunRow[];
  const slaOf = db.prepare(
    `SELECT source, verdict, value, limit_value AS "limit", unit, op, window, detail
     FROM sla_results WHERE run = ? ORDER BY position`,
  );
  return rows.map((r) => ({
    id: r.id,
    runId: r.run_id,
    ...(r.job !== null ? { job: r.job } : {}),
    kind: r.kind,
    name: r.name,
    ...(r.file !== null ? { file: r.file } : {}),
    target: r.target,
    startedAt: r.started_at,
    ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
    status: r.status,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.report_dir !== null ? { reportDir: r.report_dir } : {}),
    ...(r.tick_at !== null ? { tickAt: r.tick_at } : {}),
    ...(r.decision !== null ? { decision: r.decision } : {}),
    leashed: r.leashed === 1,
    sla: slaOf.all(r.id) as HistorySla[],
  }));
}
