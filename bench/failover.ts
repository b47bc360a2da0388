/**
 * The failover scorecard: the sample pool (app1 weight 3, app2, app3 the standby) behind
 * faultline (its default config), nginx and HAProxy (each with its best practical failover
 * settings, generated from the same pool), open-model load at a fixed rate, one fault at
 * `faultAtMs` undone at `restoreAtMs`. Failures, latency and recovery are measured on the
 * client side, the same way for every front: x-served-by names the answering server (faultline
 * sets it; the peers' configs copy the backend's x-backend-instance into it). When the faulted
 * server left rotation comes from each front's own word: faultline's events, HAProxy's
 * "Server pool/app1 is DOWN" and nginx's "upstream server temporarily disabled" log lines.
 */
import { type BackendProcess, killAllBackends, respawnBackend, spawnBackend } from '../backends/spawn.ts';
import { freePort } from '../core/net/ports.ts';
import { percentileOf } from '../drills/load/latency-stats.ts';
import { startLoad } from '../drills/load/open-model.ts';
import type { RequestRecord } from '../drills/recording.ts';
import type { BenchPool, Front } from './fronts/front.ts';

export interface FailoverScenario {
  name: 'primary-crash' | 'primary-freeze' | 'primaries-down';
  /** The servers the fault hits. */
  targets: string[];
  inject(backend: BackendProcess): Promise<void> | void;
  /** Undoes it; returns the backend as it runs afterwards. */
  restore(backend: BackendProcess): Promise<BackendProcess> | BackendProcess;
}

export const SCENARIOS: FailoverScenario[] = [
  {
    name: 'primary-crash',
    targets: ['app1'],
    inject: (b) => b.kill(),
    restore: (b) => respawnBackend(b),
  },
  {
    name: 'primary-freeze',
    targets: ['app1'],
    inject: (b) => b.freeze(),
    restore: (b) => {
      b.thaw();
      return b;
    },
  },
  {
    name: 'primaries-down',
    targets: ['app1', 'app2'],
    inject: (b) => b.kill(),
    restore: (b) => respawnBackend(b),
  },
];

export interface FailoverRow {
  front: string;
  scenario: FailoverScenario['name'];
  requests: number;
  /** Transport errors, timeouts and 5xx answers over the whole run. */
  failed: number;
  /** Over requests sent while the fault was on. */
  p99Ms: number;
  maxMs: number;
  /**
   * The last request sent during the fault that was stuck (latency over `stuckMs`), as ms
   * after the fault: until then the front still routed requests to the faulted server. A crash
   * refuses connections, which cost no time: nothing is stuck, so undefined.
   */
  stuckUntilMs: number | undefined;
  /** From the front's own events or log: the faulted server left rotation. */
  outOfRotationMs: number | undefined;
  /** First answer from a restored server after the restore, in ms. */
  recoveryMs: number | undefined;
  /** The rate the load generator held (sent / duration). */
  achievedRps: number;
}

export interface FailoverPlan {
  fronts: { front: Front; events?: () => { kind: string; server?: string; at: number }[] }[];
  rate: number;
  durationMs: number;
  faultAtMs: number;
  restoreAtMs: number;
  log(line: string): void;
}

const STUCK_FLOOR_MS = 250;

export function scoreRun(
  records: readonly RequestRecord[],
  startedAt: number,
  plan: Pick<FailoverPlan, 'faultAtMs' | 'restoreAtMs' | 'durationMs'>,
  targets: string[],
): Omit<FailoverRow, 'front' | 'scenario' | 'outOfRotationMs'> {
  const at = (r: RequestRecord) => r.intended - startedAt;
  const failed = records.filter((r) => r.status === 0 || r.status >= 500).length;
  const before = records.filter((r) => at(r) < plan.faultAtMs);
  const during = records.filter((r) => at(r) >= plan.faultAtMs && at(r) < plan.restoreAtMs);
  const baseline = percentileOf(
    before.map((r) => r.latencyMs),
    99,
  );
  const stuckMs = Math.max(STUCK_FLOOR_MS, 10 * baseline);
  const stuck = during.filter((r) => r.latencyMs > stuckMs);
  const lastStuck = stuck.length > 0 ? Math.max(...stuck.map(at)) - plan.faultAtMs : undefined;
  const back = records
    .filter((r) => at(r) >= plan.restoreAtMs && r.servedBy && targets.includes(r.servedBy))
    .map(at);
  return {
    requests: records.length,
    failed,
    p99Ms: percentileOf(
      during.map((r) => r.latencyMs),
      99,
    ),
    maxMs: Math.max(0, ...during.map((r) => r.latencyMs)),
    stuckUntilMs: lastStuck,
    recoveryMs: back.length > 0 ? Math.min(...back) - plan.restoreAtMs : undefined,
    achievedRps: records.length / (plan.durationMs / 1000),
  };
}

async function runOne(
  entry: FailoverPlan['fronts'][number],
  scenario: FailoverScenario,
  plan: FailoverPlan,
): Promise<FailoverRow> {
  const names = ['app1', 'app2', 'app3'];
  const backends = new Map<string, BackendProcess>();
  for (const name of names) backends.set(name, await spawnBackend(name));
  const pool: BenchPool = {
    servers: [
      { name: 'app1', port: (backends.get('app1') as BackendProcess).port, weight: 3 },
      { name: 'app2', port: (backends.get('app2') as BackendProcess).port },
      { name: 'app3', port: (backends.get('app3') as BackendProcess).port, backup: true },
    ],
    health: { path: '/health', intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 2 },
    responseTimeoutMs: 2000,
    connectTimeoutMs: 1000,
    retries: 2,
  };
  const running = await entry.front.start(pool, await freePort());
  try {
    // Let the health checks see every server up before the load starts.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const load = startLoad({
      url: running.url,
      rate: plan.rate,
      maxDurationMs: plan.durationMs,
      timeoutMs: 10_000,
      connections: 4096,
    });
    const startedAt = load.startedAt;
    const faultTimer = setTimeout(() => {
      for (const t of scenario.targets) void scenario.inject(backends.get(t) as BackendProcess);
    }, plan.faultAtMs);
    const restoreTimer = setTimeout(() => {
      for (const t of scenario.targets) {
        void Promise.resolve(scenario.restore(backends.get(t) as BackendProcess)).then((b) =>
          backends.set(t, b),
        );
      }
    }, plan.restoreAtMs);
    const records = await load.done;
    clearTimeout(faultTimer);
    clearTimeout(restoreTimer);
    const events = entry.events?.() ?? [];
    const left = events.find(
      (e) =>
        ['server-down', 'ejected', 'breaker-open'].includes(e.kind) &&
        e.server !== undefined &&
        scenario.targets.includes(e.server) &&
        e.at >= startedAt + plan.faultAtMs,
    );
    const row: FailoverRow = {
      front: entry.front.name,
      scenario: scenario.name,
      ...scoreRun(records, startedAt, plan, scenario.targets),
      outOfRotationMs: left ? Math.round(left.at - startedAt - plan.faultAtMs) : undefined,
    };
    return row;
  } finally {
    await running.stop();
    for (const b of backends.values()) b.thaw();
    await killAllBackends();
  }
}

export async function benchFailover(plan: FailoverPlan): Promise<FailoverRow[]> {
  const rows: FailoverRow[] = [];
  for (const scenario of SCENARIOS) {
    for (const entry of plan.fronts) {
      const row = await runOne(entry, scenario, plan);
      rows.push(row);
      const ms = (n: number | undefined) => (n === undefined ? '—' : `${Math.round(n)} ms`);
      plan.log(
        `  ${scenario.name.padEnd(15)} ${row.front.padEnd(10)} failed ${String(row.failed).padStart(4)}  p99 ${ms(row.p99Ms)}  max ${ms(row.maxMs)}  stuck until ${ms(row.stuckUntilMs)}  out of rotation ${ms(row.outOfRotationMs)}  recovery ${ms(row.recoveryMs)}  (${Math.round(row.achievedRps)} rps)`,
      );
    }
  }
  return rows;
}
