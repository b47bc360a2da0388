import { join, resolve } from 'node:path';
import { describeEvent } from '../../balancer/index.ts';
import { Ledger, ledgerPath } from '../../chaos/ledger.ts';
import { leftToRevert } from '../../chaos/session.ts';
import { formatDuration } from '../../core/duration.ts';
import { shownPath } from '../../core/paths.ts';
import {
  type Db,
  type HeldLock,
  type HistoryFile,
  type HistoryRun,
  holdRunLock,
  previousRuns,
  recordAndNotify,
} from '../../drills/history/index.ts';
import type { Journal } from '../../drills/journal/types.ts';
import type { WebhookTarget } from '../../drills/notify/webhook.ts';
import { renderProgress, renderSummary, writeReports } from '../../drills/reports/index.ts';
import { newRunId, type RunOptions, type RunResult } from '../../drills/runner/run-drill.ts';
import type { DrillPlan } from '../../drills/validate.ts';
import { ComposeDrillStack, type StackKind } from '../../stack/index.ts';
import { EXIT } from '../exit-codes.ts';
import { onSignals } from '../signals.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** One run the command makes: a drill, or a runbook's verification. */
export interface RunItem {
  heading: string;
  kind: 'drill' | 'runbook';
  /** The drill's or the runbook's name, as history records it. */
  name: string;
  run(options: RunOptions): Promise<RunResult>;
}

export interface RunAndReportOptions {
  target: StackKind;
  reportDir: string;
  ledger?: string;
  progress: boolean;
  keep?: boolean;
  project: string;
  /** Every run is recorded here (and its report links the previous runs of the same drill). */
  historyFile?: HistoryFile;
  /** Told about breaches, errors and recoveries. */
  webhooks?: readonly WebhookTarget[];
  /** A scheduled run: the job and tick it is for; leashed runs inject nothing. */
  scheduled?: { job: string; tickAt: number; leashed: boolean };
  /** Aborting it interrupts the runs as SIGINT does (the scheduler stopping). */
  signal?: AbortSignal;
  /** Called with each run as history recorded it. */
  onRecorded?: (run: HistoryRun) => void;
}

/**
 * Runs each item on a fresh stack of the target (compose: one project for all), prints its
 * events and summary, writes its reports; SIGINT reverts and stops. Returns the exit code.
 */
export async function runAndReport(items: readonly RunItem[], options: RunAndReportOptions): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals, count: number) => {
    if (count === 1) {
      process.stderr.write(
        `\nreceived ${signal}: reverting every fault, then stopping (again to quit at once)\n`,
      );
      interrupt.abort();
    } else {
      const left = leftToRevert(new Ledger(ledgerPath(options.ledger)));
      process.stderr.write(
        `faultline: quitting without finishing the revert; still to revert: ${left.join('; ') || 'nothing'}\n` +
          `finish it with: faultline revert${options.ledger ? ` --ledger ${options.ledger}` : ''}\n`,
      );
      process.exit(EXIT.interrupted);
    }
  };
  const stopListening = onSignals(onSignal);
  const onAbort = () => interrupt.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const live = options.progress && process.stdout.isTTY === true;
  const journals: Journal[] = [];
  let compose: ComposeDrillStack | undefined;
  try {
    if (options.target === 'compose') {
      compose = await ComposeDrillStack.up({
        project: options.project,
        ...(options.keep ? { keep: true } : {}),
        log: (line) => out(`  ${line}`),
      });
    }
    for (const item of items) {
      if (interrupt.signal.aborted) break;
      out(`\n▶ ${item.heading}`);
      const runId = newRunId(item.name);
      const dir = resolve(options.reportDir, runId);
      const lock = options.scheduled ? undefined : announceManualRun(options.historyFile, item);
      const { journal } = await item
        .run({
          stack: options.target,
          ...(compose
            ? { openStack: (stack: DrillPlan['stack']) => (compose as ComposeDrillStack).forDrill(stack) }
            : {}),
          signal: interrupt.signal,
          runId,
          requestsFile: join(dir, 'requests.jsonl'),
          ...(options.scheduled?.leashed ? { leashed: true } : {}),
          ...(options.ledger ? { ledgerFile: options.ledger } : {}),
          log: (line) => print(live, `  ${line}`),
          onProgress: (p) => {
            if (live) process.stdout.write(`\r\x1b[2K${renderProgress(p)}`);
          },
        })
        .finally(() => lock?.release());
      if (live) process.stdout.write('\r\x1b[2K');
      for (const e of journal.events) {
        if (e.kind === 'balancer-started' || e.kind === 'balancer-stopping') continue;
        out(`  ${formatDuration(Math.max(0, e.at - journal.clockOrigin)).padStart(7)}  ${describeEvent(e)}`);
      }
      const history = options.historyFile?.get();
      await writeReports(journal, dir, history ? { previous: previousRuns(history, journal, dir) } : {});
      out(renderSummary(journal, { color: process.stdout.isTTY === true }));
      out(`  reports: ${shownPath(dir)}/{journal.json, junit.xml, report.html, requests.jsonl}`);
      journals.push(journal);
      if (history) await record(history, journal, dir, options);
    }
  } finally {
    try {
      await compose?.close();
    } finally {
      stopListening();
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
  if (journals.length > 1) printTotals(journals);
  return exitCodeOf(journals, interrupt.signal.aborted);
}

/**
 * A manual run holds the history's run lock while it goes on, so a scheduler on the same history
 * skips its ticks meanwhile instead of running a drill beside it. A manual run never waits: when
 * a scheduled run holds the lock, it runs anyway and says that the two share the machine.
 */
function announceManualRun(history: HistoryFile | undefined, item: RunItem): HeldLock | undefined {
  if (!history) return undefined;
  const lock = holdRunLock(
    history.get(),
    { owner: `manual-${process.pid}-${item.name}`, holding: `manual ${item.kind} ${item.name}` },
    { leaseMs: 60_000 },
  );
  if (lock.acquired) return lock;
  out(
    `  note: ${lock.holder.holding} is running too (pid ${lock.holder.pid}): both share this machine's cores, which may show in latencies`,
  );
  return undefined;
}

async function record(db: Db, journal: Journal, dir: string, options: RunAndReportOptions): Promise<void> {
  const { scheduled } = options;
  const { run, deliveries } = await recordAndNotify(
    db,
    journal,
    {
      reportDir: dir,
      ...(scheduled ? { job: scheduled.job, tickAt: scheduled.tickAt, leashed: scheduled.leashed } : {}),
    },
    options.webhooks ?? [],
  );
  out(`  history: run #${run.id} (${run.status}) in ${shownPath(db.name)}`);
  for (const d of deliveries) {
    out(
      d.outcome === 'delivered'
        ? `  webhook ${d.url}: ${d.event} delivered`
        : `  webhook ${d.url}: ${d.event} NOT delivered after ${d.attempts} attempt(s): ${d.error} (recorded; the verdict stands)`,
    );
  }
  options.onRecorded?.(run);
}

function print(live: boolean, line: string): void {
  out(live ? `\r\x1b[2K${line}` : line);
}

/** The worst outcome wins: interrupted, then errors, then SLA breaches, then inconclusive. */
export function exitCodeOf(journals: readonly Journal[], interrupted: boolean): number {
  if (interrupted || journals.some((j) => j.status === 'interrupted')) return EXIT.interrupted;
  const failedToRun = (j: Journal) =>
    j.status === 'failed' || (j.status === 'aborted' && j.phases.method === undefined);
  if (journals.some(failedToRun)) return EXIT.error;
  if (journals.some((j) => j.deviated || j.status === 'aborted')) return EXIT.slaBreach;
  if (journals.some((j) => j.sla.some((s) => s.verdict === 'inconclusive'))) return EXIT.inconclusive;
  return EXIT.ok;
}

function printTotals(journals: readonly Journal[]): void {
  out(journals.some((j) => j.runbook) ? '\nall runbooks' : '\nall drills');
  for (const j of journals) {
    const failed = j.sla.filter((s) => s.verdict === 'failed').length;
    const inconclusive = j.sla.filter((s) => s.verdict === 'inconclusive').length;
    const verdict =
      j.status !== 'completed'
        ? j.status.toUpperCase()
        : failed > 0 || j.deviated
          ? j.runbook
            ? 'NOT VERIFIED'
            : 'BREACH'
          : inconclusive > 0
            ? 'INCONCLUSIVE'
            : j.runbook
              ? 'VERIFIED'
              : 'PASS';
    out(
      `  ${verdict.padEnd(12)} ${(j.runbook ? `${j.runbook.name}.md` : j.drill.name).padEnd(18)} ${String(j.sla.length - failed - inconclusive).padStart(2)}/${j.sla.length} SLAs met  ${formatDuration(j.durationMs)}`,
    );
  }
}
