import { percentileOf } from '../load/latency-stats.ts';
import { finishedAt, isFailure, type RequestRecord } from '../recording.ts';
import { findStep } from './references.ts';
import type { Sla, SlaContext, SlaResult, SlaUnit, StepTiming } from './types.ts';

export interface NamedWindow {
  name: string;
  start: number;
  end: number;
}

const RECOVERY_BUCKET_MS = 500;
/** Did the fault's target serve anything this long before the fault? (else: it touched no traffic) */
const TOUCH_LOOKBACK_MS = 2000;
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

function inWindow(requests: readonly RequestRecord[], w: NamedWindow): RequestRecord[] {
  return requests.filter((r) => r.intended >= w.start && r.intended < w.end);
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

/** A request metric's value on a set of requests; undefined when there are none to measure. */
function requestMetric(sla: Sla, requests: readonly RequestRecord[], w: NamedWindow): number | undefined {
  const m = sla.metric;
  const latencies = () => requests.map((r) => r.latencyMs);
  switch (m.kind) {
    case 'percentile':
      return requests.length ? percentileOf(latencies(), m.p) : undefined;
    case 'avg':
      return requests.length ? latencies().reduce((a, b) => a + b, 0) / requests.length : undefined;
    case 'max':
      return requests.length ? Math.max(...latencies()) : undefined;
    case 'errors':
      return requests.filter(isFailure).length;
    case 'error_rate':
      return requests.length ? requests.filter(isFailure).length / requests.length : undefined;
    case 'requests':
      return requests.length;
    case 'rps':
      return w.end > w.start ? requests.length / ((w.end - w.start) / 1000) : undefined;
    case 'served_by': {
      const ok = requests.filter((r) => !isFailure(r));
      const by = ok.filter((r) => r.servedBy === m.server).length;
      if (!sla.share) return by;
      return ok.length ? by / ok.length : undefined;
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
  const requests = inWindow(ctx.recording.requests, window);
  if (requests.length === 0) return result(sla, window, null, true, 'no requests in the window');
  const value = requestMetric(sla, requests, window);
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
function touchedTraffic(step: StepTiming, requests: readonly RequestRecord[], ctx: SlaContext): boolean {
  if (!step.isFault || step.targets.includes('balancer')) return true;
  if (requests.some(isFailure)) return true;
  return ctx.recording.requests.some(
    (r) =>
      r.intended >= step.startedAt - TOUCH_LOOKBACK_MS &&
      r.intended < step.startedAt &&
      r.servedBy !== undefined &&
      step.targets.includes(r.servedBy),
  );
}

/** Evaluates one SLA on the run it names (windows resolved from the steps as they ran). */
export function evaluateSla(sla: Sla, ctx: SlaContext): SlaResult {
  const k = sla.metric.kind;
  if (k === 'detection' || k === 'failover' || k === 'recovery') return faultMetric(sla, ctx);
  const step = stepOf(sla, ctx);
  const window = windowOf(sla, ctx, step);
  if (k === 'events') return result(sla, window, countEvents(sla, ctx, window));
  const requests = inWindow(ctx.recording.requests, window);
  if (requests.length === 0) return result(sla, window, null, true, 'no requests in the window');
  // `after` asks whether traffic came back, which a fault that hit nothing does not make moot.
  if (step && sla.window?.kind !== 'after' && !touchedTraffic(step, requests, ctx)) {
    return result(
      sla,
      window,
      null,
      true,
      `${step.name} touched no traffic (its target served nothing before it)`,
    );
  }
  const value = requestMetric(sla, requests, window);
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
      const first = ctx.recording.requests
        .filter(
          (r) =>
            r.intended >= t && !isFailure(r) && r.servedBy !== undefined && ctx.backups.includes(r.servedBy),
        )
        .reduce<number | null>((min, r) => Math.min(min ?? Number.POSITIVE_INFINITY, finishedAt(r)), null);
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
  const healthy = (w: NamedWindow) => {
    const requests = inWindow(ctx.recording.requests, w);
    if (requests.length === 0) return false;
    if (thresholds.length === 0) return !requests.some(isFailure);
    return thresholds.every((s) => {
      const v = requestMetric(s, requests, w);
      return v !== undefined && compare(v, s.op, s.limit);
    });
  };
  const buckets: NamedWindow[] = [];
  for (let s = t; end - s >= RECOVERY_BUCKET_MS / 2; s += RECOVERY_BUCKET_MS) {
    buckets.push({ name: 'bucket', start: s, end: Math.min(end, s + RECOVERY_BUCKET_MS) });
  }
  let from: number | null = null;
  for (let i = buckets.length - 1; i >= 0; i--) {
    const b = buckets[i] as NamedWindow;
    if (!healthy(b)) break;
    from = b.start;
  }
  return from === null ? null : from - t;
}
