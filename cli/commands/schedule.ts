import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { Ledger, ledgerPath } from '../../chaos/ledger.ts';
import { revertOutstanding } from '../../chaos/session.ts';
import { registerDrillLoaders } from '../../core/build-state.js';
import { FaultlineError } from '../../core/errors.ts';
import { shownPath } from '../../core/paths.ts';
import { isRunning } from '../../core/process/identity.ts';
import { importDrillFile, resolveDrillFiles } from '../../drills/drill-files.ts';
import {
  HistoryFile,
  listRuns,
  notifyRecorded,
  openHistoryDb,
  readJobState,
  recordError,
  setJobPaused,
} from '../../drills/history/index.ts';
import { loadRunbook } from '../../drills/runbook/load-runbook.ts';
import { loadRunbookDrill, runbookDrillPlan, verifyRunbook } from '../../drills/runbook/verify.ts';
import { runDrill } from '../../drills/runner/run-drill.ts';
import { calendarVeto, localTime, nextTicks } from '../../drills/schedule/calendar.ts';
import { degradedReason } from '../../drills/schedule/outage.ts';
import {
  loadScheduleFile,
  type ScheduleJob,
  type SchedulePlan,
} from '../../drills/schedule/schedule-file.ts';
import { formatDecision, Scheduler } from '../../drills/schedule/scheduler.ts';
import { composeProblems, DEFAULT_COMPOSE_PROJECT } from '../../stack/index.ts';
import { onShutdownSignal } from '../signals.ts';
import { type RunItem, runAndReport } from './run-and-report.ts';

interface ScheduleOptions {
  config?: string;
  history?: string;
  next?: number | true;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

function loadPlan(options: ScheduleOptions): SchedulePlan {
  if (!options.config) {
    throw new FaultlineError('FL_USAGE', 'which schedule? pass --config schedule.yaml (docs/schedule.md)');
  }
  const plan = loadScheduleFile(options.config);
  return options.history ? { ...plan, history: options.history } : plan;
}

export function registerScheduleCommand(program: Command): void {
  const schedule = program
    .command('schedule')
    .description(
      'run drills and runbook verifications on a schedule, recording every decision in the history',
    )
    .option('--config <file>', 'the schedule file (YAML; docs/schedule.md)')
    .option(
      '--history <file>',
      "the history (default: the schedule's `history`, else <reportDir>/history.sqlite)",
    )
    .option('--next [n]', "print each job's next runs in its time zone (default 5) and exit", parseCount)
    .action(async (options: ScheduleOptions) => {
      const plan = loadPlan(options);
      if (options.next !== undefined) return printNext(plan, options.next === true ? 5 : options.next);
      await runSchedule(plan);
    });
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedule
      .command(verb)
      .description(`${verb} a job: takes effect at its next tick, in every scheduler on the same history`)
      .argument('<job>', 'the job name in the schedule file')
      .option('--config <file>', 'the schedule file (also accepted before the verb)')
      .option('--history <file>', 'the history (also accepted before the verb)')
      .action((name: string, own: ScheduleOptions, command: Command) => {
        const plan = loadPlan({ ...(command.parent?.opts() as ScheduleOptions), ...own });
        if (!plan.jobs.some((j) => j.name === name)) {
          throw new FaultlineError(
            'FL_SCHEDULE_JOB_UNKNOWN',
            `${shownPath(plan.file)} has no job "${name}" (jobs: ${plan.jobs.map((j) => j.name).join(', ')})`,
          );
        }
        const db = openHistoryDb(plan.history);
        try {
          setJobPaused(db, name, paused);
        } finally {
          db.close();
        }
        out(`job ${name} ${paused ? 'paused' : 'resumed'} (${shownPath(plan.history)})`);
      });
  }
}

function printNext(plan: SchedulePlan, count: number): void {
  const db = existsSync(plan.history) ? openHistoryDb(plan.history) : undefined;
  try {
    for (const job of plan.jobs) {
      const paused = db ? readJobState(db, job.name).paused : false;
      const when =
        job.when.kind === 'cron'
          ? `cron "${job.when.expression}"`
          : `random in each window (seed ${job.when.seed})`;
      out(
        `${job.name}: ${when}, ${job.timezone}${job.leashed ? ', leashed' : ''}${paused ? ', PAUSED' : ''}`,
      );
      const ticks: number[] = [];
      let cursor = Date.now();
      // Ticks the calendar vetoes (outside windows, blackout) are left out; look this far at most.
      for (let scanned = 0; ticks.length < count && scanned < 200_000; ) {
        const batch = nextTicks(job, cursor, 500);
        if (batch.length === 0) break;
        scanned += batch.length;
        for (const t of batch) if (!calendarVeto(t, job) && ticks.length < count) ticks.push(t);
        cursor = batch[batch.length - 1] as number;
      }
      for (const t of ticks) out(`  ${localTime(t, job.timezone).text}   (${new Date(t).toISOString()})`);
      if (ticks.length === 0)
        out('  no run ahead: every coming tick falls outside its windows or on a blackout date');
    }
  } finally {
    db?.close();
  }
}

/** A drill or runbook of a job that does not load: the same error, saying which job of which file. */
function inJob(plan: SchedulePlan, job: ScheduleJob, err: unknown): never {
  if (!(err instanceof FaultlineError)) throw err;
  const where = `${shownPath(plan.file)}${job.line ? `:${job.line}` : ''}: job ${job.name}`;
  throw new FaultlineError(err.code, `${where}: ${err.message}`, { cause: err });
}

async function loadItems(job: ScheduleJob): Promise<RunItem[]> {
  const items: RunItem[] = [];
  for (const entry of job.run) {
    if (entry.toLowerCase().endsWith('.md')) {
      const runbook = loadRunbook(entry);
      const drill = runbookDrillPlan(runbook, await loadRunbookDrill(runbook));
      checkCompose(job, entry, drill.stack);
      items.push({
        heading: `job ${job.name}: runbook ${shownPath(runbook.file)}: ${runbook.title}`,
        kind: 'runbook',
        name: runbook.name,
        run: (o) => verifyRunbook(runbook, drill, o),
      });
    } else {
      const [file] = resolveDrillFiles([entry]);
      const drill = await importDrillFile(file as string);
      checkCompose(job, entry, drill.stack);
      items.push({
        heading: `job ${job.name}: ${drill.name}: ${drill.description}`,
        kind: 'drill',
        name: drill.name,
        run: (o) => runDrill(drill, o),
      });
    }
  }
  return items;
}

function checkCompose(job: ScheduleJob, entry: string, stack: Parameters<typeof composeProblems>[0]): void {
  if (job.target !== 'compose') return;
  const problems = composeProblems(stack);
  if (problems.length) {
    throw new FaultlineError(
      'FL_SCHEDULE_INVALID',
      `job ${job.name}: ${entry} cannot run on target compose:\n  ${problems.join('\n  ')}`,
    );
  }
}

/**
 * Faults an earlier run left in the ledger when its process died without reverting (a scheduler
 * killed mid-run) are reverted before the first tick. Faults of live processes (another
 * scheduler's run, a `faultline chaos` in progress) are theirs and left alone.
 */
async function revertLeftovers(): Promise<void> {
  const ledger = new Ledger(ledgerPath(undefined));
  const orphaned = (f: { pid: number }) => !isRunning(f.pid);
  const left = ledger.outstanding().filter(orphaned);
  if (left.length === 0) return;
  out(`the ledger holds ${left.length} fault(s) of processes that are gone: reverting them first`);
  const { failed } = await revertOutstanding(ledger, (line) => out(`  ${line}`), orphaned);
  if (failed.length > 0) {
    throw new FaultlineError(
      'FL_REVERT_FAILED',
      `could not revert faults an earlier run left:\n  ${failed.join('\n  ')}\nfix the cause, then run faultline revert`,
    );
  }
}

async function runSchedule(plan: SchedulePlan): Promise<void> {
  await registerDrillLoaders();
  // Every drill and runbook loaded now: a mistake shows at start, not at 3 a.m.
  const items = new Map<string, RunItem[]>();
  for (const job of plan.jobs)
    items.set(job.name, await loadItems(job).catch((err) => inJob(plan, job, err)));
  const db = openHistoryDb(plan.history);
  await revertLeftovers();
  const scheduler = new Scheduler({
    db,
    jobs: plan.jobs,
    describeItems: (job) => (items.get(job.name) ?? []).map((item) => ({ kind: item.kind, name: item.name })),
    checkOutage: async (job) => (job.outageCheck ? degradedReason(job.outageCheck) : undefined),
    runJob: async (job, tickAt, signal) => {
      const statuses: string[] = [];
      const recorded = new Set<string>();
      try {
        await runAndReport(items.get(job.name) ?? [], {
          target: job.target,
          reportDir: plan.reportDir,
          progress: false,
          project: DEFAULT_COMPOSE_PROJECT,
          historyFile: new HistoryFile(plan.history, db),
          webhooks: plan.webhooks,
          scheduled: { job: job.name, tickAt, leashed: job.leashed },
          signal,
          onRecorded: (run) => {
            recorded.add(run.name);
            statuses.push(`${run.name} ${run.status} (run #${run.id})`);
          },
        });
      } catch (err) {
        // The stack did not come up (or another error before a journal existed): still a row per item.
        const reason = (err as Error).message;
        for (const item of items.get(job.name) ?? []) {
          if (recorded.has(item.name)) continue;
          const [previous] = listRuns(db, { name: item.name, ranOnly: true, limit: 1 });
          const run = recordError(db, {
            job: job.name,
            kind: item.kind,
            name: item.name,
            target: job.target,
            tickAt,
            reason,
          });
          statuses.push(`${run.name} error (run #${run.id}): ${reason}`);
          for (const d of await notifyRecorded(db, run, previous, plan.webhooks)) {
            if (d.outcome === 'failed') statuses.push(`webhook ${d.url} failed: ${d.error}`);
          }
        }
      }
      return statuses.join(', ') || 'nothing recorded';
    },
    log: (d) => {
      const job = plan.jobs.find((j) => j.name === d.job);
      out(formatDecision(d, job?.timezone));
    },
  });
  // Listening before the banner: a SIGTERM from here on stops the scheduler cleanly.
  const stopped = onShutdownSignal(async (signal) => {
    out(
      `${new Date().toISOString()} received ${signal}: stopping (a run in progress is interrupted and reverted)`,
    );
    await scheduler.stop();
  });
  out(
    `faultline schedule: ${plan.jobs.length} job(s) from ${shownPath(plan.file)}, history ${shownPath(plan.history)}`,
  );
  for (const job of plan.jobs) {
    if (!job.outageCheck)
      out(`  job ${job.name}: no outageCheck configured: only the drills' own steady state guards it`);
  }
  scheduler.start();
  await stopped;
  db.close();
  out(`${new Date().toISOString()} scheduler stopped`);
}
