import type { Command } from 'commander';
import { allFaults } from '../../chaos/faults/index.ts';
import { Ledger, ledgerPath } from '../../chaos/ledger.ts';
import { ChaosSession, revertOutstanding } from '../../chaos/session.ts';
import { connectDocker, DockerTargetProvider } from '../../chaos/targets/docker-target.ts';
import { openLocalStackTargets, stackStatePath } from '../../chaos/targets/stack-state.ts';
import { checkDuration } from '../../core/duration.ts';
import { FaultlineError } from '../../core/errors.ts';
import { EXIT } from '../exit-codes.ts';
import { onSignals } from '../signals.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);
const ledgerFlag = (file?: string) => (file ? ` --ledger ${file}` : '');

type RevertSummary = Awaited<ReturnType<ChaosSession['revertAll']>>;

/**
 * SIGINT/SIGTERM while a fault is injected or held: revert it, after the injection in flight
 * finished (revertAll waits for it). A second signal quits at once, saying what is left and
 * that `faultline revert` finishes it (the ledger holds every fault not yet reverted).
 */
function revertOnSignal(session: ChaosSession, ledgerFile: string, ledgerOption?: string) {
  let reverting: Promise<RevertSummary> | undefined;
  let notify = () => {};
  const signalled = new Promise<void>((resolve) => {
    notify = resolve;
  });
  const handler = (signal: NodeJS.Signals) => {
    if (reverting) {
      const left = session.pending();
      process.stderr.write(
        `received ${signal} again: quitting without finishing the revert\n` +
          `still to revert: ${left.length > 0 ? left.join('; ') : 'nothing'}\n` +
          `finish it with: faultline revert${ledgerFlag(ledgerOption)}   (ledger ${ledgerFile})\n`,
      );
      process.exit(EXIT.interrupted);
    }
    const wait = session.injecting ? 'waiting for the injection in flight to finish, then ' : '';
    write(`received ${signal}: ${wait}reverting (again to quit at once)`);
    reverting = session.revertAll();
    reverting.catch(() => {}); // awaited (and reported) by the command itself
    notify();
  };
  const dispose = onSignals(handler);
  return {
    signalled,
    get reverting() {
      return reverting;
    },
    dispose,
  };
}

/** `--param k=v`: JSON values where they parse (numbers, booleans), strings otherwise. */
function collectParam(raw: string, previous: Record<string, unknown>): Record<string, unknown> {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new FaultlineError('FL_USAGE', `--param must look like key=value (got "${raw}")`);
  const key = raw.slice(0, eq);
  const text = raw.slice(eq + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // a plain string such as 250ms
  }
  return { ...previous, [key]: value };
}

export function registerChaosCommands(program: Command): void {
  program
    .command('chaos')
    .description('inject one fault into a target of the running local stack (see `faultline demo`)')
    .argument('[fault]', 'fault name, e.g. pause, kill, latency (omit with --list)')
    .argument('[target]', 'target name, e.g. app1')
    .option('-p, --param <key=value>', 'fault parameter (repeatable)', collectParam, {})
    .option('--for <duration>', 'revert automatically after this long (e.g. 10s); default: leave it in place')
    .option('--dry-run', 'show what would be injected where, touch nothing')
    .option('--list', 'list the faults and their parameters')
    .option('--ledger <file>', 'fault ledger (default $FAULTLINE_LEDGER or .faultline/ledger.jsonl)')
    .option('--stack <file>', 'local stack state file (default .faultline/stack.json)')
    .option('--docker <project>', 'target the opted-in containers of this compose project instead')
    .action(
      async (
        faultName: string | undefined,
        targetName: string | undefined,
        options: {
          param: Record<string, unknown>;
          for?: string;
          dryRun?: boolean;
          list?: boolean;
          ledger?: string;
          stack?: string;
          docker?: string;
        },
      ) => {
        if (options.list) {
          for (const f of allFaults()) write(`${f.name.padEnd(14)} ${f.summary}`);
          return;
        }
        if (!faultName || !targetName) {
          throw new FaultlineError(
            'FL_USAGE',
            'usage: faultline chaos <fault> <target> [--param k=v ...] [--for 10s] (faults: --list)',
          );
        }
        const checkedFor = options.for === undefined ? undefined : checkDuration(options.for, 1);
        if (checkedFor && 'problem' in checkedFor) {
          throw new FaultlineError('FL_USAGE', `--for ${checkedFor.problem}`);
        }
        const forMs = checkedFor?.ms;
        const provider = options.docker
          ? new DockerTargetProvider(await connectDocker(), options.docker)
          : await openLocalStackTargets(stackStatePath(options.stack));
        const ledger = new Ledger(ledgerPath(options.ledger));
        const session = new ChaosSession(ledger, provider, write);
        const prepared = await session.prepare(faultName, targetName, options.param);
        if (options.dryRun) {
          write(`dry run: would ${prepared.description}`);
          write(`         undo: ${JSON.stringify(prepared.revert)}`);
          return;
        }
        const signals = revertOnSignal(session, ledger.file, options.ledger);
        try {
          write(`injecting: ${prepared.description}`);
          try {
            await session.inject(prepared);
          } catch (err) {
            await signals.reverting;
            throw err;
          }
          if (!signals.reverting) {
            if (forMs === undefined) {
              write(`left in place; undo with: faultline revert${ledgerFlag(options.ledger)}`);
              return;
            }
            write(`holding for ${options.for}, Ctrl-C reverts early`);
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([new Promise((r) => (timer = setTimeout(r, forMs))), signals.signalled]);
            clearTimeout(timer);
          }
          const interrupted = signals.reverting !== undefined;
          const { failed } = await (signals.reverting ?? session.revertAll());
          process.exitCode = failed.length > 0 ? EXIT.error : interrupted ? EXIT.interrupted : EXIT.ok;
        } finally {
          signals.dispose();
        }
      },
    );

  program
    .command('revert')
    .description(
      'undo every fault the ledger still holds (after a crash, a kill -9, or a fault left in place)',
    )
    .option('--ledger <file>', 'fault ledger (default $FAULTLINE_LEDGER or .faultline/ledger.jsonl)')
    .action(async (options: { ledger?: string }) => {
      const ledger = new Ledger(ledgerPath(options.ledger));
      const open = ledger.outstanding();
      if (open.length === 0) {
        write(`nothing to revert (${ledger.file})`);
        return;
      }
      write(`reverting ${open.length} fault(s) from ${ledger.file}`);
      const { reverted, failed } = await revertOutstanding(ledger, write);
      write(`${reverted} reverted, ${failed.length} failed`);
      if (failed.length > 0) {
        throw new FaultlineError(
          'FL_REVERT_FAILED',
          `could not revert:\n  ${failed.join('\n  ')}\nrun faultline revert again once the cause is fixed`,
        );
      }
    });
}
