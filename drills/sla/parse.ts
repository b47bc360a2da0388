import { SlaSyntaxError } from './errors.ts';
import type { Sla, SlaMetric, SlaOperator, SlaUnit, SlaWindow } from './types.ts';

const KNOWN =
  'p(N), avg, max, errors, error_rate, requests, rps, served_by(server), detection, failover, recovery, events(kind[, server])';
const WINDOWS = 'overall, before, during <step>, after <step>, for <step>';
const NAME = /^[A-Za-z0-9_.-]+$/;
const SHAPE = /^\s*([a-z_]+(?:\([^)]*\))?)\s*(<=|>=|==|!=|<|>)\s*([0-9.]+)([a-z%]*)(?:\s+(.*?))?\s*$/i;
const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000 };

type MetricKind = 'duration' | 'ratio' | 'count' | 'rps' | 'served';

function metricOf(text: string, raw: string): { metric: SlaMetric; kind: MetricKind } {
  const call = /^([a-z_]+)\((.*)\)$/i.exec(raw);
  if (call) {
    const [, fn, args = ''] = call;
    const parts = args.split(',').map((a) => a.trim());
    if (fn === 'p') {
      const p = Number(args);
      if (args.trim() === '' || !Number.isFinite(p) || p <= 0 || p > 100)
        throw new SlaSyntaxError(text, 'percentile must be between 0 and 100');
      return { metric: { kind: 'percentile', p }, kind: 'duration' };
    }
    if (fn === 'served_by') {
      if (parts.length !== 1 || !NAME.test(parts[0] ?? ''))
        throw new SlaSyntaxError(text, 'served_by takes one server name: served_by(app3)');
      return { metric: { kind: 'served_by', server: parts[0] as string }, kind: 'served' };
    }
    if (fn === 'events') {
      const [event, server, ...rest] = parts;
      if (!event || !NAME.test(event) || rest.length > 0 || (server !== undefined && !NAME.test(server)))
        throw new SlaSyntaxError(
          text,
          'events takes an event kind and optionally a server: events(server-down, app2)',
        );
      return { metric: { kind: 'events', event, ...(server ? { server } : {}) }, kind: 'count' };
    }
    throw new SlaSyntaxError(text, `unknown metric "${fn}(...)" (known: ${KNOWN})`);
  }
  switch (raw) {
    case 'avg':
    case 'max':
    case 'detection':
    case 'failover':
    case 'recovery':
      return { metric: { kind: raw }, kind: 'duration' };
    case 'errors':
    case 'requests':
      return { metric: { kind: raw }, kind: 'count' };
    case 'error_rate':
      return { metric: { kind: 'error_rate' }, kind: 'ratio' };
    case 'rps':
      return { metric: { kind: 'rps' }, kind: 'rps' };
    default:
      throw new SlaSyntaxError(text, `unknown metric "${raw}" (known: ${KNOWN})`);
  }
}

function windowOf(text: string, raw: string): SlaWindow | undefined {
  if (raw === '') return undefined;
  if (raw === 'overall') return { kind: 'overall' };
  if (raw === 'before') return { kind: 'before' };
  const m = /^(during|after|for)\s+(\S+)$/.exec(raw);
  if (m && NAME.test(m[2] as string))
    return { kind: m[1] as 'during' | 'after' | 'for', step: m[2] as string };
  throw new SlaSyntaxError(text, `unknown window "${raw}" (use ${WINDOWS})`);
}

/** Parses `metric op limit [window]`, k6-style: `p(99)<250ms during crash`. */
export function parseSla(text: string): Sla {
  const m = SHAPE.exec(text);
  if (!m) {
    throw new SlaSyntaxError(text, 'expected `metric op limit [window]`, e.g. `p(99)<250ms during crash`');
  }
  const [, rawMetric = '', op = '', amount = '', rawUnit = '', rawWindow = ''] = m;
  const { metric, kind } = metricOf(text, rawMetric.replace(/\s+/g, ''));
  const value = Number(amount);
  if (!Number.isFinite(value)) throw new SlaSyntaxError(text, `"${amount}" is not a number`);
  const unitText = rawUnit.toLowerCase();
  let limit = value;
  let unit: SlaUnit;
  let share = false;
  switch (kind) {
    case 'duration': {
      const factor = DURATION_UNITS[unitText];
      if (factor === undefined)
        throw new SlaSyntaxError(
          text,
          `a ${metric.kind === 'percentile' ? 'latency' : metric.kind} limit needs a duration such as 250ms`,
        );
      limit = value * factor;
      unit = 'ms';
      break;
    }
    case 'ratio':
      if (unitText !== '' && unitText !== '%')
        throw new SlaSyntaxError(text, 'a rate limit is a fraction (0.001) or a percentage (0.1%)');
      limit = unitText === '%' ? value / 100 : value;
      if (limit > 1) throw new SlaSyntaxError(text, 'a rate cannot be above 100%');
      unit = 'ratio';
      break;
    case 'served':
      if (unitText !== '' && unitText !== '%')
        throw new SlaSyntaxError(text, 'served_by counts answers (>0) or a share (<10%)');
      share = unitText === '%';
      limit = share ? value / 100 : value;
      unit = share ? 'ratio' : 'count';
      break;
    case 'count':
      if (unitText !== '') throw new SlaSyntaxError(text, `${metric.kind} is a count: no unit`);
      unit = 'count';
      break;
    case 'rps':
      if (unitText !== '') throw new SlaSyntaxError(text, 'rps is requests per second: no unit');
      unit = 'rps';
      break;
  }
  const window = windowOf(text, rawWindow);
  return {
    source: text.trim(),
    metric,
    op: op as SlaOperator,
    limit,
    unit,
    share,
    ...(window ? { window } : {}),
  };
}
