import type { Command } from 'commander';
import { registerDrillLoaders } from '../../core/build-state.js';
import { formatDuration } from '../../core/duration.ts';
import { FaultlineError } from '../../core/errors.ts';
import { shownPath } from '../../core/paths.ts';
import { importDrillFile, resolveDrillFiles } from '../../drills/drill-files.ts';
import { describeAction } from '../../drills/runner/method.ts';
import { type RunOptions, runDrill } from '../../drills/runner/run-drill.ts';
import type { DrillPlan } from '../../drills/validate.ts';
import { composeProblems, type StackKind } from '../../stack/index.ts';
import { type HistoryOptions, historyOf, parseTarget, webhooksOf, withRunOptions } from '../options.ts';
import { runAndReport } from './run-and-report.ts';

interface DrillOptions extends HistoryOptions {
  target: StackKind;
  reportDir: string;
  dryRun?: boolean;
  list?: boolean;
  ledger?: string;
  progress: boolean;
  keep?: boolean;
  project: string;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerDrillCommand(program: Command): void {
  withRunOptions(program.command('drill'))
    .description('run drills (default: the built-in catalog) on the embedded local stack and write reports')
    .argument('[drills...]', 'built-in drill names or paths to *.drill.ts files')
    .option(
      '--target <stack>',
      'the stack the drills target: local (child processes, default) or compose (containers)',
      parseTarget,
      'local',
    )
    .option('--list', 'list the built-in drills')
    .action(async (names: string[], options: DrillOptions) => {
      const drills: DrillPlan[] = [];
      await registerDrillLoaders();
      for (const file of resolveDrillFiles(names)) drills.push(await importDrillFile(file));
      if (options.target === 'compose') {
        const problems = drills.flatMap((d) =>
          composeProblems(d.stack).map((p) => `  ${shownPath(d.file)}: ${p}`),
        );
        if (problems.length > 0) {
          throw new FaultlineError(
            'FL_DRILL_INVALID',
            `cannot run on --target compose:\n${problems.join('\n')}`,
          );
        }
      }
      if (options.list) {
        for (const d of drills) out(`${d.name.padEnd(18)} ${d.description}`);
        return;
      }
      if (options.dryRun) {
        for (const d of drills) printPlan(d, options.target);
        return;
      }
      const history = historyOf(options);
      process.exitCode = await runAndReport(
        drills.map((drill) => ({
          heading: `${drill.name}: ${drill.description}`,
          kind: 'drill' as const,
          name: drill.name,
          run: (runOptions: RunOptions) => runDrill(drill, runOptions),
        })),
        { ...options, ...(history ? { historyFile: history } : {}), webhooks: webhooksOf(options) },
      ).finally(() => history?.close());
    });
}

function printPlan(d: DrillPlan, target: DrillOptions['target']): void {
  out(`\n${d.name}: ${d.description}`);
  out(`  file        ${shownPath(d.file)}`);
  const backends = d.stack.backends
    .map((b) => `${b.name}${b.weight ? ` (weight ${b.weight})` : ''}${b.backup ? ' (backup)' : ''}`)
    .join(', ');
  out(
    target === 'compose'
      ? `  stack       compose: ${backends}${d.stack.proxies ? ' behind the toxic proxy service' : ''}, balancer container on this drill's config`
      : `  stack       local: ${backends}${d.stack.proxies ? ', toxic proxies' : ''}, balancer as a process`,
  );
  const requests = d.load.requests.map((r) => `${r.method} ${r.path}`).join(', ');
  out(`  load        ${d.load.rate} req/s (${requests}), timeout ${formatDuration(d.load.timeoutMs)}`);
  const steady = d.steadyState.thresholds.map((t) => t.source).join(', ') || '(none)';
  out(`  steady      ${formatDuration(d.steadyState.durationMs)} before and after: ${steady}`);
  out(`  method      ${formatDuration(d.methodMs)} under load:`);
  for (const s of d.steps) {
    const when =
      s.trigger.kind === 'at'
        ? `at ${formatDuration(s.trigger.offsetMs)}`
        : `after ${s.trigger.condition.event}${s.trigger.condition.server ? ` ${s.trigger.condition.server}` : ''}`;
    const held = s.forMs !== undefined ? `, held ${formatDuration(s.forMs)} then reverted` : '';
    out(`    ${when.padEnd(26)} ${s.name.padEnd(16)} ${describeAction(s.action)}${held}`);
  }
  out('  SLAs');
  for (const s of d.sla) out(`    ${s.source}`);
  if (d.abortWhen.length) out(`  abort when  ${d.abortWhen.map((a) => a.source).join(', ')}`);
  out('  (dry run: nothing started, nothing injected)');
}
