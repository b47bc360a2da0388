import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { shownPath } from '../../core/paths.ts';
import { defaultHistoryFile, listRuns, openHistoryDb } from '../../drills/history/index.ts';
import { renderRunList, renderTrend } from '../../drills/history/render.ts';

interface HistoryListOptions {
  history?: string;
  reportDir: string;
  drill?: string;
  job?: string;
  since?: number;
  limit: number;
  json?: boolean;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

/** `--since 2026-11-01`, `--since 2026-11-01T08:00Z`, or `--since 7d` / `12h` / `30m` ago. */
export function parseSince(value: string, now = Date.now()): number {
  const ago = /^(\d+)(m|h|d)$/.exec(value.trim());
  if (ago)
    return now - Number(ago[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'm' | 'h' | 'd'];
  // A date-time without an offset is UTC, as a date alone is (JavaScript would read it as local time).
  const at = Date.parse(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? `${value}Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at)) {
    throw new InvalidArgumentError(
      'must be a date (2026-11-01, 2026-11-01T08:00Z) or a time ago (7d, 12h, 30m)',
    );
  }
  return at;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError('must be a whole number from 1');
  return n;
}

/** The history to read, or undefined (said on stdout) when no run was ever recorded there. */
function open(options: { history?: string; reportDir: string; json?: boolean }) {
  const file = options.history ?? defaultHistoryFile(options.reportDir);
  if (!existsSync(file)) {
    out(
      options.json
        ? '[]'
        : `no runs recorded yet: no history at ${shownPath(file)} (--history or --report-dir to read another)`,
    );
    return undefined;
  }
  return openHistoryDb(file);
}

export function registerHistoryCommand(program: Command): void {
  const history = program
    .command('history')
    .description('list recorded runs (drills, runbook verifications, scheduled ticks), newest first')
    .option('--history <file>', 'the history file (default <report-dir>/history.sqlite)')
    .option('--report-dir <dir>', 'where the reports and the default history are', 'reports')
    .option('--drill <name>', 'only runs of this drill or runbook')
    .option('--job <name>', 'only runs of this schedule job')
    .option(
      '--since <date>',
      'only runs since a date (UTC unless it names an offset) or a time ago (7d, 12h, 30m)',
      (v) => parseSince(v),
    )
    .option('--limit <n>', 'at most this many runs', parseLimit, 50)
    .option('--json', 'print the runs as JSON (every SLA with its value and limit)')
    .action((options: HistoryListOptions) => {
      const db = open(options);
      if (!db) return;
      try {
        const runs = listRuns(db, {
          limit: options.limit,
          ...(options.drill ? { name: options.drill } : {}),
          ...(options.job ? { job: options.job } : {}),
          ...(options.since !== undefined ? { since: options.since } : {}),
        });
        out(options.json ? JSON.stringify(runs, null, 2) : renderRunList(runs));
      } finally {
        db.close();
      }
    });
  history
    .command('trend')
    .description("each SLA's values over the last runs of a drill: a table and a sparkline")
    .argument('<drill>', 'a drill or runbook name, as `faultline history` lists it')
    .option('--last <n>', 'how many runs', parseLimit, 20)
    .action((drill: string, options: { last: number }, command: Command) => {
      const parent = command.parent?.opts() as HistoryListOptions;
      const db = open(parent);
      if (!db) return;
      try {
        const runs = listRuns(db, { name: drill, ranOnly: true, limit: options.last });
        out(renderTrend(drill, runs));
      } finally {
        db.close();
      }
    });
}
