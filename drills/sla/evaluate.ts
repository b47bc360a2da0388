import { sourceOf } from '../recorder/records-source.ts';
import type { RequestSource, TimeWindow, WindowStats } from '../recording.ts';
import { findStep } from './references.ts';
import type { Sla, SlaContext, SlaResult, SlaUnit, StepTiming } from './types.ts';

export interface NamedWindow {
  name: string;
  start: number;
  end: number;
}

export const RECOVERY_BUCKET_MS = 500;
/** Did the fault's target serve anything this long before the fault? (else: it touched no traffic) */
export const TOUCH_LOOKBACK_MS = 2000;
const DETECTION_EVENTS = new Set(['server-down', 'ejected', 'breaker-open']);
const REQUEST_METRICS = new Set([
  'percentile',
  'avg',
  'max',
  'errors',
  'error_rate',
  'requests',
  'rps',
  'served_by',
]);

function requestsOf(ctx: SlaContext): RequestSource {
  return sourceOf(ctx.recording.requests);
}

function compare(value: number, op: Sla['op'], limit: number): boolean {
  const eps = 1e-9;
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit + eps;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit - eps;
    case '==':
      return Math.abs(value - limit) <= eps;
    case '!=':
      return Math.abs(value - limit) > eps;
  }
}

/** A request metric's value on a window's requests; undefined when there are none to measure. */
function requestMetric(sla: Sla, stats: WindowStats, w: TimeWindow): number | undefined {
  const m = sla.metric;
  const n = stats.requests;
  switch (m.kind) {
    case 'percentile':
      return n ? stats.percentile(m.p) : undefined;
    case 'avg':
      return n ? stats.latencySumMs / n : undefined;
    case 'max':
      return n ? stats.maxMs : undefined;
    case 'errors':
      return stats.errors;
    case 'error_rate':
      return n ? stats.errors / n : undefined;
    case 'requests':
      return n;
    case 'rps':
      return w.end > w.start ? n / ((w.end - w.start) / 1000) : undefined;
    case 'served_by': {
      const ok = n - stats.errors;
      const by = stats.okBy.get(m.server) ?? 0;
      if (!sla.share) return by;
      return ok ? by / ok : undefined;
    }
    default:
      return undefined;
  }
}

function formatValue(value: number, unit: SlaUnit, share: boolean): string {
  switch (unit) {
    case 'ms':
      return value < 10_000 ? `${value.toFixed(1)}ms` : `${(value / 1000).toFixed(2)}s`;
    case 'ratio':
      return `${(value * 100).toFixed(share ? 1 : 2)}%`;
    case 'rps':
      return `${value.toFixed(1)}/s`;
    case 'count':
      return String(Math.round(value * 100) / 100);
  }
}

function metricName(sla: Sla): string {
  const m = sla.metric;
  switch (m.kind) {
    case 'percentile':
      return `p(${m.p})`;
    case 'served_by':
      return `served_by(${m.server})`;
    case 'events':
      return `events(${m.event}${m.server ? `, ${m.server}` : ''})`;
    default:
      return m.kind;
  }
}

function result(
  sla: Sla,
  window: NamedWindow,
  value: number | null,
  inconclusive = false,
  why = '',
): SlaResult {
  const limitText = `${sla.op}${formatValue(sla.limit, sla.unit, sla.share)}`;
  const base = { source: sla.source, value, limit: sla.limit, unit: sla.unit, op: sla.op, window };
  if (inconclusive) {
    return {
      ...base,
      verdict: 'inconclusive',
      excess: 0,
      detail: `${metricName(sla)} inconclusive: ${why} (${window.name})`,
    };
  }
  if (value === null) {
    return {
      ...base,
      verdict: 'failed',
      excess: 0,
      detail: `${metricName(sla)} not observed${why ? `: ${why}` : ''}, limit ${limitText} (${window.name})`,
    };
  }
  const passed = compare(value, sla.op, sla.limit);
  const excess = passed ? 0 : Math.abs(value - sla.limit);
  const shown = formatValue(value, sla.unit, sla.share);
  const by = passed
    ? ''
    : `: ${['<', '<='].includes(sla.op) ? 'over' : ['>', '>='].includes(sla.op) ? 'under' : 'off'} by ${
        sla.unit === 'ratio' ? `${(excess * 100).toFixed(2)} pp` : formatValue(excess, sla.unit, sla.share)
      }`;
  return {
    ...base,
    verdict: passed ? 'passed' : 'failed',
    excess,
    detail: `${metricName(sla)} ${shown}, limit ${limitText}${by} (${window.name})`,
  };
}

/** A threshold on a fixed window (a steady-state phase, the last second for abort conditions). */
export function evaluateOn(sla: Sla, window: NamedWindow, ctx: SlaContext): SlaResult {
  if (sla.metric.kind === 'events') {
    return result(sla, window, countEvents(sla, ctx, window));
  }
  const stats = requestsOf(ctx).window(window);
  if (stats.requests === 0) return result(sla, window, null, true, 'no requests in the window');
  const value = requestMetric(sla, stats, window);
  return value === undefined
    ? result(sla, window, null, true, 'nothing to measure')
    : result(sla, window, value);
}

function countEvents(sla: Sla, ctx: SlaContext, w: NamedWindow): number {
  const m = sla.metric;
  if (m.kind !== 'events') return 0;
  return ctx.recording.events.filter(
    (e) =>
      e.kind === m.event &&
      e.at >= w.start &&
      e.at < w.end &&
      (!m.server || ('server' in e && e.server === m.server)),
  ).length;
}

function overallOf(ctx: SlaContext): NamedWindow {
  return { name: 'overall', start: ctx.phases.before.start, end: ctx.phases.after.end };
}

function stepOf(sla: Sla, ctx: SlaContext): StepTiming | undefined {
  const w = sla.window;
  if (w && 'step' in w) {
    const step = findStep(ctx.steps, w.step);
    if (!step) throw new Error(`step "${w.step}" never ran`);
    return step;
  }
  return undefined;
}

function windowOf(sla: Sla, ctx: SlaContext, step: StepTiming | undefined): NamedWindow {
  const w = sla.window;
  if (!w || w.kind === 'overall') return overallOf(ctx);
  if (w.kind === 'before') return { name: 'before', ...ctx.phases.before };
  const s = step as StepTiming;
  if (w.kind === 'after') return { name: `after ${w.step}`, start: s.endedAt, end: ctx.phases.after.end };
  return { name: `${w.kind} ${w.step}`, start: s.startedAt, end: s.windowEnd };
}

/** A fault that touched no traffic proves nothing (Chaos Toolkit): no failure in the window, target idle before. */
function touchedTraffic(step: StepTiming, stats: WindowStats, ctx: SlaContext): boolean {
  if (!step.isFault || step.targets.includes('balancer')) return true;
  if (stats.errors > 0) return true;
  const before = requestsOf(ctx).window({ start: step.startedAt - TOUCH_LOOKBACK_MS, end: step.startedAt });
  return step.targets.some((t) => (before.answeredBy.get(t) ?? 0) > 0);
}

/** Evaluates one SLA on the run it names (windows resolved from the steps as they ran). */
export function evaluateSla(sla: Sla, ctx: SlaContext): SlaResult {
  const k = sla.metric.kind;
  if (k === 'detection' || k === 'failover' || k === 'recovery') return faultMetric(sla, ctx);
  const step = stepOf(sla, ctx);
  const window = windowOf(sla, ctx, step);
  if (k === 'events') return result(sla, window, countEvents(sla, ctx, window));
  const stats = requestsOf(ctx).window(window);
  if (stats.requests === 0) return result(sla, window, null, true, 'no requests in the window');
  // `after` asks whether traffic came back, which a fault that hit nothing does not make moot.
  if (step && sla.window?.kind !== 'after' && !touchedTraffic(step, stats, ctx)) {
    return result(
      sla,
      window,
      null,
      true,
      `${step.name} touched no traffic (its target served nothing before it)`,
    );
  }
  const value = requestMetric(sla, stats, window);
  return value === undefined
    ? result(sla, window, null, true, 'nothing to measure')
    : result(sla, window, value);
}

function faultMetric(sla: Sla, ctx: SlaContext): SlaResult {
  const faults = ctx.steps.filter((s) => s.isFault);
  const anchor = stepOf(sla, ctx) ?? (faults.length === 1 ? faults[0] : undefined);
  if (!anchor) throw new Error(`${sla.metric.kind} needs a fault step`);
  const t = anchor.startedAt;
  const window: NamedWindow = { name: `for ${anchor.name}`, start: t, end: ctx.phases.after.end };
  switch (sla.metric.kind) {
    case 'detection': {
      let latest = 0;
      for (const target of anchor.targets) {
        const seen = ctx.recording.events.find(
          (e) => e.at >= t && DETECTION_EVENTS.has(e.kind) && 'server' in e && e.server === target,
        );
        if (!seen) return result(sla, window, null, false, `no server-down event for ${target}`);
        latest = Math.max(latest, seen.at - t);
      }
      return result(sla, window, latest);
    }
    case 'failover': {
      const since = requestsOf(ctx).window({ start: t, end: Number.POSITIVE_INFINITY });
      const ends = ctx.backups.flatMap((b) => {
        const end = since.firstOkEndBy.get(b);
        return end === undefined ? [] : [end];
      });
      const first = ends.length ? Math.min(...ends) : null;
      return result(
        sla,
        window,
        first === null ? null : first - t,
        false,
        first === null ? 'no standby answered' : '',
      );
    }
    case 'recovery':
      return result(sla, window, recoveryAfter(t, ctx));
    default:
      throw new Error(`${sla.metric.kind} is not a fault metric`);
  }
}

function recoveryAfter(t: number, ctx: SlaContext): number | null {
  const end = ctx.phases.after.end;
  const thresholds = ctx.steadyState.filter((s) => REQUEST_METRICS.has(s.metric.kind));
  const healthy = ({ window, stats }: { window: TimeWindow; stats: WindowStats }) => {
    if (stats.requests === 0) return false;
    if (thresholds.length === 0) return stats.errors === 0;
    return thresholds.every((s) => {
      const v = requestMetric(s, stats, window);
      return v !== undefined && compare(v, s.op, s.limit);
    });
  };
  const buckets = requestsOf(ctx).buckets(t, RECOVERY_BUCKET_MS, end);
  let from: number | null = null;
  for (let i = buckets.length - 1; i >= 0; i--) {
    const b = buckets[i] as (typeof buckets)[number];
    if (!healthy(b)) break;
    from = b.window.start;
  }
  return from === null ? null : from - t;
}

/** The percentiles recovery buckets must keep: those the steady-state thresholds use. */
export function recoveryPercentiles(steadyState: readonly Sla[]): number[] {
  return steadyState.flatMap((s) => (s.metric.kind === 'percentile' ? [s.metric.p] : []));
}
