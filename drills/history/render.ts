import { formatDuration } from '../../core/duration.ts';
import { shownPath } from '../../core/paths.ts';
import type { HistoryRun, HistorySla } from './runs.ts';

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled between the smallest and largest; `·` where none was measured. */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const measured = values.filter((v): v is number => v !== null);
  if (measured.length === 0) return values.map(() => '·').join('');
  const min = Math.min(...measured);
  const max = Math.max(...measured);
  return values
    .map((v) => {
      if (v === null) return '·';
      if (max === min) return BARS[3];
      return BARS[Math.round(((v - min) / (max - min)) * (BARS.length - 1))];
    })
    .join('');
}

/** A value in its SLA's unit, as people read it. */
export function formatValue(value: number | null, unit: HistorySla['unit']): string {
  if (value === null) return '—';
  if (unit === 'ms') return formatDuration(value);
  if (unit === 'ratio') return `${Number((value * 100).toFixed(2))}%`;
  if (unit === 'rps') return `${value.toFixed(1)}/s`;
  return String(Math.round(value * 100) / 100);
}

export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `faultline history`: one line per run, newest first. */
export function renderRunList(runs: readonly HistoryRun[]): string {
  if (runs.length === 0) return 'no runs recorded';
  const head = `${'#'.padStart(5)}  ${'started (UTC)'.padEnd(20)}  ${'drill or runbook'.padEnd(20)} ${'job'.padEnd(14)} ${'target'.padEnd(8)} ${'status'.padEnd(12)} ${'took'.padStart(8)}  SLAs    why / report`;
  const lines = runs.map((r) => {
    const met = r.sla.filter((s) => s.verdict === 'passed').length;
    const took =
      r.endedAt !== undefined && r.status !== 'skipped' ? formatDuration(r.endedAt - r.startedAt) : '';
    const status =
      r.status === 'skipped' ? `skipped:${r.decision ?? ''}` : `${r.status}${r.leashed ? '*' : ''}`;
    const why = r.status === 'passed' ? (r.reportDir ? shownPath(r.reportDir) : '') : (r.reason ?? '');
    return `${String(r.id).padStart(5)}  ${formatTime(r.startedAt).padEnd(20)}  ${`${r.name}${r.kind === 'runbook' ? '.md' : ''}`.padEnd(20)} ${(r.job ?? '-').padEnd(14)} ${r.target.padEnd(8)} ${status.padEnd(12)} ${took.padStart(8)}  ${(r.sla.length ? `${met}/${r.sla.length}` : '').padEnd(6)}  ${why}`;
  });
  const leashed = runs.some((r) => r.leashed)
    ? ['  * leashed: faults recorded as "would inject", none injected']
    : [];
  return [head, ...lines, ...leashed].join('\n');
}

/**
 * `faultline history trend DRILL`: each run's measured values as a table (oldest first), then
 * each SLA's sparkline with its first, last, smallest and largest value.
 */
export function renderTrend(name: string, newestFirst: readonly HistoryRun[]): string {
  const runs = [...newestFirst].reverse();
  if (runs.length === 0) return `no runs of ${name} recorded`;
  const sources: HistorySla[] = [];
  for (const r of runs) {
    for (const s of r.sla) if (!sources.some((k) => k.source === s.source)) sources.push(s);
  }
  const slaOf = (r: HistoryRun, source: string) => r.sla.find((s) => s.source === source) ?? null;
  const width = (s: HistorySla) => Math.max(10, s.source.length);
  const table = [
    `${'started (UTC)'.padEnd(20)}  ${'status'.padEnd(12)}  ${sources.map((s) => s.source.padStart(width(s))).join('  ')}`,
    ...runs.map(
      (r) =>
        `${formatTime(r.startedAt).padEnd(20)}  ${r.status.padEnd(12)}  ${sources
          .map((s) => {
            const v = slaOf(r, s.source);
            const text = v ? `${formatValue(v.value, v.unit)}${v.verdict === 'failed' ? '!' : ''}` : '';
            return text.padStart(width(s));
          })
          .join('  ')}`,
    ),
  ];
  const sparks = sources.map((s) => {
    const values = runs.map((r) => slaOf(r, s.source)?.value ?? null);
    const measured = values.filter((v): v is number => v !== null);
    const first = measured[0];
    const last = measured[measured.length - 1];
    const range =
      measured.length > 0
        ? `first ${formatValue(first ?? null, s.unit)}, last ${formatValue(last ?? null, s.unit)}, min ${formatValue(Math.min(...measured), s.unit)}, max ${formatValue(Math.max(...measured), s.unit)} (limit ${s.op} ${formatValue(s.limit, s.unit)})`
        : 'never measured';
    return `  ${s.source.padEnd(Math.max(...sources.map((k) => k.source.length)))}  ${sparkline(values)}  ${range}`;
  });
  return [
    `${name}: the last ${runs.length} run(s), oldest first (! = breached)`,
    '',
    ...table,
    '',
    ...sparks,
  ].join('\n');
}
