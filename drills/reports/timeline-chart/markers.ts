import type { ActionRecord, Journal } from '../../journal/types.ts';
import { type Attributes, appendSvg, type Chart, HEIGHT, PANELS_BOTTOM, TOP, xOf } from './layout.ts';

type BalancerEvent = Journal['events'][number];

/** The event kinds marked on the chart; the others would only clutter it. */
const EVENT_COLOURS: Partial<Record<BalancerEvent['kind'], string>> = {
  'server-down': '#dc2626',
  ejected: '#ea580c',
  'breaker-open': '#ea580c',
  'server-up': '#16a34a',
  'failover-to-backup': '#7c3aed',
  failback: '#2563eb',
};

function drawVerticalLine(parent: Element, x: number, attributes: Attributes): void {
  appendSvg(parent, 'line', { x1: x, x2: x, y1: TOP, y2: PANELS_BOTTOM, ...attributes });
}

function drawActionMarker(chart: Chart, action: ActionRecord): void {
  const group = appendSvg(chart.svg, 'g', {
    class: 'action-marker',
    'data-name': action.name,
    'data-kind': action.kind,
  });
  const started = xOf(chart, action.startedAt);
  // A runbook's steps in blue, beside the drill's own actions in black; a failed one in red.
  const ok = action.kind === 'runbook' ? '#2563eb' : '#111';
  drawVerticalLine(group, started, {
    stroke: action.status === 'ok' ? ok : '#dc2626',
    'stroke-width': 1.2,
  });
  const label = action.line ? `${action.name} (line ${action.line})` : action.name;
  appendSvg(group, 'text', { x: started + 3, y: PANELS_BOTTOM + 14, class: 'label' }, label);
  appendSvg(group, 'title', {}, `${action.name}: ${action.description}`);
  if (action.revertedAt) {
    const reverted = xOf(chart, action.revertedAt);
    drawVerticalLine(group, reverted, { stroke: '#111', 'stroke-dasharray': '4 3' });
    appendSvg(
      group,
      'text',
      { x: reverted + 3, y: PANELS_BOTTOM + 26, class: 'label' },
      `${action.name} reverted`,
    );
  }
}

/** A line where each step ran (and a dashed one where it was reverted); skipped steps did nothing. */
export function drawActionMarkers(chart: Chart): void {
  for (const action of chart.journal.actions) {
    if (action.status !== 'skipped') drawActionMarker(chart, action);
  }
}

function eventSubject(event: BalancerEvent): string {
  if ('server' in event) return event.server;
  if ('backups' in event) return event.backups.join(', ');
  if ('primaries' in event) return event.primaries.join(', ');
  return '';
}

/** `4.62s server-down app1: reason`, the time from the chart's start. */
export function describeEvent(event: BalancerEvent, t0: number): string {
  const subject = eventSubject(event);
  const reason = 'reason' in event && event.reason ? `: ${event.reason}` : '';
  return `${((event.at - t0) / 1000).toFixed(2)}s ${event.kind}${subject ? ` ${subject}` : ''}${reason}`;
}

export function drawEventMarkers(chart: Chart): void {
  for (const event of chart.journal.events) {
    const colour = EVENT_COLOURS[event.kind];
    if (!colour || event.at < chart.t0 || event.at > chart.t1) continue;
    const group = appendSvg(chart.svg, 'g', { class: 'event-marker', 'data-kind': event.kind });
    const x = xOf(chart, event.at);
    drawVerticalLine(group, x, { stroke: colour, 'stroke-width': 0.8, 'stroke-dasharray': '2 3' });
    appendSvg(group, 'circle', { cx: x, cy: TOP + 4, r: 4, fill: colour });
    appendSvg(group, 'title', {}, describeEvent(event, chart.t0));
  }
}

/** Seconds since the chart's start, about ten labels whatever the run's length. */
export function drawTimeTicks(chart: Chart): void {
  const seconds = (chart.t1 - chart.t0) / 1000;
  const step = Math.max(1, Math.round((chart.t1 - chart.t0) / 10000));
  for (let s = 0; s <= seconds; s += step) {
    appendSvg(
      chart.svg,
      'text',
      { x: xOf(chart, chart.t0 + s * 1000), y: HEIGHT - 2, 'text-anchor': 'middle', class: 'tick' },
      `${s}s`,
    );
  }
}
