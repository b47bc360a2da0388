import type { Journal } from '../journal/types.ts';
import type { SlaResult } from '../sla/types.ts';

export interface ProgressLine {
  elapsedMs: number;
  phase: string;
  rps: number;
  errors: number;
  p99: number;
  action?: string;
}

/** One live line: `  12.4s  method  198 rps  errors 0  p99 12.3ms  ▶ crash`. */
export function renderProgress(p: ProgressLine): string {
  return `  ${(p.elapsedMs / 1000).toFixed(1).padStart(5)}s  ${p.phase.padEnd(9)} ${String(Math.round(p.rps)).padStart(5)} rps  errors ${p.errors}  p99 ${p.p99.toFixed(1)}ms${p.action ? `  ▶ ${p.action}` : ''}`;
}

const ANSI = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', bold: '\x1b[1m', reset: '\x1b[0m' };

function fmt(value: number | null, r: SlaResult): string {
  if (value === null) return '—';
  switch (r.unit) {
    case 'ms':
      return value < 10_000 ? `${Number(value.toFixed(1))}ms` : `${Number((value / 1000).toFixed(2))}s`;
    case 'ratio':
      return `${(value * 100).toFixed(2)}%`;
    case 'rps':
      return `${value.toFixed(1)}/s`;
    case 'count':
      return String(Math.round(value * 100) / 100);
  }
}

/** The terminal summary of one run: status, SLA table (measured vs limit), totals. */
export function renderSummary(journal: Journal, options: { color?: boolean } = {}): string {
  const c = (code: keyof typeof ANSI, text: string) =>
    options.color ? `${ANSI[code]}${text}${ANSI.reset}` : text;
  const mark = (r: SlaResult) =>
    r.verdict === 'passed' ? c('green', '✔') : r.verdict === 'failed' ? c('red', '✘') : c('yellow', '?');
  const rows: Array<[string, string, string, string, string]> = [];
  const add = (prefix: string, r: SlaResult) =>
    rows.push([mark(r), `${prefix}${r.source}`, r.window.name, fmt(r.value, r), `${r.op}${fmt(r.limit, r)}`]);
  for (const r of journal.steadyState.before) add('steady before: ', r);
  for (const r of journal.sla) add('', r);
  for (const r of journal.steadyState.after) add('steady after: ', r);
  const widths = [1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0), 6));
  const lines: string[] = [];
  const failed = journal.sla.filter((r) => r.verdict === 'failed').length;
  const inconclusive = journal.sla.filter((r) => r.verdict === 'inconclusive').length;
  const verdict =
    journal.status !== 'completed'
      ? c('red', journal.status.toUpperCase())
      : journal.deviated
        ? c('red', journal.runbook ? 'FAILED VERIFICATION' : 'SLA BREACHED')
        : inconclusive > 0
          ? c('yellow', 'INCONCLUSIVE')
          : c('green', journal.runbook ? 'VERIFIED' : 'PASSED');
  const subject = journal.runbook
    ? `runbook ${journal.runbook.name} (fault from drill ${journal.drill.name})`
    : journal.drill.name;
  lines.push(
    `  ${c('bold', subject)}: ${verdict} in ${(journal.durationMs / 1000).toFixed(1)}s (${journal.sla.length - failed - inconclusive}/${journal.sla.length} SLAs met)`,
  );
  if (journal.reason) lines.push(`  reason: ${journal.reason}`);
  const runbook = journal.runbook;
  if (runbook) {
    const word = runbook.verdict === 'verified' ? c('green', 'VERIFIED') : c('red', 'NOT VERIFIED');
    lines.push(`  runbook ${runbook.title}: ${word}${runbook.reason ? `: ${runbook.reason}` : ''}`);
    for (const a of journal.actions.filter((x) => x.kind === 'runbook')) {
      const m =
        a.status === 'ok' ? c('green', '✔') : a.status === 'failed' ? c('red', '✘') : c('yellow', '-');
      const tries = a.attempts && a.attempts > 1 ? `, ${a.attempts} attempts` : '';
      lines.push(
        `  ${m} step ${a.name} (line ${a.line ?? '?'})  ${((a.endedAt - a.startedAt) / 1000).toFixed(1)}s${tries}${a.status === 'ok' ? '' : `  ${a.error ?? ''}`}`,
      );
    }
  }
  if (rows.length) {
    lines.push(
      `    ${'SLA'.padEnd(widths[0] as number)}  ${'window'.padEnd(widths[1] as number)}  ${'measured'.padStart(widths[2] as number)}  limit`,
    );
    for (const [m, source, window, value, limit] of rows) {
      lines.push(
        `  ${m} ${source.padEnd(widths[0] as number)}  ${window.padEnd(widths[1] as number)}  ${value.padStart(widths[2] as number)}  ${limit}`,
      );
    }
  }
  for (const r of [...journal.sla, ...journal.steadyState.before, ...journal.steadyState.after]) {
    if (r.verdict !== 'passed') lines.push(`    ${mark(r)} ${r.detail}`);
  }
  const l = journal.load;
  const shares = Object.entries(l.servedBy)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${((100 * n) / Math.max(1, l.sent - l.errors)).toFixed(1)}%`)
    .join(', ');
  lines.push(
    `    load: ${l.sent} requests${l.warmupRequests ? ` (${l.warmupRequests} in the warm-up)` : ''}, ${l.achievedRps}/s${l.warmupRequests ? ' after warm-up' : ''} (asked for ${l.rate}/s), ${l.errors} failed, p50 ${l.latency.p50}ms p99 ${l.latency.p99}ms max ${l.latency.max}ms${shares ? `; served by ${shares}` : ''}`,
  );
  const log = journal.requestLog;
  if (log && (log.dropped > 0 || log.error)) {
    lines.push(
      `    ${c('yellow', 'requests.jsonl incomplete')}: ${log.dropped} of ${log.written + log.dropped} records not written (${log.error ?? 'the disk fell behind'}); SLAs counted them all`,
    );
  }
  const revertFailures = journal.reverts.filter((r) => r.outcome === 'failed');
  if (revertFailures.length)
    lines.push(
      `    ${c('red', 'REVERT FAILED')}: ${revertFailures.map((r) => `${r.description}: ${r.error}`).join('; ')} — run \`faultline revert\``,
    );
  return lines.join('\n');
}
