import { dirname } from 'node:path';
import { FaultlineError } from '../../core/errors.ts';
import { importDrillFile, resolveDrillFiles } from '../drill-files.ts';
import { type RunOptions, type RunResult, runDrill } from '../runner/run-drill.ts';
import type { DrillPlan } from '../validate.ts';
import { runbookMethod } from './runbook-method.ts';
import type { RunbookPlan } from './types.ts';

/** Room after the RTO for the restored window and slow steps: the load runs this much longer. */
const SLACK_MS = 30_000;

/** The drill a runbook names, loaded (a catalog name, or a file relative to the runbook). */
export async function loadRunbookDrill(runbook: RunbookPlan): Promise<DrillPlan> {
  let file: string;
  try {
    [file] = resolveDrillFiles([runbook.fault.drill], dirname(runbook.file)) as [string];
  } catch (err) {
    throw new FaultlineError(
      'FL_RUNBOOK_INVALID',
      `${runbook.file}:${runbook.fault.line}: fault: ${(err as Error).message}`,
    );
  }
  return importDrillFile(file);
}

/**
 * The drill as a runbook runs it: its stack, load and steady state; its method up to the fault
 * step (the first one, or `fault.step`), which stays in place (no `for`, no later steps).
 */
export function runbookDrillPlan(runbook: RunbookPlan, drill: DrillPlan): DrillPlan {
  const isFault = (i: number) => drill.steps[i]?.action.kind === 'fault';
  const wanted = runbook.fault.step;
  const at = wanted
    ? drill.steps.findIndex((s) => s.name === wanted || s.aliases.includes(wanted))
    : drill.steps.findIndex((_, i) => isFault(i));
  if (wanted && at === -1) {
    throw new FaultlineError(
      'FL_RUNBOOK_INVALID',
      `${runbook.file}:${runbook.fault.line}: fault.step: drill ${drill.name} has no step "${wanted}" (steps: ${drill.steps.map((s) => s.name).join(', ') || 'none'})`,
    );
  }
  const steps = drill.steps.slice(0, at + 1).map(({ forMs: _held, ...step }) => step);
  const lastOffset = Math.max(0, ...steps.map((s) => (s.trigger.kind === 'at' ? s.trigger.offsetMs : 0)));
  return {
    ...drill,
    steps,
    methodMs: lastOffset + runbook.rtoMs + runbook.restored.windowMs + SLACK_MS,
    sla: [],
    abortWhen: [],
  };
}

/**
 * Verifies one runbook on `plan` (runbookDrillPlan's cut of its drill): the drill's stack and
 * fault, then the runbook's steps, timed against its RTO.
 */
export async function verifyRunbook(
  runbook: RunbookPlan,
  plan: DrillPlan,
  options: RunOptions = {},
): Promise<RunResult> {
  return runDrill(plan, { ...options, method: runbookMethod(runbook) });
}
