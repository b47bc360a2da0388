// The default lib of the root tsconfig already holds the DOM; this keeps the chart type-checked
// against it should the Node code ever narrow `lib`.
/// <reference lib="dom" />
// Browser entry: html.ts inlines this, compiled to one plain script, into every report.html.
import { type Chart, type ChartJournal, HEIGHT, WIDTH } from './layout.ts';
import { drawActionMarkers, drawEventMarkers, drawTimeTicks } from './markers.ts';
import { drawLatencyPanel, drawPhaseBands, drawRatePanel, drawSharePanel } from './panels.ts';

function readEmbeddedJournal(): ChartJournal {
  const text = document.getElementById('journal')?.textContent;
  if (!text) throw new Error('report.html has no embedded journal (#journal)');
  return JSON.parse(text) as ChartJournal;
}

function timelineSvg(): SVGSVGElement {
  const svg = document.getElementById('timeline');
  if (!(svg instanceof SVGSVGElement)) throw new Error('report.html has no <svg id="timeline">');
  return svg;
}

/** `data-drawn` tells a waiting browser test (or person) the chart is complete. */
function markDrawn(svg: SVGSVGElement, seriesDrawn: number): void {
  svg.setAttribute('data-series', String(seriesDrawn));
  svg.setAttribute('data-drawn', 'true');
}

function drawTimeline(svg: SVGSVGElement, journal: ChartJournal): void {
  const first = journal.timeline[0];
  const last = journal.timeline[journal.timeline.length - 1];
  if (!first || !last) {
    markDrawn(svg, 0);
    return;
  }
  const chart: Chart = { svg, journal, t0: first.t, t1: last.t + journal.bucketMs, seriesDrawn: 0 };
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  drawPhaseBands(chart);
  drawRatePanel(chart);
  drawLatencyPanel(chart);
  drawSharePanel(chart);
  drawActionMarkers(chart);
  drawEventMarkers(chart);
  drawTimeTicks(chart);
  markDrawn(svg, chart.seriesDrawn);
}

drawTimeline(timelineSvg(), readEmbeddedJournal());
