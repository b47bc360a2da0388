import type { Journal, TimelineBucket } from '../../journal/types.ts';
import {
  appendSvg,
  type Chart,
  LEFT,
  PANEL_HEIGHT,
  PANEL_TOPS,
  RIGHT,
  TOP,
  WIDTH,
  xOf,
  yOf,
} from './layout.ts';

type Phase = keyof Journal['phases'];

const PHASES: readonly Phase[] = ['warmup', 'before', 'method', 'after'];

const PHASE_FILLS: Record<Phase, string> = {
  warmup: '#f3f3f3',
  before: '#eef6ee',
  method: '#fff4e5',
  after: '#eef3fb',
};

const SERVER_PALETTE = ['#0891b2', '#16a34a', '#ea580c', '#db2777', '#4f46e5', '#ca8a04'];

function phaseLabel(phase: Phase): string {
  return phase === 'method' || phase === 'warmup' ? phase : `steady ${phase}`;
}

/** A band per phase across all three panels, labelled above the first. */
export function drawPhaseBands(chart: Chart): void {
  for (const phase of PHASES) {
    const window = chart.journal.phases[phase];
    if (!window) continue;
    const start = xOf(chart, window.start);
    for (const top of PANEL_TOPS) {
      appendSvg(chart.svg, 'rect', {
        x: start,
        y: top,
        width: Math.max(0, xOf(chart, window.end) - start),
        height: PANEL_HEIGHT,
        fill: PHASE_FILLS[phase],
        class: 'phase',
      });
    }
    appendSvg(chart.svg, 'text', { x: start + 4, y: TOP - 8, class: 'label' }, phaseLabel(phase));
  }
}

function drawAxis(chart: Chart, top: number, max: number, unit: string, title: string): void {
  const { svg } = chart;
  const baseline = top + PANEL_HEIGHT;
  appendSvg(svg, 'line', { x1: LEFT, x2: WIDTH - RIGHT, y1: baseline, y2: baseline, stroke: '#999' });
  appendSvg(
    svg,
    'text',
    { x: LEFT - 6, y: top + 10, 'text-anchor': 'end', class: 'tick' },
    `${Math.round(max * 10) / 10}${unit}`,
  );
  appendSvg(svg, 'text', { x: LEFT - 6, y: baseline, 'text-anchor': 'end', class: 'tick' }, '0');
  appendSvg(svg, 'text', { x: LEFT + 4, y: top + 12, class: 'label' }, title);
}

/** One line through the middle of every bucket, `value` scaled so that `max` is the panel's top. */
function drawSeries(
  chart: Chart,
  top: number,
  max: number,
  value: (bucket: TimelineBucket) => number,
  colour: string,
  name: string,
): void {
  const { timeline, bucketMs } = chart.journal;
  const d = timeline
    .map((bucket, i) => {
      const x = xOf(chart, bucket.t + bucketMs / 2).toFixed(1);
      const y = yOf(top, max, value(bucket)).toFixed(1);
      return `${i === 0 ? 'M' : 'L'}${x} ${y}`;
    })
    .join(' ');
  const path = appendSvg(chart.svg, 'path', {
    d,
    fill: 'none',
    stroke: colour,
    'stroke-width': 1.6,
    class: 'series',
    'data-name': name,
  });
  appendSvg(path, 'title', {}, name);
  chart.seriesDrawn++;
}

/** Head room above the highest value, and never a zero scale. */
function scaleMax(values: readonly number[]): number {
  return Math.max(...values, 1) * 1.1;
}

export function drawRatePanel(chart: Chart): void {
  const { timeline, bucketMs } = chart.journal;
  const perSecond = 1000 / bucketMs;
  const rps = (bucket: TimelineBucket) => bucket.requests * perSecond;
  const errorsPerSecond = (bucket: TimelineBucket) => bucket.errors * perSecond;
  const max = scaleMax([...timeline.map(rps), ...timeline.map(errorsPerSecond)]);
  const top = PANEL_TOPS[0];
  drawAxis(chart, top, max, '/s', 'requests/s (blue), errors/s (red)');
  drawSeries(chart, top, max, rps, '#2563eb', 'rps');
  drawSeries(chart, top, max, errorsPerSecond, '#dc2626', 'errors/s');
}

export function drawLatencyPanel(chart: Chart): void {
  const p99 = (bucket: TimelineBucket) => bucket.p99;
  const max = scaleMax(chart.journal.timeline.map(p99));
  const top = PANEL_TOPS[1];
  drawAxis(chart, top, max, 'ms', 'p99 latency');
  drawSeries(chart, top, max, p99, '#7c3aed', 'p99');
}

function serversOf(timeline: readonly TimelineBucket[]): string[] {
  return [...new Set(timeline.flatMap((bucket) => Object.keys(bucket.servedBy)))].sort();
}

function shareOf(server: string): (bucket: TimelineBucket) => number {
  return (bucket) => {
    const served = Object.values(bucket.servedBy).reduce((sum, n) => sum + n, 0);
    return served ? (bucket.servedBy[server] ?? 0) / served : 0;
  };
}

/** Each server's share of the successful requests, with a legend entry in its colour. */
export function drawSharePanel(chart: Chart): void {
  const top = PANEL_TOPS[2];
  drawAxis(chart, top, 100, '%', 'share served by each server');
  serversOf(chart.journal.timeline).forEach((server, i) => {
    const colour = SERVER_PALETTE[i % SERVER_PALETTE.length] as string;
    drawSeries(chart, top, 1, shareOf(server), colour, `share ${server}`);
    appendSvg(
      chart.svg,
      'text',
      { x: WIDTH - RIGHT - 70, y: top + 14 + i * 14, style: `fill:${colour}`, class: 'label' },
      server,
    );
  });
}
