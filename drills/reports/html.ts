import type { Journal } from '../journal/types.ts';
import type { SlaResult } from '../sla/types.ts';
import { escapeXml as escapeHtml } from './junit.ts';

/** Draws the timeline from the embedded journal: plain SVG, no library, no network. */
const CHART_SCRIPT = `
(function () {
  var j = JSON.parse(document.getElementById('journal').textContent);
  var svg = document.getElementById('timeline');
  var NS = 'http://www.w3.org/2000/svg';
  var W = 1000, L = 56, R = 16, PANEL = 130, GAP = 26, TOP = 24;
  var b = j.timeline, bucket = j.bucketMs;
  if (!b.length) { svg.setAttribute('data-drawn', 'true'); svg.setAttribute('data-series', '0'); return; }
  var t0 = b[0].t, t1 = b[b.length - 1].t + bucket;
  var x = function (t) { return L + ((t - t0) / (t1 - t0)) * (W - L - R); };
  var H = TOP + 3 * PANEL + 2 * GAP + 30;
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    (parent || svg).appendChild(e);
    return e;
  }
  var panels = [0, 1, 2].map(function (i) { return TOP + i * (PANEL + GAP); });
  var phaseColors = { warmup: '#f3f3f3', before: '#eef6ee', method: '#fff4e5', after: '#eef3fb' };
  ['warmup', 'before', 'method', 'after'].forEach(function (p) {
    var w = j.phases[p];
    if (!w) return;
    panels.forEach(function (top) {
      el('rect', { x: x(w.start), y: top, width: Math.max(0, x(w.end) - x(w.start)), height: PANEL, fill: phaseColors[p], class: 'phase' });
    });
    el('text', { x: x(w.start) + 4, y: TOP - 8, class: 'label' }, null, p === 'method' || p === 'warmup' ? p : 'steady ' + p);
  });
  var series = 0;
  function line(top, max, values, color, name) {
    var d = values.map(function (v, i) {
      return (i ? 'L' : 'M') + x(b[i].t + bucket / 2).toFixed(1) + ' ' + (top + PANEL - (v / max) * PANEL).toFixed(1);
    }).join(' ');
    var p = el('path', { d: d, fill: 'none', stroke: color, 'stroke-width': 1.6, class: 'series', 'data-name': name });
    el('title', {}, p, name);
    series++;
  }
  function axis(top, max, unit, title) {
    el('line', { x1: L, x2: W - R, y1: top + PANEL, y2: top + PANEL, stroke: '#999' });
    el('text', { x: L - 6, y: top + 10, 'text-anchor': 'end', class: 'tick' }, null, (Math.round(max * 10) / 10) + unit);
    el('text', { x: L - 6, y: top + PANEL, 'text-anchor': 'end', class: 'tick' }, null, '0');
    el('text', { x: L + 4, y: top + 12, class: 'label' }, null, title);
  }
  var perSecond = 1000 / bucket;
  var rps = b.map(function (k) { return k.requests * perSecond; });
  var eps = b.map(function (k) { return k.errors * perSecond; });
  var maxRate = Math.max.apply(null, rps.concat(eps).concat([1])) * 1.1;
  axis(panels[0], maxRate, '/s', 'requests/s (blue), errors/s (red)');
  line(panels[0], maxRate, rps, '#2563eb', 'rps');
  line(panels[0], maxRate, eps, '#dc2626', 'errors/s');
  var p99 = b.map(function (k) { return k.p99; });
  var maxP99 = Math.max.apply(null, p99.concat([1])) * 1.1;
  axis(panels[1], maxP99, 'ms', 'p99 latency');
  line(panels[1], maxP99, p99, '#7c3aed', 'p99');
  var servers = [];
  b.forEach(function (k) { Object.keys(k.servedBy).forEach(function (s) { if (servers.indexOf(s) < 0) servers.push(s); }); });
  servers.sort();
  var palette = ['#0891b2', '#16a34a', '#ea580c', '#db2777', '#4f46e5', '#ca8a04'];
  axis(panels[2], 100, '%', 'share served by each server');
  servers.forEach(function (s, si) {
    line(panels[2], 1, b.map(function (k) {
      var ok = 0; for (var n in k.servedBy) ok += k.servedBy[n];
      return ok ? (k.servedBy[s] || 0) / ok : 0;
    }), palette[si % palette.length], 'share ' + s);
    el('text', { x: W - R - 70, y: panels[2] + 14 + si * 14, style: 'fill:' + palette[si % palette.length], class: 'label' }, null, s);
  });
  var bottom = panels[2] + PANEL;
  j.actions.forEach(function (a) {
    if (a.status === 'skipped') return;
    var g = el('g', { class: 'action-marker', 'data-name': a.name });
    el('line', { x1: x(a.startedAt), x2: x(a.startedAt), y1: TOP, y2: bottom, stroke: a.status === 'ok' ? '#111' : '#dc2626', 'stroke-width': 1.2 }, g);
    el('text', { x: x(a.startedAt) + 3, y: bottom + 14, class: 'label' }, g, a.name);
    el('title', {}, g, a.name + ': ' + a.description);
    if (a.revertedAt) {
      el('line', { x1: x(a.revertedAt), x2: x(a.revertedAt), y1: TOP, y2: bottom, stroke: '#111', 'stroke-dasharray': '4 3' }, g);
      el('text', { x: x(a.revertedAt) + 3, y: bottom + 26, class: 'label' }, g, a.name + ' reverted');
    }
  });
  var colors = { 'server-down': '#dc2626', 'ejected': '#ea580c', 'breaker-open': '#ea580c', 'server-up': '#16a34a', 'failover-to-backup': '#7c3aed', 'failback': '#2563eb' };
  function eventText(e) {
    var who = e.server || (e.backups && e.backups.join(', ')) || (e.primaries && e.primaries.join(', ')) || '';
    return ((e.at - t0) / 1000).toFixed(2) + 's ' + e.kind + (who ? ' ' + who : '') + (e.reason ? ': ' + e.reason : '');
  }
  j.events.forEach(function (e) {
    if (!colors[e.kind] || e.at < t0 || e.at > t1) return;
    var g = el('g', { class: 'event-marker', 'data-kind': e.kind });
    el('line', { x1: x(e.at), x2: x(e.at), y1: TOP, y2: bottom, stroke: colors[e.kind], 'stroke-width': 0.8, 'stroke-dasharray': '2 3' }, g);
    el('circle', { cx: x(e.at), cy: TOP + 4, r: 4, fill: colors[e.kind] }, g);
    el('title', {}, g, eventText(e));
  });
  for (var s = 0; s <= (t1 - t0) / 1000; s += Math.max(1, Math.round((t1 - t0) / 10000))) {
    el('text', { x: x(t0 + s * 1000), y: H - 2, 'text-anchor': 'middle', class: 'tick' }, null, s + 's');
  }
  svg.setAttribute('data-series', String(series));
  svg.setAttribute('data-drawn', 'true');
})();
`;

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
        `<tr><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.trigger)}</td><td>${at(a.startedAt)}</td><td>${a.revertedAt ? at(a.revertedAt) : ''}</td><td class="${a.status === 'ok' ? 'passed' : 'failed'}">${a.status}</td><td>${escapeHtml(a.error ?? a.description)}${a.output ? `<br><small>${escapeHtml(a.output)}</small>` : ''}</td></tr>`,
    )
    .join('\n');
}

/** One self-contained HTML file: tables plus a timeline chart drawn in the page from the embedded journal. */
export function renderHtml(journal: Journal): string {
  const data = JSON.stringify(journal).replace(/</g, '\\u003c');
  const l = journal.load;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>faultline: ${escapeHtml(journal.drill.name)} ${escapeHtml(journal.runId)}</title>
<style>${STYLE}</style></head>
<body>
<header id="summary">
<h1>${escapeHtml(journal.drill.name)} — <span class="status-${journal.status}">${journal.status}</span>${journal.deviated ? ' <span class="failed">deviated</span>' : ''}</h1>
<div class="meta">${escapeHtml(journal.drill.description)}</div>
<dl>
<dt>status</dt><dd class="status-${journal.status}">${journal.status}</dd>
<dt>deviated</dt><dd>${journal.deviated ? 'yes: an SLA or the steady state after did not hold' : 'no'}</dd>
<dt>duration</dt><dd>${(journal.durationMs / 1000).toFixed(1)} s</dd>
<dt>target</dt><dd>${journal.target}</dd>
<dt>run</dt><dd>${escapeHtml(journal.runId)} · ${escapeHtml(journal.startedAt)}</dd>
<dt>load</dt><dd>${l.sent} requests at ${l.achievedRps}/s (target ${l.rate}/s), ${l.errors} failed, p50 ${l.latency.p50} ms, p99 ${l.latency.p99} ms</dd>
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
<script type="application/json" id="journal">${data}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
