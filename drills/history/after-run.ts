import { relative } from 'node:path';
import type { Journal } from '../journal/types.ts';
import { type Delivery, deliver, notifyEventOf, summaryOf, type WebhookTarget } from '../notify/webhook.ts';
import type { Db } from './history-db.ts';
import { recordNotification } from './locks.ts';
import { type HistoryRun, listRuns, type RunContext, recordRun } from './runs.ts';

/** A previous run of the same drill, as the HTML report links it. */
export interface PreviousRunLink {
  runId: string;
  startedAt: number;
  status: HistoryRun['status'];
  /** The report, relative to this run's report folder; absent when it had none. */
  href?: string;
  /** Each SLA's measured value, by its text. */
  values: Record<string, number | null>;
}

/** The last runs of the drill (or runbook) this journal is of, newest first, linked from `reportDir`. */
export function previousRuns(db: Db, journal: Journal, reportDir: string, limit = 10): PreviousRunLink[] {
  const name = journal.runbook?.name ?? journal.drill.name;
  return listRuns(db, { name, ranOnly: true, limit }).map((r) => ({
    runId: r.runId,
    startedAt: r.startedAt,
    status: r.status,
    ...(r.reportDir ? { href: `${relative(reportDir, r.reportDir) || '.'}/report.html` } : {}),
    values: Object.fromEntries(r.sla.map((s) => [s.source, s.value])),
  }));
}

export interface AfterRun {
  run: HistoryRun;
  deliveries: Delivery[];
}

/**
 * Records the finished run, then tells the webhooks about a breach, an error or a recovery.
 * A webhook that fails is recorded and reported, never an error of the run.
 */
export async function recordAndNotify(
  db: Db,
  journal: Journal,
  context: RunContext,
  webhooks: readonly WebhookTarget[],
): Promise<AfterRun> {
  const name = journal.runbook?.name ?? journal.drill.name;
  const [previous] = listRuns(db, { name, ranOnly: true, limit: 1 });
  const run = recordRun(db, journal, context);
  return { run, deliveries: await notifyRecorded(db, run, previous, webhooks) };
}

/** Tells the webhooks about a recorded run (breach, error, or recovery after `previous`); records each delivery. */
export async function notifyRecorded(
  db: Db,
  run: HistoryRun,
  previous: HistoryRun | undefined,
  webhooks: readonly WebhookTarget[],
): Promise<Delivery[]> {
  const event = notifyEventOf(run, previous);
  if (!event || webhooks.length === 0) return [];
  const deliveries = await deliver(webhooks, summaryOf(run, event));
  for (const d of deliveries) {
    recordNotification(db, {
      run: run.id,
      url: d.url,
      event: d.event,
      outcome: d.outcome,
      attempts: d.attempts,
      ...(d.error ? { error: d.error } : {}),
    });
  }
  return deliveries;
}
