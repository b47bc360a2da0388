import type { Command } from 'commander';
import { registerDrillLoaders } from '../../core/build-state.js';
import { formatDuration } from '../../core/duration.ts';
import { FaultlineError } from '../../core/errors.ts';
import { shownPath } from '../../core/paths.ts';
import { loadRunbook, resolveRunbookFiles } from '../../drills/runbook/load-runbook.ts';
import type { RunbookPlan } from '../../drills/runbook/types.ts';
import { loadRunbookDrill, runbookDrillPlan, verifyRunbook } from '../../drills/runbook/verify.ts';
import { describeAction } from '../../drills/runner/method.ts';
import type { RunOptions } from '../../drills/runner/run-drill.ts';
import type { DrillPlan } from '../../drills/validate.ts';
import { composeProblems, type StackKind } from '../../stack/index.ts';
import { type HistoryOptions, historyOf, parseTarget, webhooksOf, withRunOptions } from '../options.ts';
import { runAndReport } from './run-and-report.ts';

interface VerifyOptions extends HistoryOptions {
  target?: StackKind;
  reportDir: string;
  dryRun?: boolean;
  ledger?: string;
  progress: boolean;
  keep?: boolean;
  project: string;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerRunbookCommand(program: Command): void {
  const runbook = program.command('runbook').description('verify markdown runbooks under a real fault');
  withRunOptions(runbook.command('verify'))
    .description(
      "start the stack, inject the runbook's fault, run its steps and check that service is restored within its RTO",
    )
    .argument('<runbooks...>', 'runbook files, or folders of them (*.md)')
    .option(
      '--target <stack>',
      "local (child processes) or compose (containers); default: the runbook's own `target`, else local",
      parseTarget,
    )
    .action(async (args: string[], options: VerifyOptions) => {
      const runbooks = resolveRunbookFiles(args).map(loadRunbook);
      await registerDrillLoaders();
      // Each drill cut as the verification runs it (this also checks that `fault.step` exists).
      const drills: DrillPlan[] = [];
      for (const r of runbooks) drills.push(runbookDrillPlan(r, await loadRunbookDrill(r)));
      const target = targetOf(runbooks, options.target);
      if (target === 'compose') {
        const problems = drills.flatMap((d, i) =>
          composeProblems(d.stack).map((p) => `  ${shownPath((runbooks[i] as RunbookPlan).file)}: ${p}`),
        );
        if (problems.length > 0) {
          throw new FaultlineError(
            'FL_RUNBOOK_INVALID',
            `cannot run on --target compose:\n${problems.join('\n')}`,
          );
        }
      }
      if (options.dryRun) {
        for (const [i, r] of runbooks.entries()) printPlan(r, drills[i] as DrillPlan, target);
        return;
      }
      const history = historyOf(options);
      process.exitCode = await runAndReport(
        runbooks.map((r, i) => ({
          heading: `runbook ${shownPath(r.file)}: ${r.title}`,
          kind: 'runbook' as const,
          name: r.name,
          run: (runOptions: RunOptions) => verifyRunbook(r, drills[i] as DrillPlan, runOptions),
        })),
        { ...options, target, ...(history ? { historyFile: history } : {}), webhooks: webhooksOf(options) },
      ).finally(() => history?.close());
    });
}

function targetOf(runbooks: readonly RunbookPlan[], flag: StackKind | undefined): StackKind {
  if (flag) return flag;
  const named = new Set(runbooks.map((r) => r.target ?? 'local'));
  if (named.size > 1) {
    throw new FaultlineError(
      'FL_USAGE',
      `these runbooks name different targets (${[...named].join(', ')}): verify them separately or pass --target`,
    );
  }
  return [...named][0] ?? 'local';
}

function printPlan(r: RunbookPlan, d: DrillPlan, target: StackKind): void {
  out(`\nrunbook ${shownPath(r.file)}: ${r.title}`);
  out(`  target      ${target}: the stack, load and steady state of drill ${d.name} (${shownPath(d.file)})`);
  out(
    `  load        ${d.load.rate} req/s, steady state ${d.steadyState.thresholds.map((t) => t.source).join(', ') || '(none)'}`,
  );
  for (const s of d.steps) {
    const when =
      s.trigger.kind === 'at'
        ? `at ${formatDuration(s.trigger.offsetMs)}`
        : `after ${s.trigger.condition.event}`;
    out(`  fault       ${when} ${s.name}: ${describeAction(s.action)} (left in place)`);
  }
  if (d.steps.length === 0) out('  fault       none: the runbook acts on a healthy stack');
  out(
    `  restored    ${r.restored.conditions.map((c) => c.source).join(' and ')} over ${formatDuration(r.restored.windowMs)}, within ${formatDuration(r.rtoMs)} of the fault`,
  );
  out('  steps');
  for (const s of r.steps) {
    const opts = [
      `timeout ${formatDuration(s.timeoutMs)}`,
      ...(s.eventuallyMs !== undefined ? [`eventually ${formatDuration(s.eventuallyMs)}`] : []),
    ].join(', ');
    out(
      `    line ${String(s.line).padEnd(4)} ${s.name.padEnd(20)} ${s.body.kind === 'script' ? 'script' : `${s.body.commands.length} command(s) with expected output`} (${opts})`,
    );
    if (s.body.kind === 'transcript') {
      for (const c of s.body.commands) {
        out(
          `      $ ${c.command.split('\n')[0]}${c.expected.length ? `  → ${c.expected.length} line(s)` : ''}${c.exitCode ? `, exit ${c.exitCode}` : ''}`,
        );
      }
    }
  }
  out('  (dry run: nothing started, nothing injected)');
}
