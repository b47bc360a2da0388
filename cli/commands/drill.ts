import { join, relative, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { describeEvent } from '../../balancer/index.ts';
import { Ledger, ledgerPath } from '../../chaos/ledger.ts';
import { leftToRevert } from '../../chaos/session.ts';
import { registerDrillLoaders } from '../../core/build-state.js';
import { formatDuration } from '../../core/duration.ts';
import { FaultlineError } from '../../core/errors.ts';
import { importDrillFile, resolveDrillFiles } from '../../drills/drill-files.ts';
import type { Journal } from '../../drills/journal/types.ts';
import { renderProgress, renderSummary, writeReports } from '../../drills/reports/index.ts';
import { describeAction } from '../../drills/runner/method.ts';
import { newRunId, runDrill } from '../../drills/runner/run-drill.ts';
import type { DrillPlan } from '../../drills/validate.ts';
import {
  ComposeDrillStack,
  composeProblems,
  DEFAULT_COMPOSE_PROJECT,
  type StackKind,
} from '../../stack/index.ts';
import { EXIT } from '../exit-codes.ts';
import { onSignals } from '../signals.ts';

interface DrillOptions {
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
  program
    .command('drill')
    .description('run drills (default: the built-in catalog) on the embedded local stack and write reports')
    .argument('[drills...]', 'built-in drill names or paths to *.drill.ts files')
    .option(
      '--target <stack>',
      'the stack the drills target: local (child processes, default) or compose (containers)',
      (value: string) => {
        if (value !== 'local' && value !== 'compose')
          throw new InvalidArgumentError('must be "local" or "compose"');
        return value;
      },
      'local',
    )
    .option('--keep', 'with --target compose: leave the stack running afterwards')
    .option(
      '--project <name>',
      'with --target compose: the compose project name',
      (value: string) => {
        if (!/^[a-z0-9][a-z0-9_-]*$/.test(value))
          throw new InvalidArgumentError(
            'must be lower-case letters, digits, "_" and "-", starting with a letter or digit',
          );
        return value;
      },
      DEFAULT_COMPOSE_PROJECT,
    )
    .option('--report-dir <dir>', 'where reports/<run-id>/ go', 'reports')
    .option('--dry-run', 'validate and print the plan; start nothing, inject nothing')
    .option('--list', 'list the built-in drills')
    .option('--ledger <file>', 'fault ledger (default .faultline/ledger.jsonl, or $FAULTLINE_LEDGER)')
    .option('--no-progress', 'no live progress line')
    .action(async (names: string[], options: DrillOptions) => {
      const drills: DrillPlan[] = [];
      await registerDrillLoaders();
      for (const file of resolveDrillFiles(names)) drills.push(await importDrillFile(file));
      if (options.target === 'compose') {
        const problems = drills.flatMap((d) =>
          composeProblems(d.stack).map((p) => `  ${relative(process.cwd(), d.file) || d.file}: ${p}`),
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
      process.exitCode = await runAll(drills, options);
    });
}

async function runAll(drills: DrillPlan[], options: DrillOptions): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals, count: number) => {
    if (count === 1) {
      process.stderr.write(
        `\nreceived ${signal}: reverting every fault, then stopping (again to quit at once)\n`,
      );
      interrupt.abort();
    } else {
      const left = leftToRevert(new Ledger(ledgerPath(options.ledger)));
      process.stderr.write(
        `faultline: quitting without finishing the revert; still to revert: ${left.join('; ') || 'nothing'}\n` +
          `finish it with: faultline revert${options.ledger ? ` --ledger ${options.ledger}` : ''}\n`,
      );
      process.exit(EXIT.interrupted);
    }
  };
  const stopListening = onSignals(onSignal);
  const live = options.progress && process.stdout.isTTY === true;
  const journals: Journal[] = [];
  let compose: ComposeDrillStack | undefined;
  try {
    if (options.target === 'compose') {
      compose = await ComposeDrillStack.up({
        project: options.project,
        ...(options.keep ? { keep: true } : {}),
        log: (line) => out(`  ${line}`),
      });
    }
    for (const drill of drills) {
      if (interrupt.signal.aborted) break;
      out(`\n▶ ${drill.name}: ${drill.description}`);
      const runId = newRunId(drill.name);
      const dir = resolve(options.reportDir, runId);
      const { journal } = await runDrill(drill, {
        stack: options.target,
        ...(compose
          ? { openStack: (stack: DrillPlan['stack']) => (compose as ComposeDrillStack).forDrill(stack) }
          : {}),
        signal: interrupt.signal,
        runId,
        requestsFile: join(dir, 'requests.jsonl'),
        ...(options.ledger ? { ledgerFile: options.ledger } : {}),
        log: (line) => print(live, `  ${line}`),
        onProgress: (p) => {
          if (live) process.stdout.write(`\r\x1b[2K${renderProgress(p)}`);
        },
      });
      if (live) process.stdout.write('\r\x1b[2K');
      for (const e of journal.events) {
        if (e.kind === 'balancer-started' || e.kind === 'balancer-stopping') continue;
        out(`  ${formatDuration(Math.max(0, e.at - journal.clockOrigin)).padStart(7)}  ${describeEvent(e)}`);
      }
      await writeReports(journal, dir);
      out(renderSummary(journal, { color: process.stdout.isTTY === true }));
      out(
        `  reports: ${relative(process.cwd(), dir) || dir}/{journal.json, junit.xml, report.html, requests.jsonl}`,
      );
      journals.push(journal);
    }
  } finally {
    try {
      await compose?.close();
    } finally {
      stopListening();
    }
  }
  if (journals.length > 1) printTotals(journals);
  return exitCodeOf(journals, interrupt.signal.aborted);
}

function print(live: boolean, line: string): void {
  out(live ? `\r\x1b[2K${line}` : line);
}

/** The worst outcome wins: interrupted, then errors, then SLA breaches, then inconclusive. */
export function exitCodeOf(journals: readonly Journal[], interrupted: boolean): number {
  if (interrupted || journals.some((j) => j.status === 'interrupted')) return EXIT.interrupted;
  const failedToRun = (j: Journal) =>
    j.status === 'failed' || (j.status === 'aborted' && j.phases.method === undefined);
  if (journals.some(failedToRun)) return EXIT.error;
  if (journals.some((j) => j.deviated || j.status === 'aborted')) return EXIT.slaBreach;
  if (journals.some((j) => j.sla.some((s) => s.verdict === 'inconclusive'))) return EXIT.inconclusive;
  return EXIT.ok;
}

function printTotals(journals: readonly Journal[]): void {
  out('\nall drills');
  for (const j of journals) {
    const failed = j.sla.filter((s) => s.verdict === 'failed').length;
    const inconclusive = j.sla.filter((s) => s.verdict === 'inconclusive').length;
    const verdict =
      j.status !== 'completed'
        ? j.status.toUpperCase()
        : failed > 0 || j.deviated
          ? 'BREACH'
          : inconclusive > 0
            ? 'INCONCLUSIVE'
            : 'PASS';
    out(
      `  ${verdict.padEnd(12)} ${j.drill.name.padEnd(18)} ${String(j.sla.length - failed - inconclusive).padStart(2)}/${j.sla.length} SLAs met  ${formatDuration(j.durationMs)}`,
    );
  }
}

function printPlan(d: DrillPlan, target: DrillOptions['target']): void {
  out(`\n${d.name}: ${d.description}`);
  out(`  file        ${relative(process.cwd(), d.file) || d.file}`);
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
