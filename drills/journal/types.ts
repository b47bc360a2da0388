import type { BalancerEvent } from '../../balancer/index.ts';
import type { StackKind } from '../../stack/index.ts';
import type { TimeWindow } from '../recording.ts';
import type { SlaResult } from '../sla/types.ts';

/** How a run ended (Chaos Toolkit's statuses); `deviated` says separately whether SLAs held. */
export type RunStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';

export interface ActionRecord {
  /** The step name SLAs refer to. */
  name: string;
  kind: 'fault' | 'revert' | 'admin' | 'shell' | 'runbook';
  /** What was done where, one line (`SIGKILL app1 (pid 4242)`). */
  description: string;
  targets: string[];
  /** Offset from the method's start it was scheduled at, or the condition it waited for. */
  trigger: string;
  startedAt: number;
  endedAt: number;
  /** For faults held with `for`: when their revert began (as a revert step's `startedAt`). */
  revertedAt?: number;
  status: 'ok' | 'failed' | 'skipped';
  error?: string;
  /** Shell stdout/stderr, admin answers. */
  output?: string;
  /** A runbook step: the line of its block in the runbook, and where it failed. */
  line?: number;
  failedAt?: number;
  /** A runbook step: how it failed (exit-code, output-changed, command-not-found, timed-out). */
  failure?: string;
  /** A runbook step with `eventually`: how many times it ran. */
  attempts?: number;
  /** A leashed run: the action was described, not done ("would inject"). */
  leashed?: true;
}

/** What a runbook verification adds to the journal (the steps are `actions` of kind `runbook`). */
export interface RunbookRecord {
  /** The file name without `.md`. */
  name: string;
  file: string;
  title: string;
  rtoMs: number;
  /** `restored.when`, as written. */
  restoredWhen: string[];
  restoredForMs: number;
  /** When the fault the runbook recovers from was injected. */
  injectedAt: number;
  /** When the restored conditions had held over `restoredForMs`; null when they never did. */
  restoredAt: number | null;
  verdict: 'verified' | 'failed';
  /** Why it failed, naming the file and line. */
  reason?: string;
}

export interface RevertRecordResult {
  description: string;
  outcome: 'reverted' | 'nothing-to-do' | 'failed';
  error?: string;
  at: number;
}

/** Per-bucket figures for the timeline chart. */
export interface TimelineBucket {
  /** Bucket start on the shared clock. */
  t: number;
  requests: number;
  errors: number;
  /** p99 latency in ms of the requests in the bucket (0 when none). */
  p99: number;
  /** Successful requests per server. */
  servedBy: Record<string, number>;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Everything one drill run produced; every report is rendered from this alone. */
export interface Journal {
  version: 1;
  runId: string;
  drill: { name: string; description: string; file: string };
  /** The stack it ran on. */
  stack: StackKind;
  status: RunStatus;
  /** An SLA or the steady state after did not hold. */
  deviated: boolean;
  /** Why it failed, aborted or was interrupted. */
  reason?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** The wall-clock ms all other times in the journal are on. */
  clockOrigin: number;
  /** `warmup`: the load's ramp and hold before steady state; its requests are in no SLA window. */
  phases: { warmup?: TimeWindow; before?: TimeWindow; method?: TimeWindow; after?: TimeWindow };
  steadyState: { before: SlaResult[]; after: SlaResult[] };
  actions: ActionRecord[];
  sla: SlaResult[];
  reverts: RevertRecordResult[];
  load: {
    rate: number;
    sent: number;
    /** Of `sent`, the requests of the warm-up ramp (judged by no SLA). */
    warmupRequests?: number;
    /** Requests per second achieved after the warm-up (over the whole run when there was none). */
    achievedRps: number;
    errors: number;
    latency: LatencySummary;
    servedBy: Record<string, number>;
    /** Requests the client could not send on time (it fell behind the schedule by > 10ms). */
    late: number;
  };
  /** Bucket width of `timeline` in ms. */
  bucketMs: number;
  timeline: TimelineBucket[];
  events: BalancerEvent[];
  /** `requests.jsonl`, streamed during the run: how many records it holds and how many it lacks. */
  requestLog?: {
    file: string;
    written: number;
    /** Records the disk could not take in time (or a write error): SLAs still count them. */
    dropped: number;
    error?: string;
  };
  /** Present when the run verified a runbook. */
  runbook?: RunbookRecord;
  /** A leashed run: faults were recorded as "would inject" (ActionRecord.leashed), none injected. */
  leashed?: true;
}
