import type { ChaosSession, InjectedFault } from '../../chaos/session.ts';
import { formatDuration } from '../../core/duration.ts';
import { type RunningStack, STACK_POOL } from '../../stack/index.ts';
import type { DrillAction } from '../define.ts';
import type { ActionRecord } from '../journal/types.ts';
import type { StepTiming } from '../sla/types.ts';
import type { PlanStep } from '../validate.ts';
import { now, sleepUntil, waitForEvent } from './clock.ts';
import { runShell } from './shell.ts';

export interface MethodContext {
  steps: readonly PlanStep[];
  target: RunningStack;
  session: ChaosSession;
  /** Aborts the method: interrupted, or an abort condition held. */
  signal: AbortSignal;
  /** The balancer events seen so far (appended live by the runner). */
  events: ReadonlyArray<{ kind: string; at: number; server?: string }>;
  log: (line: string) => void;
  /** Called when a step starts (its name) and when the method is done (undefined). */
  onStep?: (name: string | undefined) => void;
  /**
   * Called the moment a step's start, end or background revert is timed, with that time: the
   * recorder marks it as a window boundary before any request intended after it is counted.
   */
  onTime?: (at: number, what: 'start' | 'end' | 'revert', step: PlanStep) => void;
  /** Leashed: faults, reverts, admin and shell steps are described ("would inject"), not done. */
  leashed?: boolean;
}

export interface MethodOutcome {
  actions: ActionRecord[];
  /** Why the method stopped early: a step failed or timed out. */
  error?: string;
}

/**
 * Runs the steps in order: each waits for its offset from `methodStart` (or its condition,
 * observed after the previous step started), then acts. A fault held with `for` is reverted
 * in the background while later steps go on. The first failing step stops the method.
 */
export async function runMethod(ctx: MethodContext, methodStart: number): Promise<MethodOutcome> {
  const actions: ActionRecord[] = [];
  const injected = new Map<string, InjectedFault[]>();
  const holds: Promise<void>[] = [];
  let previousStart = methodStart;
  let error: string | undefined;

  for (const step of ctx.steps) {
    if (ctx.signal.aborted) break;
    const trigger =
      step.trigger.kind === 'at'
        ? `at ${formatDuration(step.trigger.offsetMs)}`
        : `after ${step.trigger.condition.event}${step.trigger.condition.server ? ` ${step.trigger.condition.server}` : ''}`;
    try {
      if (step.trigger.kind === 'at') {
        await sleepUntil(methodStart + step.trigger.offsetMs, ctx.signal);
      } else {
        const { condition, timeoutMs } = step.trigger;
        const seen = await waitForEvent(
          ctx.events,
          (e) => e.kind === condition.event && (!condition.server || e.server === condition.server),
          previousStart,
          timeoutMs,
          ctx.signal,
        );
        if (!seen) {
          error = `step ${step.name}: ${trigger} not observed within ${formatDuration(timeoutMs)}`;
          actions.push(skipped(step, trigger, error));
          break;
        }
      }
    } catch {
      break; // aborted while waiting
    }
    ctx.onStep?.(step.name);
    const startedAt = now();
    ctx.onTime?.(startedAt, 'start', step);
    previousStart = startedAt;
    const record: ActionRecord = {
      name: step.name,
      kind: step.action.kind,
      description: '',
      targets: step.targets,
      trigger,
      startedAt,
      endedAt: startedAt,
      status: 'ok',
    };
    actions.push(record);
    try {
      const done = ctx.leashed ? await describeLeashed(ctx, step) : await act(ctx, step, injected);
      if (ctx.leashed) record.leashed = true;
      record.description = done.description;
      if (done.output) record.output = done.output;
    } catch (err) {
      record.status = 'failed';
      record.error = (err as Error).message;
      record.description ||= describeAction(step.action);
      error = `step ${step.name} failed: ${record.error}`;
    }
    record.endedAt = now();
    ctx.onTime?.(record.endedAt, 'end', step);
    ctx.log(
      `${record.status === 'ok' ? 'step' : 'STEP FAILED'} ${step.name}: ${record.error ?? record.description}`,
    );
    if (error) break;
    if (step.forMs !== undefined && !ctx.leashed)
      holds.push(holdThenRevert(ctx, step, startedAt + step.forMs, injected, record));
  }
  for (const step of ctx.steps.slice(actions.length)) {
    actions.push(skipped(step, '', error ? 'an earlier step failed' : 'the run stopped first'));
  }
  await Promise.allSettled(holds);
  ctx.onStep?.(undefined);
  return { actions, ...(error ? { error } : {}) };
}

function skipped(step: PlanStep, trigger: string, why: string): ActionRecord {
  const t = now();
  return {
    name: step.name,
    kind: step.action.kind,
    description: describeAction(step.action),
    targets: step.targets,
    trigger,
    startedAt: t,
    endedAt: t,
    status: 'skipped',
    error: why,
  };
}

async function holdThenRevert(
  ctx: MethodContext,
  step: PlanStep,
  until: number,
  injected: Map<string, InjectedFault[]>,
  record: ActionRecord,
): Promise<void> {
  // Interrupted or aborted: the runner's revertAll undoes it.
  const held = await sleepUntil(until, ctx.signal).then(
    () => true,
    () => false,
  );
  if (!held) return;
  // The fault ends when its revert begins: what the revert causes (a paused container's queued
  // health probes answered, say) can be seen before the engine's call returns.
  const revertedAt = now();
  ctx.onTime?.(revertedAt, 'revert', step);
  await ctx.session.revert(injected.get(step.name) ?? []);
  record.revertedAt = revertedAt;
  ctx.log(`step ${step.name}: held ${formatDuration(step.forMs ?? 0)}, reverted`);
}

async function act(
  ctx: MethodContext,
  step: PlanStep,
  injected: Map<string, InjectedFault[]>,
): Promise<{ description: string; output?: string }> {
  const action = step.action;
  switch (action.kind) {
    case 'fault': {
      // Planned at the moment of injecting: a pause records the pid that runs now.
      const prepared = await Promise.all(
        action.targets.map((t) => ctx.session.prepare(action.fault, t, action.params)),
      );
      const results = await Promise.allSettled(prepared.map((p) => ctx.session.inject(p)));
      const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      injected.set(step.name, ok);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return { description: prepared.map((p) => p.description).join('; ') };
    }
    case 'revert': {
      const of = [...injected.keys()].find((name) => name === action.step) ?? findByAlias(ctx, action.step);
      const results = await ctx.session.revert(injected.get(of ?? '') ?? []);
      const failed = results.find((r) => r.outcome === 'failed');
      if (failed) throw new Error(`${failed.description}: ${failed.error}`);
      return {
        description: `revert ${action.step}: ${results.map((r) => `${r.description} (${r.outcome})`).join('; ') || 'nothing left to undo'}`,
      };
    }
    case 'admin': {
      const pool = action.pool ?? STACK_POOL;
      const snapshot = await ctx.target.admin[action.op](pool, action.server);
      return {
        description: `${action.op} ${pool}/${action.server} through the admin API`,
        output: `${action.server}: state ${snapshot.state}, admin state ${snapshot.adminState}`,
      };
    }
    case 'shell': {
      const output = await runShell(action.command, action.timeout, ctx.signal);
      return { description: `shell: ${action.command}`, output };
    }
  }
}

/** What a leashed run would have done: a fault is prepared (its target resolved), not injected. */
async function describeLeashed(
  ctx: MethodContext,
  step: PlanStep,
): Promise<{ description: string; output?: string }> {
  const action = step.action;
  if (action.kind !== 'fault') return { description: `would run: ${describeAction(action)}` };
  const prepared = await Promise.all(
    action.targets.map((t) => ctx.session.prepare(action.fault, t, action.params)),
  );
  const held = step.forMs !== undefined ? ` for ${formatDuration(step.forMs)}` : '';
  return { description: `would inject: ${prepared.map((p) => p.description).join('; ')}${held}` };
}

function findByAlias(ctx: MethodContext, name: string): string | undefined {
  return ctx.steps.find((s) => s.aliases.includes(name))?.name;
}

export function describeAction(action: DrillAction): string {
  switch (action.kind) {
    case 'fault':
      return `${action.fault} ${action.targets.join(', ')}`;
    case 'revert':
      return `revert ${action.step}`;
    case 'admin':
      return `${action.op} ${action.server}`;
    case 'shell':
      return `shell: ${action.command}`;
  }
}

/**
 * When each step's `during` window ends: an explicit revert step of it, else its held
 * revert, else the next step's start, else the end of the method.
 */
export function stepTimings(
  steps: readonly PlanStep[],
  actions: readonly ActionRecord[],
  methodEnd: number,
): StepTiming[] {
  // Runbook steps are not drill steps: SLA windows never name them.
  const ran = actions.filter((a) => a.status !== 'skipped' && a.kind !== 'runbook');
  return ran.map((a, i) => {
    const step = steps.find((s) => s.name === a.name) as PlanStep;
    const revertStep = ran.find(
      (r) =>
        r.kind === 'revert' &&
        steps.some(
          (s) =>
            s.name === r.name &&
            s.action.kind === 'revert' &&
            [step.name, ...step.aliases].includes(s.action.step),
        ),
    );
    const next = ran[i + 1];
    const windowEnd = revertStep?.startedAt ?? a.revertedAt ?? next?.startedAt ?? methodEnd;
    return {
      name: a.name,
      aliases: step.aliases,
      targets: a.targets,
      isFault: a.kind === 'fault',
      startedAt: a.startedAt,
      endedAt: a.revertedAt ?? a.endedAt,
      windowEnd: Math.max(windowEnd, a.startedAt),
    };
  });
}
