import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../../core/duration.ts';
import { shownPath } from '../../core/paths.ts';
import type { OperatorAccess } from '../../stack/index.ts';
import type { ActionRecord, RunbookRecord } from '../journal/types.ts';
import { now, sleep } from '../runner/clock.ts';
import type { MethodContext } from '../runner/method.ts';
import { runMethod } from '../runner/method.ts';
import type { CustomMethodOutcome, LiveJudge } from '../runner/run-drill.ts';
import type { SlaResult } from '../sla/types.ts';
import { runStep } from './run-step.ts';
import type { RunbookPlan } from './types.ts';

const TICK_MS = 250;
/** How long past the last step a restoration is still watched for (see below). */
const LATE_MS = 5000;
/** Steps not yet started this long after the RTO has passed are skipped: the verdict is in. */
const GRACE_MS = 30_000;

/**
 * The method of a runbook verification: the drill's steps up to its fault (left in place), then
 * the runbook's steps in order, while every TICK_MS the restored conditions are judged over the
 * last `restored.for`. Restored is the end of the first such window after the injection.
 */
export function runbookMethod(runbook: RunbookPlan) {
  return async (ctx: MethodContext, methodStart: number, live: LiveJudge): Promise<CustomMethodOutcome> => {
    const faultOutcome = await runMethod(ctx, methodStart);
    if (faultOutcome.error) return faultOutcome;
    const fault = [...faultOutcome.actions].reverse().find((a) => a.kind === 'fault' && a.status === 'ok');
    const injectedAt = fault?.startedAt ?? methodStart;
    const deadline = injectedAt + runbook.rtoMs;
    const where = (line: number) => `${shownPath(runbook.file)}:${line}`;

    const watcher = watchRestoration(runbook, live, injectedAt);
    const tools = operatorTools(ctx.target.url, ctx.target.operator);
    const actions: ActionRecord[] = [...faultOutcome.actions];
    let failure: string | undefined;
    try {
      for (const step of runbook.steps) {
        if (ctx.signal.aborted) break;
        if (failure || now() > deadline + GRACE_MS) {
          actions.push(
            skippedStep(step.name, step.line, failure ? 'an earlier step failed' : 'the RTO had long passed'),
          );
          continue;
        }
        ctx.onStep?.(step.name);
        const startedAt = now();
        const result = await runStep(step, tools.env, ctx.signal);
        const record: ActionRecord = {
          name: step.name,
          kind: 'runbook',
          description: `${where(step.line)} ${step.name}`,
          targets: [],
          trigger: 'after the previous step',
          startedAt,
          endedAt: now(),
          status: result.ok ? 'ok' : 'failed',
          line: step.line,
          attempts: result.attempts,
          ...(result.output ? { output: result.output } : {}),
        };
        if (!result.ok) {
          record.failedAt = result.failure.line;
          record.failure = result.failure.kind;
          record.error = `${where(result.failure.line)}: ${result.failure.message}`;
          failure = record.error;
        }
        actions.push(record);
        ctx.log(
          `${result.ok ? 'runbook step' : 'RUNBOOK STEP FAILED'} ${step.name}: ${record.error ?? where(step.line)}`,
        );
      }
      // Every step done: service may come back a little later (rise checks, requests to settle).
      // Watched up to the RTO, and at least `restored.for` + LATE_MS past the last step, so a
      // restoration after the RTO is reported with its time, not as "never restored".
      const watchUntil = Math.max(deadline, now() + runbook.restored.windowMs + LATE_MS);
      while (!failure && !ctx.signal.aborted && watcher.restoredAt() === null && now() < watchUntil) {
        await sleep(TICK_MS, ctx.signal).catch(() => {});
      }
    } finally {
      watcher.stop();
      tools.dispose();
      ctx.onStep?.(undefined);
    }

    const restoredAt = watcher.restoredAt();
    const rto = rtoResult(runbook, injectedAt, restoredAt, watcher.lastFailure());
    const throughout = await judgeThroughout(runbook, live, watcher.span(), ctx.signal);
    const broken = throughout.find((r) => r.verdict !== 'passed');
    const reason =
      failure ??
      (rto.verdict !== 'passed'
        ? `${where(runbook.rtoLine)}: ${rto.detail}`
        : broken
          ? `${shownPath(runbook.file)}: ${broken.source}: ${broken.detail}`
          : undefined);
    const record: RunbookRecord = {
      name: runbook.name,
      file: runbook.file,
      title: runbook.title,
      rtoMs: runbook.rtoMs,
      restoredWhen: runbook.restored.conditions.map((c) => c.source),
      restoredForMs: runbook.restored.windowMs,
      injectedAt,
      restoredAt,
      verdict: reason ? 'failed' : 'verified',
      ...(reason ? { reason } : {}),
    };
    return { actions, sla: [rto, ...throughout], deviated: reason !== undefined, runbook: record };
  };
}

function skippedStep(name: string, line: number, why: string): ActionRecord {
  const t = now();
  return {
    name,
    kind: 'runbook',
    description: `line ${line} ${name}`,
    targets: [],
    trigger: '',
    startedAt: t,
    endedAt: t,
    status: 'skipped',
    error: why,
    line,
  };
}

/**
 * Marks the recording every TICK_MS from the injection on and judges the restored conditions
 * over the newest settled window at least `restored.for` long.
 */
function watchRestoration(runbook: RunbookPlan, live: LiveJudge, injectedAt: number) {
  const marks: number[] = [];
  let restoredAt: number | null = null;
  let last: SlaResult[] = [];
  const first = Math.max(now(), injectedAt);
  live.mark(first);
  marks.push(first);
  const tick = () => {
    const t = now();
    live.mark(t);
    marks.push(t);
    if (restoredAt !== null) return;
    const settled = live.settledBefore();
    // The newest window [start, end] with end settled and start at least `for` before it.
    for (let e = marks.length - 1; e > 0; e--) {
      const end = marks[e] as number;
      if (end > settled) continue;
      let s = e - 1;
      while (s > 0 && end - (marks[s] as number) < runbook.restored.windowMs) s--;
      const start = marks[s] as number;
      if (end - start < runbook.restored.windowMs) return;
      last = live.judge(runbook.restored.conditions, { name: 'restored', start, end });
      // Restored when it is known to be: at the end of the first window that held throughout.
      // (Its start would credit a window in which `served_by(app1)>0` became true at the last moment.)
      if (last.every((r) => r.verdict === 'passed')) restoredAt = end;
      return;
    }
  };
  const timer = setInterval(tick, TICK_MS);
  return {
    restoredAt: () => restoredAt,
    /** From the first mark to the last. */
    span: () => ({ start: marks[0] as number, end: marks.at(-1) as number }),
    lastFailure: () => last.filter((r) => r.verdict !== 'passed'),
    stop: () => {
      clearInterval(timer);
      tick();
    },
  };
}

/** The `throughout` conditions over the whole runbook, once its last requests have finished. */
async function judgeThroughout(
  runbook: RunbookPlan,
  live: LiveJudge,
  span: { start: number; end: number },
  signal: AbortSignal,
): Promise<SlaResult[]> {
  if (runbook.throughout.length === 0) return [];
  const giveUp = now() + 10_000;
  while (live.settledBefore() < span.end && now() < giveUp && !signal.aborted) {
    await sleep(50, signal).catch(() => {});
  }
  return live.judge(runbook.throughout, { name: 'throughout', ...span }).map((r) => ({
    ...r,
    source: `${r.source} throughout`,
  }));
}

function rtoResult(
  runbook: RunbookPlan,
  injectedAt: number,
  restoredAt: number | null,
  failing: SlaResult[],
): SlaResult {
  const rto = formatDuration(runbook.rtoMs);
  const when = runbook.restored.conditions.map((c) => c.source).join(' and ');
  const base = {
    source: `restored within rto ${rto}`,
    limit: runbook.rtoMs,
    unit: 'ms' as const,
    op: '<=' as const,
    window: { name: 'runbook', start: injectedAt, end: restoredAt ?? injectedAt + runbook.rtoMs },
  };
  if (restoredAt === null) {
    const why = failing.map((r) => r.detail).join('; ');
    return {
      ...base,
      value: null,
      verdict: 'failed',
      excess: 0,
      detail: `service was never restored: ${when} did not hold over ${formatDuration(runbook.restored.windowMs)} within the RTO of ${rto}${why ? ` (last: ${why})` : ''}`,
    };
  }
  const took = restoredAt - injectedAt;
  const ok = took <= runbook.rtoMs;
  return {
    ...base,
    value: took,
    verdict: ok ? 'passed' : 'failed',
    excess: ok ? 0 : took - runbook.rtoMs,
    detail: `${when} held over the ${formatDuration(runbook.restored.windowMs)} up to ${formatDuration(took)} after the fault${ok ? '' : `, past the RTO of ${rto}`}`,
  };
}

/** The environment a step runs with: what an operator has, and the service manager as one command. */
function operatorTools(
  url: string,
  operator: OperatorAccess,
): { env: NodeJS.ProcessEnv; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-runbook-'));
  const services = join(dir, 'services');
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const exports = Object.entries(operator.servicesEnv as Record<string, string>).map(
    ([k, v]) => `export ${k}=${quote(v)}`,
  );
  // `status` and `ps` both work on either stack: docker compose says ps, faultline stack status.
  const mapStatus = `if [ "$1" = status ] || [ "$1" = ps ]; then shift; set -- ${operator.statusVerb} "$@"; fi`;
  writeFileSync(
    services,
    `#!/bin/sh\n${exports.join('\n')}\n${mapStatus}\nexec ${operator.services.map(quote).join(' ')} "$@"\n`,
  );
  chmodSync(services, 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAULTLINE_URL: url,
    FAULTLINE_ADMIN_URL: operator.adminUrl,
    FAULTLINE_ADMIN_TOKEN: operator.adminToken ?? '',
    FAULTLINE_SERVICES: services,
  };
  return { env, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
