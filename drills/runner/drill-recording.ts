import type { RequestsLogSummary } from '../recorder/requests-log.ts';
import { RequestsLog } from '../recorder/requests-log.ts';
import { StreamingRecorder } from '../recorder/streaming-recorder.ts';
import type { TimeGrid } from '../recorder/time-grid.ts';
import type { RequestRecord, TimeWindow } from '../recording.ts';
import { RECOVERY_BUCKET_MS, recoveryPercentiles, TOUCH_LOOKBACK_MS } from '../sla/evaluate.ts';
import { findStep } from '../sla/references.ts';
import type { DrillPlan, PlanStep } from '../validate.ts';

/**
 * A drill's requests as it runs: each one streamed to `requests.jsonl` (when a file is given)
 * and folded into the streaming recorder, with every window boundary the drill's SLAs can
 * name marked the moment it happens.
 */
export class DrillRecording {
  readonly recorder: StreamingRecorder;
  private log: RequestsLog | undefined;
  private readonly recoveryGrids: TimeGrid[] = [];
  private readonly recoveryAnchors: Set<string>;
  private closed: Promise<RequestsLogSummary | undefined> | undefined;

  constructor(
    private readonly drill: DrillPlan,
    private readonly bucketMs: number,
  ) {
    this.recorder = new StreamingRecorder({ timeoutMs: drill.load.timeoutMs });
    this.recoveryAnchors = recoveryAnchorsOf(drill);
  }

  /** Opens `requests.jsonl`; rejects when it cannot be written. */
  async open(file: string | undefined): Promise<void> {
    if (file) this.log = await RequestsLog.open(file);
  }

  readonly add = (record: RequestRecord): void => {
    this.log?.write(record);
    this.recorder.add(record);
  };

  /** The load started: the timeline counts from here, the steady-state window is known. */
  loadStarted(startedAt: number, before: TimeWindow): void {
    this.recorder.trackBuckets(startedAt, this.bucketMs, [99]);
    this.mark(before);
  }

  mark(w: TimeWindow | number): void {
    if (typeof w === 'number') this.recorder.mark(w);
    else {
      this.recorder.mark(w.start);
      this.recorder.mark(w.end);
    }
  }

  /** A step's start, end or revert, timed just now (method.ts `onTime`). */
  readonly stepTimed = (at: number, what: 'start' | 'end' | 'revert', step: PlanStep): void => {
    this.recorder.mark(at);
    if (what !== 'start') return;
    this.recorder.mark(at - TOUCH_LOOKBACK_MS);
    if (this.recoveryAnchors.has(step.name)) {
      const percentiles = recoveryPercentiles(this.drill.steadyState.thresholds);
      this.recoveryGrids.push(this.recorder.trackBuckets(at, RECOVERY_BUCKET_MS, percentiles));
    }
  };

  /** The run's last phase ends here: recovery counts nothing after it. */
  afterPhase(after: TimeWindow): void {
    this.mark(after);
    for (const g of this.recoveryGrids) g.cutAt(after.end);
  }

  /** The load is done: every request folded, `requests.jsonl` complete on disk. Idempotent. */
  close(): Promise<RequestsLogSummary | undefined> {
    this.closed ??= (async () => {
      this.recorder.finish();
      return this.log?.close();
    })();
    return this.closed;
  }
}

/** Steps a `recovery` SLA counts from (named, or the only fault step). */
function recoveryAnchorsOf(drill: DrillPlan): Set<string> {
  const faults = drill.steps.filter((s) => s.action.kind === 'fault');
  const anchors = new Set<string>();
  for (const sla of drill.sla) {
    if (sla.metric.kind !== 'recovery') continue;
    const w = sla.window;
    const step =
      w && 'step' in w ? findStep(drill.steps, w.step) : faults.length === 1 ? faults[0] : undefined;
    if (step) anchors.add(step.name);
  }
  return anchors;
}
