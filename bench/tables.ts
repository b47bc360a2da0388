import type { FailoverRow } from './failover.ts';
import type { AccuracyRow } from './load-accuracy.ts';
import type { MemoryRow } from './memory.ts';
import { median } from './results.ts';
import type { ThroughputRow } from './throughput.ts';

const fixed = (n: number | null | undefined, digits: number) =>
  n === null || n === undefined ? '—' : n.toFixed(digits);

/** One line per front: medians over the rounds; ratios are medians of the per-round ratios. */
export function throughputTable(rows: ThroughputRow[]): string {
  const fronts = [...new Set(rows.map((r) => r.front))];
  const lines = [
    '| front | rps | vs nginx | p50 ms | p99 ms | proxy CPU µs/req | CPU vs nginx | errors |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const front of fronts) {
    const of = rows.filter((r) => r.front === front);
    const m = (pick: (r: ThroughputRow) => number | undefined) =>
      median(of.flatMap((r) => (pick(r) === undefined ? [] : [pick(r) as number])));
    lines.push(
      `| ${front} | ${fixed(
        m((r) => r.rps),
        0,
      )} | ${fixed(
        m((r) => r.rpsVsNginx),
        2,
      )} | ${fixed(
        m((r) => r.p50Ms),
        2,
      )} | ${fixed(
        m((r) => r.p99Ms),
        2,
      )} | ${fixed(
        m((r) => r.cpuUsPerRequest),
        0,
      )} | ${fixed(
        m((r) => r.cpuVsNginx),
        2,
      )} | ${of.reduce((s, r) => s + r.errors, 0)} |`,
    );
  }
  return lines.join('\n');
}

/** Resident memory of each front's process tree (nginx: master and worker). */
export function memoryTable(rows: MemoryRow[]): string {
  return [
    '| front | RSS at rest MB | with 1,000 idle keep-alive connections MB | held | per connection KB | steady run | RSS before → after MB |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.front} | ${r.idleRssMb} | ${r.connectionsRssMb} | ${r.held}/${r.connections} | ${r.perConnectionKb} | ${
          r.steadySeconds === undefined ? '—' : `${r.steadySeconds} s, ${r.steadyRequests} requests`
        } | ${r.steadyBeforeMb === undefined ? '—' : `${r.steadyBeforeMb} → ${r.steadyAfterMb}`} |`,
    ),
  ].join('\n');
}

export function loadAccuracyTable(rows: AccuracyRow[]): string {
  return [
    '| load generator | target rps | achieved | ratio | send lag p50 | p99 |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.generator} | ${r.target} | ${r.achieved} | ${r.ratio.toFixed(3)} | ${r.medianLagMs} ms | ${r.p99LagMs} ms |`,
    ),
  ].join('\n');
}

const ms = (n: number | undefined) => (n === undefined ? '—' : `${Math.round(n)}`);

/** One line per scenario and front, as measured on the client side. */
export function failoverTable(rows: FailoverRow[]): string {
  return [
    "| scenario | front | failed | p99 during ms | max during ms | stuck on it until ms | out of rotation ms (the front's log) | recovery ms | rps held |",
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.front} | ${r.failed} | ${ms(r.p99Ms)} | ${ms(r.maxMs)} | ${ms(r.stuckUntilMs)} | ${ms(r.outOfRotationMs)} | ${ms(r.recoveryMs)} | ${Math.round(r.achievedRps)} |`,
    ),
  ].join('\n');
}
