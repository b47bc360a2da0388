import { type Command, InvalidArgumentError } from 'commander';
import { defaultHistoryFile, HistoryFile } from '../drills/history/index.ts';
import { WEBHOOK_DEFAULTS, type WebhookTarget } from '../drills/notify/webhook.ts';
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
    .option('--no-progress', 'no live progress line')
    .option('--history <file>', 'the run history (SQLite; default <report-dir>/history.sqlite)')
    .option('--no-history', 'record nothing in the history')
    .option(
      '--notify <url>',
      'POST a JSON summary here on a breach, an error or a recovery (repeatable)',
      collectUrl,
      [],
    )
    .option(
      '--notify-slack <url>',
      'the same, as a Slack incoming-webhook message (repeatable)',
      collectUrl,
      [],
    );
}

/** `--notify URL`, repeatable: an http(s) URL. */
export function collectUrl(value: string, previous: string[]): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL (e.g. http://127.0.0.1:9000/hook)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`"${value}" must be an http:// or https:// URL`);
  return [...previous, value];
}

export interface HistoryOptions {
  reportDir: string;
  /** A file, or false with --no-history. */
  history?: string | false;
  notify?: string[];
  notifySlack?: string[];
}

/** The history the runs record into (an existing file is checked now: a damaged one stops the command first). */
export function historyOf(options: HistoryOptions): HistoryFile | undefined {
  if (options.history === false) return undefined;
  return new HistoryFile(options.history ?? defaultHistoryFile(options.reportDir));
}

export function webhooksOf(options: HistoryOptions): WebhookTarget[] {
  return [
    ...(options.notify ?? []).map((url) => ({ ...WEBHOOK_DEFAULTS, url, format: 'json' as const })),
    ...(options.notifySlack ?? []).map((url) => ({ ...WEBHOOK_DEFAULTS, url, format: 'slack' as const })),
  ];
}
