import type { PreviousRunLink } from '../history/after-run.ts';
import type { Journal } from '../journal/types.ts';
import type { SlaResult } from '../sla/types.ts';
import { timelineChartScript } from './chart-script.ts';
import { escapeXml as escapeHtml } from './junit.ts';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #111; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #555; margin-bottom: 8px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 0 0 16px; }
dt { color: #555; } dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 20px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #ddd; vertical-align: top; }
td.num { white-space: nowrap; text-align: right; } tr.row-failed td { background: #fef2f2; }
.passed { color: #15803d; } .failed { color: #b91c1c; font-weight: 600; } .inconclusive { color: #a16207; }
.status-completed { color: #15803d; } .status-failed, .status-aborted, .status-interrupted { color: #b91c1c; }
svg { width: 100%; max-width: 1100px; border: 1px solid #ddd; }
svg .label { font-size: 11px; fill: #333; } svg .tick { font-size: 10px; fill: #666; }
`;

function fmt(value: number | null, r: SlaResult): string {
  if (value === null) return '—';
  if (r.unit === 'ms') return `${Number(value.toFixed(1))} ms`;
  if (r.unit === 'ratio') return `${(value * 100).toFixed(2)} %`;
  if (r.unit === 'rps') return `${value.toFixed(1)} /s`;
  return String(Math.round(value * 100) / 100);
}

function slaRows(results: readonly SlaResult[]): string {
  return results
    .map(
      (r) =>
        `<tr class="sla-row row-${r.verdict}"><td><code>${escapeHtml(r.source)}</code></td><td>${escapeHtml(r.window.name)}</td><td class="num">${fmt(r.value, r)}</td><td class="num">${escapeHtml(r.op)} ${fmt(r.limit, r)}</td><td class="verdict ${r.verdict}">${r.verdict}</td><td>${escapeHtml(r.detail)}</td></tr>`,
    )
    .join('\n');
}

function steadyStateRows(journal: Journal): string {
  const rows = [
    ...journal.steadyState.before.map((r) => ['before', r] as const),
    ...journal.steadyState.after.map((r) => ['after', r] as const),
  ];
  return rows
    .map(
      ([when, r]) =>
        `<tr class="steady-row row-${r.verdict}"><td>${when}</td><td><code>${escapeHtml(r.source)}</code></td><td class="num">${fmt(r.value, r)}</td><td class="num">${escapeHtml(r.op)} ${fmt(r.limit, r)}</td><td class="verdict ${r.verdict}">${r.verdict}</td></tr>`,
    )
    .join('\n');
}

function actionRows(journal: Journal): string {
  const at = (t: number) => `${((t - journal.clockOrigin) / 1000).toFixed(2)} s`;
  return journal.actions
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.trigger)}</td><td>${at(a.startedAt)}</td><td>${a.revertedAt ? at(a.revertedAt) : ''}</td><td class="${a.status === 'ok' ? 'passed' : 'failed'}">${a.status}${a.line ? ` (line ${a.line})` : ''}</td><td>${escapeHtml(a.error ?? a.description)}${a.output ? `<br><small>${escapeHtml(a.output)}</small>` : ''}</td></tr>`,
    )
    .join('\n');
}

function previousRows(journal: Journal, previous: readonly PreviousRunLink[]): string {
  const slas = journal.sla.map((s) => s.source);
  const head = `<tr><th>run</th><th>started</th><th>status</th>${slas.map((s) => `<th><code>${escapeHtml(s)}</code></th>`).join('')}</tr>`;
  const rows = previous.map((p) => {
    const name = p.href ? `<a href="${escapeHtml(p.href)}">${escapeHtml(p.runId)}</a>` : escapeHtml(p.runId);
    const cls = p.status === 'passed' ? 'passed' : p.status === 'inconclusive' ? 'inconclusive' : 'failed';
    const values = journal.sla.map((s) => {
      const v = p.values[s.source];
      return `<td class="num">${v === undefined ? '' : fmt(v, s)}</td>`;
    });
    return `<tr class="previous-run"><td>${name}</td><td>${new Date(p.startedAt).toISOString()}</td><td class="${cls}">${p.status}</td>${values.join('')}</tr>`;
  });
  return `${head}\n${rows.join('\n')}`;
}

export interface HtmlExtras {
  /** Earlier runs of the same drill from the history, newest first. */
  previous?: readonly PreviousRunLink[];
}

/** One self-contained HTML file: tables plus a timeline chart drawn in the page from the embedded journal. */
export function renderHtml(journal: Journal, extras: HtmlExtras = {}): string {
  const data = JSON.stringify(journal).replace(/</g, '\\u003c');
  const l = journal.load;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>faultline: ${escapeHtml(journal.drill.name)} ${escapeHtml(journal.runId)}</title>
<style>${STYLE}</style></head>
<body>
<header id="summary">
<h1>${escapeHtml(journal.runbook ? `runbook ${journal.runbook.name}` : journal.drill.name)} — <span class="status-${journal.status}">${journal.status}</span>${journal.deviated ? ' <span class="failed">deviated</span>' : ''}</h1>
<div class="meta">${journal.runbook ? `runbook ${escapeHtml(journal.runbook.file)}: ${escapeHtml(journal.runbook.title)} — <span class="${journal.runbook.verdict === 'verified' ? 'passed' : 'failed'}">${journal.runbook.verdict}</span>${journal.runbook.reason ? ` (${escapeHtml(journal.runbook.reason)})` : ''}<br>` : ''}${escapeHtml(journal.drill.description)}</div>
<dl>
<dt>status</dt><dd class="status-${journal.status}">${journal.status}</dd>
<dt>deviated</dt><dd>${journal.deviated ? 'yes: an SLA or the steady state after did not hold' : 'no'}</dd>
<dt>duration</dt><dd>${(journal.durationMs / 1000).toFixed(1)} s</dd>
<dt>stack</dt><dd>${journal.stack}</dd>
<dt>run</dt><dd>${escapeHtml(journal.runId)} · ${escapeHtml(journal.startedAt)}</dd>
<dt>load</dt><dd>${l.sent} requests${l.warmupRequests ? ` (${l.warmupRequests} in the warm-up)` : ''}, ${l.achievedRps}/s${l.warmupRequests ? ' after warm-up' : ''} (asked for ${l.rate}/s), ${l.errors} failed, p50 ${l.latency.p50} ms, p99 ${l.latency.p99} ms</dd>
${journal.reason ? `<dt>reason</dt><dd class="failed">${escapeHtml(journal.reason)}</dd>` : ''}
</dl>
</header>
<svg id="timeline" role="img" aria-label="timeline of requests, errors, p99 and shares"></svg>
<h2>SLAs</h2>
<table id="slas"><thead><tr><th>SLA</th><th>window</th><th>measured</th><th>limit</th><th>verdict</th><th>detail</th></tr></thead>
<tbody>
${slaRows(journal.sla)}
</tbody></table>
<h2>Steady state</h2>
<table id="steady-state"><thead><tr><th>when</th><th>threshold</th><th>measured</th><th>limit</th><th>verdict</th></tr></thead>
<tbody>
${steadyStateRows(journal)}
</tbody></table>
<h2>Actions</h2>
<table id="actions"><thead><tr><th>step</th><th>trigger</th><th>started</th><th>reverted</th><th>status</th><th>what</th></tr></thead>
<tbody>
${actionRows(journal)}
</tbody></table>
${
  extras.previous
    ? `<h2>Previous runs</h2>
${extras.previous.length ? `<table id="previous-runs">${previousRows(journal, extras.previous)}</table>` : '<p id="previous-runs">none recorded before this one</p>'}`
    : ''
}
<script type="application/json" id="journal">${data}</script>
<script>${timelineChartScript()}</script>
</body></html>
`;
}
