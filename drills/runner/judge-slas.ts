import type { ActionRecord, Journal, RunStatus } from '../journal/types.ts';
import { evaluateSla } from '../sla/index.ts';
import type { SlaContext, SlaResult } from '../sla/types.ts';
import type { DrillPlan } from '../validate.ts';
import { stepTimings } from './method.ts';

/** Judges the drill's SLAs on the run as it went; SLAs on steps that never ran are inconclusive. */
export function evaluateSlas(
  drill: DrillPlan,
  base: SlaContext,
  actions: ActionRecord[],
  phases: Journal['phases'],
  status: RunStatus,
): SlaResult[] {
  if (!phases.method) {
    return drill.sla.map((s) => notMeasured(s.source, s.limit, s.unit, s.op, 'the method never ran'));
  }
  const methodEnd = phases.method.end;
  const ctx: SlaContext = { ...base, steps: stepTimings(drill.steps, actions, methodEnd) };
  return drill.sla.map((s) => {
    try {
      const result = evaluateSla(s, ctx);
      if (status !== 'completed' && result.verdict === 'passed' && result.window.end > methodEnd) {
        return { ...result, verdict: 'inconclusive', detail: `${result.detail}; the run stopped early` };
      }
      return result;
    } catch (err) {
      // A window on a step that never ran (the method stopped first).
      return notMeasured(s.source, s.limit, s.unit, s.op, (err as Error).message);
    }
  });
}

export function notMeasured(
  source: string,
  limit: number,
  unit: SlaResult['unit'],
  op: SlaResult['op'],
  why: string,
): SlaResult {
  return {
    source,
    verdict: 'inconclusive',
    value: null,
    limit,
    unit,
    op,
    window: { name: 'none', start: 0, end: 0 },
    excess: 0,
    detail: `not measured: ${why}`,
  };
}
