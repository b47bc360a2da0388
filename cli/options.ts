import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_COMPOSE_PROJECT, type StackKind } from '../stack/index.ts';

/** `--target local|compose`, as drill and runbook verify take it. */
export function parseTarget(value: string): StackKind {
  if (value !== 'local' && value !== 'compose')
    throw new InvalidArgumentError('must be "local" or "compose"');
  return value;
}

/** `--project NAME`: what docker compose accepts as a project name. */
export function parseProject(value: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(value))
    throw new InvalidArgumentError(
      'must be lower-case letters, digits, "_" and "-", starting with a letter or digit',
    );
  return value;
}

/** The options every command that runs drills shares (drill, runbook verify). */
export function withRunOptions(command: Command): Command {
  return command
    .option('--keep', 'with --target compose: leave the stack running afterwards')
    .option(
      '--project <name>',
      'with --target compose: the compose project name',
      parseProject,
      DEFAULT_COMPOSE_PROJECT,
    )
    .option('--report-dir <dir>', 'where reports/<run-id>/ go', 'reports')
    .option('--dry-run', 'validate and print the plan; start nothing, inject nothing')
    .option('--ledger <file>', 'fault ledger (default .faultline/ledger.jsonl, or $FAULTLINE_LEDGER)')
    .option('--no-progress', 'no live progress line');
}
