import type { ChaosSession } from '../../chaos/session.ts';

export interface CycleStep {
  fault: string;
  target: string;
  params?: Record<string, unknown>;
  /** How long the fault stays before it is reverted. */
  holdMs: number;
}

/** Every kind of fault the local stack takes, spread over the backends; the balancer is spared. */
export const SOAK_CYCLE: readonly CycleStep[] = [
  { fault: 'kill', target: 'app1', holdMs: 3000 },
  { fault: 'pause', target: 'app2', holdMs: 2000 },
  { fault: 'latency', target: 'app1', params: { latency: '150ms', jitter: '50ms' }, holdMs: 4000 },
  { fault: 'reset_peer', target: 'app2', params: { timeout: '20ms', toxicity: 0.3 }, holdMs: 3000 },
  { fault: 'down', target: 'app1', holdMs: 2000 },
  { fault: 'http_error', target: 'app2', params: { rate: 0.5 }, holdMs: 3000 },
  { fault: 'restart', target: 'app1', holdMs: 0 },
  { fault: 'kill', target: 'app2', holdMs: 2000 },
  { fault: 'pause', target: 'app1', holdMs: 1500 },
];

export interface CycleReport {
  injected: number;
  reverted: number;
  /** Faults that failed to inject or to revert, with the reason. */
  problems: string[];
}

/**
 * Injects the cycle's faults one after another until `untilMs` (wall clock), each held and then
 * reverted, with `settleMs` of calm between them. Bounded: it stops at the deadline, and
 * whatever is still injected is reverted before it returns.
 */
export async function cycleFaults(
  session: ChaosSession,
  options: { untilMs: number; settleMs: number; log: (line: string) => void },
): Promise<CycleReport> {
  const report: CycleReport = { injected: 0, reverted: 0, problems: [] };
  for (let i = 0; Date.now() < options.untilMs; i++) {
    const step = SOAK_CYCLE[i % SOAK_CYCLE.length] as CycleStep;
    try {
      const fault = await session.inject(await session.prepare(step.fault, step.target, step.params ?? {}));
      report.injected++;
      await sleep(Math.min(step.holdMs, Math.max(0, options.untilMs - Date.now())));
      for (const result of await session.revert([fault])) {
        if (result.outcome === 'failed')
          report.problems.push(`revert ${result.description}: ${result.error}`);
        else report.reverted++;
      }
    } catch (err) {
      report.problems.push(
        `${step.fault} ${step.target}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    await sleep(Math.min(options.settleMs, Math.max(0, options.untilMs - Date.now())));
  }
  const left = await session.revertAll();
  report.reverted += left.reverted;
  report.problems.push(...left.failed);
  options.log(`faults: ${report.injected} injected, ${report.reverted} reverted`);
  return report;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
