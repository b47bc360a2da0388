import { randomBytes } from 'node:crypto';
import type { BalancerEvent } from '../../balancer/index.ts';
import { Ledger, ledgerPath } from '../../chaos/ledger.ts';
import { ChaosSession } from '../../chaos/session.ts';
import { FaultlineError } from '../../core/errors.ts';
import { openLocalStack, type RunningStack, type StackKind } from '../../stack/index.ts';
import type {
  ActionRecord,
  Journal,
  RevertRecordResult,
  RunbookRecord,
  RunStatus,
} from '../journal/types.ts';
import { type RunningLoad, startLoad } from '../load/open-model.ts';
import type { RequestsLogSummary } from '../recorder/requests-log.ts';
import type { TimeWindow } from '../recording.ts';
import { evaluateOn } from '../sla/index.ts';
import type { Sla, SlaContext, SlaResult } from '../sla/types.ts';
import type { DrillPlan } from '../validate.ts';
import { now, sleep, sleepUntil } from './clock.ts';
import { DrillRecording } from './drill-recording.ts';
import { evaluateSlas, notMeasured } from './judge-slas.ts';
import { type MethodContext, type MethodOutcome, runMethod } from './method.ts';

export interface DrillProgress {
  elapsedMs: number;
  phase: 'starting' | 'before' | 'method' | 'after' | 'reverting';
  rps: number;
  errors: number;
  p99: number;
  action?: string;
}

export interface RunOptions {
  stack?: StackKind;
  /**
   * Brings up the drill's stack. Default: the embedded local stack. `--target compose` passes
   * the compose stack's (which is up already and reconfigures its balancer per drill).
   */
  openStack?: (stack: DrillPlan['stack']) => Promise<RunningStack>;
  /** Aborting it interrupts the run (SIGINT): faults are reverted, status `interrupted`. */
  signal?: AbortSignal;
  ledgerFile?: string;
  log?: (line: string) => void;
  onProgress?: (progress: DrillProgress) => void;
  runId?: string;
  /**
   * Where each request record is streamed as it finishes (JSON lines), complete on disk when
   * runDrill returns, on every exit path. Default: none written (aggregates only).
   */
  requestsFile?: string;
  /**
   * Runs the method in place of the drill's own steps (runbook verification: the drill's fault,
   * then the runbook). Its SLA results and runbook record join the journal; the method phase
   * ends when it returns.
   */
  method?: (ctx: MethodContext, methodStart: number, live: LiveJudge) => Promise<CustomMethodOutcome>;
  /**
   * Leashed (Chaos Monkey's term): everything runs except the faults and other actions on the
   * stack, which are recorded as "would inject"; the SLAs, having no fault to measure, are not judged.
   */
  leashed?: boolean;
}

/** Judging windows of the run while it goes on. */
export interface LiveJudge {
  /** A window boundary at `t` (now): windows between marks can be judged. */
  mark(t: number): void;
  judge(conditions: readonly Sla[], window: TimeWindow & { name: string }): SlaResult[];
  /** Every request intended before this time has finished (answered or timed out). */
  settledBefore(): number;
}

export interface CustomMethodOutcome extends MethodOutcome {
  sla?: SlaResult[];
  /** True when the method's own checks failed (a runbook step, its RTO). */
  deviated?: boolean;
  runbook?: RunbookRecord;
}

export interface RunResult {
  journal: Journal;
}

/** Requests finishing within this long after a phase ends still count for its thresholds. */
const SETTLE_MS = 300;
const ABORT_CHECK_MS = 250;
/** The load runs at most this much longer than planned while `after` steps wait. */
const LOAD_SLACK_MS = 30_000;
const BUCKET_MS = 250;
/** After the warm-up ramp, this long at the full rate before steady state is judged. */
const WARMUP_HOLD_MS = 500;

export function newRunId(drill: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${stamp}-${drill}-${randomBytes(2).toString('hex')}`;
}

/**
 * One drill, Chaos Toolkit's lifecycle: target up → steady state before (not steady: aborted,
 * nothing injected) → method under continuous load → steady state after → revert every
 * fault (always) → journal. Never throws for a run that went wrong: the journal says how.
 */
export async function runDrill(drill: DrillPlan, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? (() => {});
  const startedAt = new Date();
  const t0 = now();
  const events: BalancerEvent[] = [];
  const stop = new AbortController();
  const interrupt = () => stop.abort(new Error('interrupted'));
  options.signal?.addEventListener('abort', interrupt, { once: true });

  let status: RunStatus = 'completed';
  let reason: string | undefined;
  let target: RunningStack | undefined;
  let session: ChaosSession | undefined;
  let load: RunningLoad | undefined;
  let unsubscribe = () => {};
  let phase: DrillProgress['phase'] = 'starting';
  let currentAction: string | undefined;
  const phases: Journal['phases'] = {};
  const steady: Journal['steadyState'] = { before: [], after: [] };
  let actions: ActionRecord[] = [];
  let reverts: RevertRecordResult[] = [];
  let abortReason: string | undefined;
  let custom: CustomMethodOutcome | undefined;
  // Nothing kept per request: records stream to requests.jsonl and fold into bounded aggregates.
  const recording = new DrillRecording(drill, BUCKET_MS);
  let requestLog: RequestsLogSummary | undefined;

  const progress = setInterval(() => {
    const s = load?.stats();
    options.onProgress?.({
      elapsedMs: now() - t0,
      phase,
      rps: s?.rps ?? 0,
      errors: s?.errors ?? 0,
      p99: s?.p99 ?? 0,
      ...(currentAction ? { action: currentAction } : {}),
    });
  }, 500);

  const context = (): SlaContext => ({
    recording: { requests: recording.recorder, events },
    phases: {
      before: phases.before ?? { start: t0, end: t0 },
      method: phases.method ?? { start: t0, end: t0 },
      after: phases.after ?? { start: t0, end: t0 },
    },
    steps: [],
    backups: target?.backups ?? [],
    steadyState: drill.steadyState.thresholds,
  });
  const thresholdsOn = (name: string, window: TimeWindow) =>
    drill.steadyState.thresholds.map((t) => evaluateOn(t, { name, ...window }, context()));

  try {
    await recording.open(options.requestsFile);
    log(`starting the ${options.stack ?? 'local'} stack for ${drill.name}`);
    target = await (options.openStack ?? openLocalStack)(drill.stack);
    const live = target;
    unsubscribe = live.subscribe((e) => events.push(e));
    session = new ChaosSession(new Ledger(ledgerPath(options.ledgerFile)), live.targets, log);
    // Every fault checked against the live targets before the first one is injected.
    for (const step of drill.steps) {
      if (step.action.kind !== 'fault') continue;
      for (const t of step.action.targets) {
        try {
          await session.prepare(step.action.fault, t, step.action.params);
        } catch (err) {
          throw new FaultlineError(
            'FL_DRILL_INVALID',
            `${drill.file}: step ${step.name}: ${(err as Error).message}`,
          );
        }
      }
    }
    if (stop.signal.aborted) throw stop.signal.reason;

    const warmupMs = drill.load.warmup.durationMs + WARMUP_HOLD_MS;
    load = startLoad(
      {
        url: live.url,
        rate: drill.load.rate,
        ramp: { durationMs: drill.load.warmup.durationMs, fromFraction: drill.load.warmup.from },
        maxDurationMs: warmupMs + 2 * drill.steadyState.durationMs + drill.methodMs + LOAD_SLACK_MS,
        requests: drill.load.requests,
        timeoutMs: drill.load.timeoutMs,
        connections: drill.load.connections,
        newConnectionShare: drill.load.newConnections,
      },
      { onRecord: recording.add },
    );
    phase = 'before';
    // The ramp opens connections and warms both processes up: recorded, never judged.
    const warm = load.startedAt + warmupMs;
    phases.warmup = { start: load.startedAt, end: warm };
    log(
      `warming up: ${drill.load.warmup.durationMs / 1000}s ramp from ${Math.round(drill.load.warmup.from * drill.load.rate)} to ${drill.load.rate} req/s, then ${WARMUP_HOLD_MS}ms at full rate`,
    );
    phases.before = { start: warm, end: warm + drill.steadyState.durationMs };
    recording.loadStarted(load.startedAt, phases.before);
    await settled(load, phases.before.end, drill.load.timeoutMs, stop.signal);
    steady.before = thresholdsOn('before', phases.before);
    const unsteady = steady.before.filter((r) => r.verdict !== 'passed');
    if (unsteady.length > 0) {
      status = 'aborted';
      reason = `not in steady state before the method, no fault injected: ${unsteady.map((r) => r.detail).join('; ')}`;
    } else {
      phase = 'method';
      const methodStart = now();
      phases.method = { start: methodStart, end: methodStart + drill.methodMs };
      recording.mark(methodStart);
      const watcher = setInterval(() => {
        const t = now();
        const window = { name: 'last second', start: t - 1000 - SETTLE_MS, end: t - SETTLE_MS };
        const tripped = drill.abortWhen
          .map((c) => evaluateOn(c, window, context()))
          .find((r) => r.verdict === 'passed');
        if (tripped && !stop.signal.aborted) {
          abortReason = `abort condition ${tripped.source} held: ${tripped.detail}`;
          stop.abort(new Error(abortReason));
        }
      }, ABORT_CHECK_MS);
      let outcome: MethodOutcome;
      try {
        const methodContext: MethodContext = {
          steps: drill.steps,
          target: live,
          session,
          signal: stop.signal,
          events,
          log,
          onStep: (name) => {
            currentAction = name;
          },
          onTime: recording.stepTimed,
          ...(options.leashed ? { leashed: true } : {}),
        };
        if (options.method) {
          const running = load;
          const judge: LiveJudge = {
            mark: (t) => recording.mark(t),
            judge: (conditions, window) => conditions.map((c) => evaluateOn(c, window, context())),
            settledBefore: () => {
              const oldest = running.oldestPending();
              const t = now() - SETTLE_MS;
              return oldest === undefined ? t : Math.min(t, oldest);
            },
          };
          custom = await options.method(methodContext, methodStart, judge);
          outcome = custom;
        } else {
          outcome = await runMethod(methodContext, methodStart);
        }
        actions = outcome.actions;
        if (!stop.signal.aborted && !outcome.error && !options.method)
          await sleepUntil(phases.method.end, stop.signal);
      } finally {
        clearInterval(watcher);
      }
      // A custom method (a runbook) ends when it returns; the drill's own lasts its `duration`.
      phases.method.end = options.method ? now() : Math.max(now(), phases.method.end);
      recording.mark(phases.method.end);
      if (stop.signal.aborted) throw stop.signal.reason;
      if (outcome.error) {
        status = 'failed';
        reason = outcome.error;
      } else {
        phase = 'after';
        phases.after = { start: phases.method.end, end: phases.method.end + drill.steadyState.durationMs };
        recording.afterPhase(phases.after);
        await settled(load, phases.after.end, drill.load.timeoutMs, stop.signal);
        steady.after = thresholdsOn('after', phases.after);
      }
    }
  } catch (err) {
    if (options.signal?.aborted) {
      status = 'interrupted';
      reason = 'interrupted (SIGINT/SIGTERM); every fault reverted';
    } else if (abortReason) {
      status = 'aborted';
      reason = abortReason;
    } else {
      status = 'failed';
      reason = (err as Error).message;
    }
  } finally {
    phase = 'reverting';
    if (session) {
      const result = await session.revertAll();
      reverts = result.results.map((r) => ({ ...r, at: now() }));
      if (result.failed.length > 0 && status === 'completed') {
        status = 'failed';
        reason = `revert failed: ${result.failed.join('; ')}`;
      }
    }
    if (load) {
      load.stop();
      await load.done;
    }
    // Flushed and closed before the journal exists: an interrupted run's requests.jsonl is whole.
    try {
      requestLog = await recording.close();
    } catch (err) {
      log(`closing requests.jsonl failed: ${(err as Error).message}`);
    }
    if (phases.method && !phases.after && status !== 'completed') {
      phases.method.end = Math.min(phases.method.end, now());
      recording.mark(phases.method.end);
    }
    unsubscribe();
    clearInterval(progress);
    options.signal?.removeEventListener('abort', interrupt);
    try {
      await target?.stop();
    } catch (err) {
      log(`stopping the stack failed: ${(err as Error).message}`);
    }
  }

  const sla = options.leashed
    ? [...drill.sla, ...(custom?.sla ?? [])].map((s) =>
        notMeasured(s.source, s.limit, s.unit, s.op, 'leashed: no fault was injected'),
      )
    : [...evaluateSlas(drill, context(), actions, phases, status), ...(custom?.sla ?? [])];
  const deviated =
    sla.some((r) => r.verdict === 'failed') ||
    steady.after.some((r) => r.verdict === 'failed') ||
    custom?.deviated === true;
  const endedAt = new Date();
  const end = phases.after?.end ?? phases.method?.end ?? now();
  const journal: Journal = {
    version: 1,
    runId: options.runId ?? newRunId(drill.name, startedAt),
    drill: { name: drill.name, description: drill.description, file: drill.file },
    stack: options.stack ?? 'local',
    status,
    deviated,
    ...(reason ? { reason } : {}),
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: Math.round(endedAt.getTime() - startedAt.getTime()),
    clockOrigin: t0,
    phases,
    steadyState: steady,
    actions,
    sla,
    reverts,
    load: recording.recorder.loadSummary(drill.load.rate, phases.warmup?.end),
    bucketMs: BUCKET_MS,
    timeline: phases.before && load ? recording.recorder.timeline(load.startedAt, end, BUCKET_MS) : [],
    events,
    ...(requestLog ? { requestLog } : {}),
    ...(custom?.runbook ? { runbook: custom.runbook } : {}),
    ...(options.leashed ? { leashed: true } : {}),
  };
  return { journal };
}

/**
 * Waits until every request intended before `end` has finished (answered or timed out), so a
 * window is judged on all of its requests: a stack so slow that none had answered yet must fail
 * its thresholds, not leave them "inconclusive". At least SETTLE_MS, at most the request timeout.
 */
async function settled(
  load: RunningLoad,
  end: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  await sleepUntil(end + SETTLE_MS, signal);
  const deadline = end + timeoutMs + SETTLE_MS;
  for (;;) {
    const oldest = load.oldestPending();
    if (oldest === undefined || oldest >= end || now() >= deadline) return;
    await sleep(Math.min(50, Math.max(1, deadline - now())), signal);
  }
}
