import type { FailoverRow } from './failover.ts';
import type { AccuracyRow } from './load-accuracy.ts';
import { OPEN_MODEL } from './load-accuracy.ts';
import type { MemoryRow } from './memory.ts';
import type { ThroughputRow } from './throughput.ts';

/** The keys the issue fixed; null where that part was not measured in this run. */
export interface BenchSummary {
  faultline_vs_nginx_rps: number | null;
  faultline_vs_http_proxy_3_rps: number | null;
  cpu_per_request_vs_nginx: number | null;
  crash_failed_requests: number | null;
  freeze_failed_requests: number | null;
  freeze_p99_ms: number | null;
  freeze_out_of_rotation_ms: number | null;
  /** faultline's resident set at rest, and with 1,000 idle keep-alive connections, MB. */
  rss_idle_mb: number | null;
  rss_1000_connections_mb: number | null;
  /** Per idle connection, faultline over nginx. */
  memory_per_connection_vs_nginx: number | null;
  /** faultline's resident set after the steady run minus before it, MB. */
  steady_rss_growth_mb: number | null;
  /** What faultline's open-model load generator achieved at 2,000 requests/s, over the target. */
  load_generator_2000_rps_ratio: number | null;
  suite_seconds: number;
}

export interface TargetVerdict {
  goal: string;
  reached: string;
  /** undefined: not measured in this run. */
  met?: boolean;
}

export interface BenchResults {
  measuredAt: string;
  machine: { cpus: number; loadAverageAtStart: number; node: string };
  options: { short: boolean; rounds: number; seconds: number; steadySeconds: number; sections: string[] };
  skipped: { front: string; why: string }[];
  throughput?: ThroughputRow[];
  failover?: FailoverRow[];
  memory?: MemoryRow[];
  loadAccuracy?: AccuracyRow[];
  summary?: BenchSummary;
  targets?: TargetVerdict[];
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round3 = (n: number | null) => (n === null ? null : Math.round(n * 1000) / 1000);

/** Per round, faultline's figure over the peer's; the median over the rounds. */
function ratioOf(rows: ThroughputRow[], peer: string, pick: (r: ThroughputRow) => number | undefined) {
  const ratios: number[] = [];
  for (const round of new Set(rows.map((r) => r.round))) {
    const ours = rows.find((r) => r.round === round && r.front === 'faultline');
    const theirs = rows.find((r) => r.round === round && r.front === peer);
    const a = ours && pick(ours);
    const b = theirs && pick(theirs);
    if (a !== undefined && b !== undefined && b > 0) ratios.push(a / b);
  }
  return round3(median(ratios));
}

export function summarise(results: BenchResults, suiteSeconds: number): BenchSummary {
  const rows = results.throughput ?? [];
  const ours = (scenario: FailoverRow['scenario']) =>
    results.failover?.find((r) => r.front === 'faultline' && r.scenario === scenario);
  const round = (n: number | undefined) => (n === undefined ? null : Math.round(n));
  return {
    faultline_vs_nginx_rps: ratioOf(rows, 'nginx', (r) => r.rps),
    faultline_vs_http_proxy_3_rps: ratioOf(rows, 'http-proxy-3', (r) => r.rps),
    cpu_per_request_vs_nginx: ratioOf(rows, 'nginx', (r) => r.cpuUsPerRequest),
    crash_failed_requests: ours('primary-crash')?.failed ?? null,
    freeze_failed_requests: ours('primary-freeze')?.failed ?? null,
    freeze_p99_ms: round(ours('primary-freeze')?.p99Ms),
    freeze_out_of_rotation_ms: round(
      ours('primary-freeze')?.outOfRotationMs ?? ours('primary-freeze')?.stuckUntilMs,
    ),
    ...memorySummary(results.memory ?? []),
    load_generator_2000_rps_ratio:
      results.loadAccuracy?.find((r) => r.generator === OPEN_MODEL && r.target === 2000)?.ratio ?? null,
    suite_seconds: Math.round(suiteSeconds),
  };
}

function memorySummary(rows: MemoryRow[]) {
  const ours = rows.find((r) => r.front === 'faultline');
  const nginx = rows.find((r) => r.front === 'nginx');
  const growth =
    ours?.steadyAfterMb !== undefined && ours.steadyBeforeMb !== undefined
      ? Math.round((ours.steadyAfterMb - ours.steadyBeforeMb) * 10) / 10
      : null;
  return {
    rss_idle_mb: ours?.idleRssMb ?? null,
    rss_1000_connections_mb: ours?.connectionsRssMb ?? null,
    memory_per_connection_vs_nginx:
      ours && nginx && nginx.perConnectionKb > 0
        ? round3(ours.perConnectionKb / nginx.perConnectionKb)
        : null,
    steady_rss_growth_mb: growth,
  };
}

function target(
  goal: string,
  value: number | null,
  met: (v: number) => boolean,
  show: (v: number) => string = String,
): TargetVerdict {
  return value === null
    ? { goal, reached: 'not measured in this run' }
    : { goal, reached: show(value), met: met(value) };
}

/** Each target of the bench against what this run reached. */
export function targetsOf(s: BenchSummary): TargetVerdict[] {
  return [
    target(
      'rps ≥ 0.5× nginx',
      s.faultline_vs_nginx_rps,
      (v) => v >= 0.5,
      (v) => `${v}×`,
    ),
    target(
      'rps ≥ 1.5× bare http-proxy-3',
      s.faultline_vs_http_proxy_3_rps,
      (v) => v >= 1.5,
      (v) => `${v}×`,
    ),
    target(
      'CPU per request ≤ 3× nginx',
      s.cpu_per_request_vs_nginx,
      (v) => v <= 3,
      (v) => `${v}×`,
    ),
    target('primary SIGKILL: 0 failed requests', s.crash_failed_requests, (v) => v === 0),
    target('frozen primary: 0 failed requests', s.freeze_failed_requests, (v) => v === 0),
    target(
      'frozen primary: p99 over the freeze ≤ 1 s',
      s.freeze_p99_ms,
      (v) => v <= 1000,
      (v) => `${v} ms`,
    ),
    target(
      'frozen primary: out of rotation ≤ 1.5 s',
      s.freeze_out_of_rotation_ms,
      (v) => v <= 1500,
      (v) => `${v} ms`,
    ),
    target(
      'load generator holds 2,000 rps within 1 %',
      s.load_generator_2000_rps_ratio,
      (v) => Math.abs(v - 1) <= 0.01,
      (v) => `${v}× of 2,000`,
    ),
  ];
}
