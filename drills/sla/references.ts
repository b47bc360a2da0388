import type { Sla } from './types.ts';

export interface StepRef {
  name: string;
  aliases: string[];
  isFault: boolean;
  targetsBalancer: boolean;
}

const FAULT_METRICS = new Set(['detection', 'failover', 'recovery']);

export function findStep<S extends { name: string; aliases: string[] }>(
  steps: readonly S[],
  name: string,
): S | undefined {
  return steps.find((s) => s.name === name) ?? steps.find((s) => s.aliases.includes(name));
}

/** What an SLA list refers to that the method does not have; empty when all is well. */
export function checkSlaReferences(slas: readonly Sla[], steps: readonly StepRef[]): string[] {
  const problems: string[] = [];
  const names = steps.map((s) => s.name).join(', ') || '(none)';
  const faults = steps.filter((s) => s.isFault);
  for (const sla of slas) {
    const w = sla.window;
    const step = w && 'step' in w ? findStep(steps, w.step) : undefined;
    if (w && 'step' in w && !step) {
      problems.push(`"${sla.source}": no step named "${w.step}" (steps: ${names})`);
      continue;
    }
    if (!FAULT_METRICS.has(sla.metric.kind)) continue;
    if (w && (w.kind === 'overall' || w.kind === 'before')) {
      problems.push(`"${sla.source}": ${sla.metric.kind} counts from a fault: use \`for <step>\``);
      continue;
    }
    const anchor = step ?? (faults.length === 1 ? faults[0] : undefined);
    if (!anchor) {
      problems.push(
        `"${sla.source}": ${sla.metric.kind} needs a fault: add \`for <step>\` (fault steps: ${faults.map((f) => f.name).join(', ') || 'none'})`,
      );
    } else if (!anchor.isFault) {
      problems.push(
        `"${sla.source}": step "${anchor.name}" is not a fault, so there is no ${sla.metric.kind} to measure`,
      );
    } else if (sla.metric.kind === 'detection' && anchor.targetsBalancer) {
      problems.push(`"${sla.source}": the balancer cannot detect its own failure`);
    }
  }
  return problems;
}
