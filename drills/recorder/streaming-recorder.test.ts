import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentileOf } from '../load/latency-stats.ts';
import {
  finishedAt,
  isFailure,
  type RequestRecord,
  type TimeWindow,
  type WindowStats,
} from '../recording.ts';
import { evaluateSla, RECOVERY_BUCKET_MS, TOUCH_LOOKBACK_MS } from '../sla/evaluate.ts';
import { parseSla } from '../sla/parse.ts';
import type { SlaContext, StepTiming } from '../sla/types.ts';
import { StreamingRecorder } from './streaming-recorder.ts';

const TIMEOUT_MS = 400;
const HOLD_MS = 300;
const SERVERS = ['app1', 'app2', 'app3'];

interface Timed {
  at: number;
  apply: (recorder: StreamingRecorder) => void;
  record?: RequestRecord;
}

/** Replays a run on a fake clock: each record added when it finishes, each mark up to HOLD_MS late. */
function replay(records: RequestRecord[], marks: Array<{ at: number; seenAt: number }>) {
  let clock = 0;
  const recorder = new StreamingRecorder({ timeoutMs: TIMEOUT_MS, holdMs: HOLD_MS, now: () => clock });
  const timed: Timed[] = [
    ...records.map((r) => ({
      at: r.intended + r.latencyMs,
      apply: (x: StreamingRecorder) => x.add(r),
      record: r,
    })),
    ...marks.map((m) => ({ at: m.seenAt, apply: (x: StreamingRecorder) => x.mark(m.at) })),
  ].sort((a, b) => a.at - b.at);
  return { recorder, timed, setClock: (t: number) => (clock = t) };
}

/** The oracle: every figure computed straight from the records in the window, as SLAs did before. */
function statsOf(records: readonly RequestRecord[], w: TimeWindow): WindowStats {
  const rs = records.filter((r) => r.intended >= w.start && r.intended < w.end);
  const ok = rs.filter((r) => !isFailure(r));
  const countBy = (list: RequestRecord[]) => {
    const m = new Map<string, number>();
    for (const r of list) if (r.servedBy) m.set(r.servedBy, (m.get(r.servedBy) ?? 0) + 1);
    return m;
  };
  const firstOkEndBy = new Map<string, number>();
  for (const r of ok) {
    if (r.servedBy)
      firstOkEndBy.set(r.servedBy, Math.min(finishedAt(r), firstOkEndBy.get(r.servedBy) ?? Infinity));
  }
  const latencies = rs.map((r) => r.latencyMs);
  return {
    requests: rs.length,
    errors: rs.length - ok.length,
    latencySumMs: latencies.reduce((a, b) => a + b, 0),
    maxMs: latencies.length ? Math.max(...latencies) : 0,
    okBy: countBy(ok),
    answeredBy: countBy(rs),
    firstOkEndBy,
    percentile: (p) => percentileOf(latencies, p),
  };
}

function same(actual: WindowStats, expected: WindowStats): void {
  expect(actual.requests).toBe(expected.requests);
  expect(actual.errors).toBe(expected.errors);
  expect(new Map(actual.okBy)).toEqual(new Map(expected.okBy));
  expect(new Map(actual.answeredBy)).toEqual(new Map(expected.answeredBy));
  expect(new Map(actual.firstOkEndBy)).toEqual(new Map(expected.firstOkEndBy));
  expect(actual.maxMs).toBe(expected.maxMs);
  expect(actual.latencySumMs).toBeCloseTo(expected.latencySumMs, 6);
  for (const p of [50, 99, 99.9, 100]) expect(actual.percentile(p)).toBe(expected.percentile(p));
}

const recordArb = fc.record({
  gapMs: fc.double({ min: 0, max: 20, noNaN: true }),
  latencyMs: fc.double({ min: 0.01, max: TIMEOUT_MS, noNaN: true }),
  status: fc.constantFrom(200, 200, 200, 404, 500, 502, 0),
  server: fc.option(fc.constantFrom(...SERVERS), { nil: undefined }),
});

interface RecordSpec {
  gapMs: number;
  latencyMs: number;
  status: number;
  server: string | undefined;
}

function recordsFrom(specs: readonly RecordSpec[]): RequestRecord[] {
  let t = 1000;
  return specs.map((s) => {
    t += s.gapMs;
    return {
      intended: t,
      sent: t,
      latencyMs: s.latencyMs,
      method: 'GET',
      path: '/',
      status: s.status,
      ...(s.server && s.status !== 0 ? { servedBy: s.server } : {}),
    };
  });
}

describe('StreamingRecorder: windows on marks equal a full scan of the same records', () => {
  it('errors, counts per server, max, avg and percentiles, on random runs and random marks', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 400, size: 'max' }),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
          { maxLength: 8, size: 'max' },
        ),
        (specs, markSpecs) => {
          const records = recordsFrom(specs);
          const first = (records[0] as RequestRecord).intended;
          const span = (records.at(-1) as RequestRecord).intended - first + 1;
          // A mark is set up to HOLD_MS after its time (a step's end is timed after it acted).
          const marks = markSpecs.map(([pos, late]) => {
            const at = first - 10 + pos * (span + 20);
            return { at, seenAt: at + late * (HOLD_MS - 1) };
          });
          const { recorder, timed, setClock } = replay(records, marks);
          const added: RequestRecord[] = [];
          for (const [i, e] of timed.entries()) {
            setClock(e.at);
            e.apply(recorder);
            if (e.record) added.push(e.record);
            if (i % 25 !== 0) continue;
            // Mid-run: a recent window ("the last second" of abort conditions) at any boundary.
            const recent: TimeWindow = { start: e.at - HOLD_MS * 0.8, end: e.at - HOLD_MS * 0.1 };
            same(recorder.window(recent), statsOf(added, recent));
          }
          recorder.finish();
          expect(recorder.lateMarks).toBe(0);
          const bounds = [Number.NEGATIVE_INFINITY, ...marks.map((m) => m.at), Number.POSITIVE_INFINITY];
          for (const start of bounds) {
            for (const end of bounds) {
              if (!(end > start)) continue;
              same(recorder.window({ start, end }), statsOf(records, { start, end }));
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses a window that cuts through a segment instead of guessing', () => {
    const records = recordsFrom(
      Array.from({ length: 50 }, () => ({ gapMs: 10, latencyMs: 5, status: 200, server: 'app1' })),
    );
    const { recorder, timed, setClock } = replay(records, []);
    for (const e of timed) {
      setClock(e.at);
      e.apply(recorder);
    }
    recorder.finish();
    expect(() => recorder.window({ start: 1200, end: 1300 })).toThrow(/did not mark/);
    expect(recorder.window({ start: 0, end: 10_000 }).requests).toBe(50);
  });

  it('counts a mark set after requests beyond it were folded (older than holdMs) as late', () => {
    let clock = 0;
    const recorder = new StreamingRecorder({ timeoutMs: TIMEOUT_MS, holdMs: HOLD_MS, now: () => clock });
    for (let i = 0; i < 100; i++) {
      clock = 1000 + i * 10 + 5;
      recorder.add({ intended: 1000 + i * 10, sent: 0, latencyMs: 5, method: 'GET', path: '/', status: 200 });
    }
    recorder.mark(1200);
    expect(recorder.lateMarks).toBe(1);
    expect(() => recorder.window({ start: 1200, end: 3000 })).toThrow();
  });
});

describe('evaluateSla on the streaming recorder gives the verdicts of the full scan', () => {
  /** The synthetic run of evaluate.test.ts: crash kills app1 at 3000, restore at 6000. */
  function run(): RequestRecord[] {
    const requests: RequestRecord[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = i * 10;
      let servedBy = i % 2 === 0 ? 'app1' : 'app2';
      let status = 200;
      let latencyMs = 5 + (i % 7);
      if (t >= 3000 && t < 6000 && servedBy === 'app1') {
        if (t < 3200) {
          status = 502;
          latencyMs = 40;
        } else servedBy = 'app3';
      }
      requests.push({ intended: t, sent: t, latencyMs, method: 'GET', path: '/', status, servedBy });
    }
    return requests;
  }

  const steps: StepTiming[] = [
    {
      name: 'crash',
      aliases: [],
      targets: ['app1'],
      isFault: true,
      startedAt: 3000,
      endedAt: 3002,
      windowEnd: 6000,
    },
    {
      name: 'restore',
      aliases: [],
      targets: ['app1'],
      isFault: true,
      startedAt: 6000,
      endedAt: 6500,
      windowEnd: 8000,
    },
  ];
  const phases = {
    before: { start: 0, end: 2000 },
    method: { start: 2000, end: 8000 },
    after: { start: 8000, end: 10_000 },
  };
  const steadyState = [parseSla('error_rate==0'), parseSla('p(99)<20ms')];

  it('every SLA kind, including failover, recovery and touched traffic', () => {
    const records = run();
    const marks = [
      0,
      2000,
      8000,
      10_000,
      ...steps.flatMap((s) => [s.startedAt, s.startedAt - TOUCH_LOOKBACK_MS, s.endedAt]),
    ];
    const { recorder, timed, setClock } = replay(
      records,
      marks.map((at) => ({ at, seenAt: at })),
    );
    // The runner tracks recovery buckets from the crash as it starts, and cuts them at the end.
    timed.push({
      at: 3000,
      apply: (x) => x.trackBuckets(3000, RECOVERY_BUCKET_MS, [99]).cutAt(phases.after.end),
    });
    timed.sort((a, b) => a.at - b.at);
    for (const e of timed) {
      setClock(e.at);
      e.apply(recorder);
    }
    recorder.finish();
    const context = (requests: SlaContext['recording']['requests']): SlaContext => ({
      recording: { requests, events: [] },
      phases,
      steps,
      backups: ['app3'],
      steadyState,
    });
    const slas = [
      'errors==0 overall',
      'error_rate<0.1% during crash',
      'p(99)<30ms during crash',
      'p(50)<10ms during crash',
      'max<=40ms',
      'avg<6ms before',
      'requests==350 after restore',
      'rps>=99 before',
      'served_by(app3)>0 during crash',
      'served_by(app1)<10% during crash',
      'served_by(app1)>0 after restore',
      'failover<1s for crash',
      'recovery<1s for crash',
    ];
    for (const text of slas) {
      const streamed = evaluateSla(parseSla(text), context(recorder));
      const scanned = evaluateSla(parseSla(text), context(records));
      expect(streamed, text).toEqual(scanned);
    }
    expect(evaluateSla(parseSla('recovery<1s for crash'), context(recorder)).value).toBe(500);
  });
});
