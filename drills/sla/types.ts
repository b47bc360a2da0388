import type { Recording, TimeWindow } from '../recording.ts';

/** What an SLA measures. Latencies and durations in ms, rates as fractions, counts as counts. */
export type SlaMetric =
  /** `p(99)`: latency percentile of the requests in the window. */
  | { kind: 'percentile'; p: number }
  | { kind: 'avg' }
  | { kind: 'max' }
  /** `errors`: failed requests (no response or 5xx). */
  | { kind: 'errors' }
  /** `error_rate`: failed / all requests. */
  | { kind: 'error_rate' }
  | { kind: 'requests' }
  /** `rps`: requests per second sent in the window. */
  | { kind: 'rps' }
  /** `served_by(app3)`: successful requests answered by that server (a share when the limit has `%`). */
  | { kind: 'served_by'; server: string }
  /** `detection`: the fault → the balancer's server-down (or ejected, breaker-open) event for its target. */
  | { kind: 'detection' }
  /** `failover`: the fault → the first successful response from a standby server. */
  | { kind: 'failover' }
  /** `recovery`: the fault → the moment from which the steady-state thresholds hold again to the end. */
  | { kind: 'recovery' }
  /** `events(server-down, app2)`: how many balancer events of that kind (for that server). */
  | { kind: 'events'; event: string; server?: string };

export type SlaOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** Which part of the run an SLA looks at. Step names are method step names (see DrillStep.name). */
export type SlaWindow =
  | { kind: 'overall' }
  | { kind: 'before' }
  | { kind: 'during'; step: string }
  | { kind: 'after'; step: string }
  /** `for <step>`: the step the fault-relative metrics (detection, failover, recovery) count from. */
  | { kind: 'for'; step: string };

export type SlaUnit = 'ms' | 'ratio' | 'count' | 'rps';

export interface Sla {
  /** The text as written, e.g. `p(99)<250ms during crash`. */
  source: string;
  metric: SlaMetric;
  op: SlaOperator;
  /** Normalized: ms for durations, a fraction for `%` and rates, a count otherwise. */
  limit: number;
  unit: SlaUnit;
  /** `served_by(x)>10%`: compare the share, not the count. */
  share: boolean;
  /** Undefined when the text names none: `overall`, or the only fault step for fault metrics. */
  window?: SlaWindow;
}

/** A method step as it actually ran, on the shared clock. */
export interface StepTiming {
  /** The step's name (its `as`, else e.g. `kill-app1`). */
  name: string;
  /** Other names SLAs may use for it (the fault name, when unique in the drill). */
  aliases: string[];
  /** Servers it acted on. */
  targets: string[];
  /** True for fault steps (kill, pause, latency, ...): the ones detection/failover/recovery count from. */
  isFault: boolean;
  startedAt: number;
  endedAt: number;
  /** End of `during <step>`: its revert (held with `for`), else the next step's start, else the method's end. */
  windowEnd: number;
}

export interface SlaContext {
  recording: Recording;
  phases: { before: TimeWindow; method: TimeWindow; after: TimeWindow };
  steps: StepTiming[];
  /** The standby servers (backup tier): `failover` waits for one of them. */
  backups: string[];
  /** The drill's steady-state thresholds: `recovery` waits until they hold again. */
  steadyState: Sla[];
}

export type SlaVerdict = 'passed' | 'failed' | 'inconclusive';

export interface SlaResult {
  source: string;
  verdict: SlaVerdict;
  /** The measured value in the SLA's unit (a fraction for shares and rates); null when never observed. */
  value: number | null;
  limit: number;
  unit: SlaUnit;
  op: SlaOperator;
  /** The window it was measured on, resolved. */
  window: { name: string; start: number; end: number };
  /** How far past the limit (value − limit, absolute) when failed; 0 otherwise. */
  excess: number;
  /** One line for humans: `p(99) 312ms > 250ms limit by 62ms during crash`. */
  detail: string;
}
