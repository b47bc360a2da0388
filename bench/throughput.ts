/**
 * Throughput of each front over the same three sample backends: wrk on one thread with 50
 * keep-alive connections, each front started fresh and warmed up, in several rounds whose
 * order rotates (so no front always runs first on a cool machine or last on a hot one).
 * Every figure is also reported as a ratio to nginx in the same round.
 */
import { availableParallelism } from 'node:os';
import { type BackendProcess, killAllBackends, spawnBackend } from '../backends/spawn.ts';
import { freePort } from '../core/net/ports.ts';
import type { BenchPool, Front } from './fronts/front.ts';
import { machineCpuMs, treeCpuMs } from './proc-cpu.ts';
import { runWrk, type WrkResult } from './wrk.ts';

export interface ThroughputRow extends WrkResult {
  front: string;
  round: number;
  /** The front's CPU time (its whole process tree) per answered request; undefined for direct. */
  cpuUsPerRequest: number | undefined;
  /** The whole machine's busy share over the run (1 = every core busy). */
  machineBusy: number;
  /** Ratios to nginx in the same round; undefined where nginx did not run. */
  rpsVsNginx?: number;
  cpuVsNginx?: number;
}

export interface ThroughputPlan {
  fronts: Front[];
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  log(line: string): void;
}

/** The pool the throughput runs use: three equal primaries, http checks every second. */
export function throughputPool(backends: BackendProcess[]): BenchPool {
  return {
    servers: backends.map((b) => ({ name: b.name, port: b.port })),
    health: { path: '/health', intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 2 },
    responseTimeoutMs: 2000,
    connectTimeoutMs: 1000,
    retries: 2,
  };
}

export async function benchThroughput(plan: ThroughputPlan): Promise<ThroughputRow[]> {
  const backends = await Promise.all(['app1', 'app2', 'app3'].map((name) => spawnBackend(name)));
  const pool = throughputPool(backends);
  const rows: ThroughputRow[] = [];
  try {
    for (let round = 0; round < plan.rounds; round++) {
      const order = plan.fronts.map((_, i) => plan.fronts[(i + round) % plan.fronts.length] as Front);
      plan.log(`  round ${round + 1}/${plan.rounds}: ${order.map((f) => f.name).join(' → ')}`);
      const inRound: ThroughputRow[] = [];
      for (const front of order) {
        const running = await front.start(pool, await freePort());
        try {
          await runWrk(running.url, { connections: plan.connections, seconds: plan.warmupSeconds });
          const cpuBefore = running.pid ? treeCpuMs(running.pid) : 0;
          const machineBefore = machineCpuMs();
          const started = Date.now();
          const result = await runWrk(running.url, { connections: plan.connections, seconds: plan.seconds });
          const wallMs = Date.now() - started;
          const machineBusy = (machineCpuMs() - machineBefore) / wallMs / availableParallelism();
          const cpuMs = running.pid ? treeCpuMs(running.pid) - cpuBefore : undefined;
          const row: ThroughputRow = {
            ...result,
            front: front.name,
            round: round + 1,
            cpuUsPerRequest: cpuMs === undefined ? undefined : (cpuMs * 1000) / Math.max(1, result.requests),
            machineBusy,
          };
          inRound.push(row);
          plan.log(
            `    ${front.name.padEnd(14)} ${Math.round(row.rps).toString().padStart(6)} rps  p50 ${row.p50Ms.toFixed(2)} ms  p99 ${row.p99Ms.toFixed(2)} ms  ${row.cpuUsPerRequest === undefined ? '' : `${row.cpuUsPerRequest.toFixed(0)} µs CPU/req`}${row.errors ? `  ${row.errors} errors` : ''}`,
          );
        } finally {
          await running.stop();
        }
      }
      const nginx = inRound.find((r) => r.front === 'nginx');
      for (const row of inRound) {
        if (nginx) {
          row.rpsVsNginx = row.rps / nginx.rps;
          if (row.cpuUsPerRequest !== undefined && nginx.cpuUsPerRequest)
            row.cpuVsNginx = row.cpuUsPerRequest / nginx.cpuUsPerRequest;
        }
        rows.push(row);
      }
    }
  } finally {
    await killAllBackends();
  }
  return rows;
}
