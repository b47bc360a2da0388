import { type BalancerEvent, describeEvent } from '../../balancer/index.ts';
import { LocalStack, SAMPLE_STACK } from '../../chaos/targets/local-stack.ts';
import { type LoadResult, runLoad } from '../../drills/load/http-load.ts';

interface Step {
  at: number;
  label: string;
  run: (stack: LocalStack) => unknown;
}

/** The preview drill: crash, freeze, lose all primaries, recover — under constant load. */
const STEPS: Step[] = [
  { at: 2000, label: 'SIGKILL app1 (weight 3)', run: (s) => s.backend('app1').kill() },
  { at: 4000, label: 'restart app1', run: (s) => s.restart('app1') },
  { at: 6000, label: 'SIGSTOP app2 (freeze)', run: (s) => s.backend('app2').freeze() },
  { at: 8000, label: 'SIGCONT app2', run: (s) => s.backend('app2').thaw() },
  {
    at: 9500,
    label: 'SIGKILL app1 and app2 (all primaries)',
    run: (s) => Promise.all([s.backend('app1').kill(), s.backend('app2').kill()]),
  },
  {
    at: 11_500,
    label: 'restart app1 and app2',
    run: (s) => Promise.all([s.restart('app1'), s.restart('app2')]),
  },
];

const DURATION_MS = 14_000;
const RATE = 100;

export interface PreviewOutcome {
  ok: boolean;
  results: LoadResult[];
  events: BalancerEvent[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export async function runFailoverPreview(write: (line: string) => void): Promise<PreviewOutcome> {
  write(
    'starting the local stack: app1 (weight 3), app2, app3 (backup) behind the balancer, each a process...',
  );
  const stack = await LocalStack.start({
    backends: SAMPLE_STACK,
    config: { timeouts: { responseHeaders: '1s' } },
  });
  const events: BalancerEvent[] = [];
  const t0 = performance.timeOrigin + performance.now();
  const rel = (at: number) => `${((at - t0) / 1000).toFixed(2).padStart(6)}s`;
  const unsubscribe = stack.subscribe((e) => {
    events.push(e);
    write(`${rel(e.at)}  balancer  ${describeEvent(e)}`);
  });
  const stepTimes = new Map<string, number>();
  try {
    write(`balancer on ${stack.url} (pid ${stack.balancerProcess?.pid}), admin on ${stack.adminUrl}`);
    write(`load: ${RATE} req/s for ${DURATION_MS / 1000}s, GET / and POST /orders\n`);
    const pending: Promise<unknown>[] = [];
    let next = 0;
    const results = await runLoad({
      url: stack.url,
      rate: RATE,
      durationMs: DURATION_MS,
      timeoutMs: 5000,
      requests: [{ path: '/' }, { method: 'POST', path: '/orders', body: '{"item":"drill"}' }],
      onTick: (elapsed) => {
        while (next < STEPS.length && (STEPS[next] as Step).at <= elapsed) {
          const step = STEPS[next++] as Step;
          const at = performance.timeOrigin + performance.now();
          stepTimes.set(step.label, at);
          write(`${rel(at)}  fault     ${step.label}`);
          pending.push(Promise.resolve(step.run(stack)));
        }
      },
    });
    await Promise.all(pending);
    return summarize(results, events, stepTimes, write);
  } finally {
    unsubscribe();
    await stack.stop();
  }
}

function summarize(
  results: LoadResult[],
  events: BalancerEvent[],
  stepTimes: Map<string, number>,
  write: (line: string) => void,
): PreviewOutcome {
  const failed = results.filter((r) => r.status === 0 || r.status >= 500);
  const failedGets = failed.filter((r) => r.method === 'GET');
  const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const served: Record<string, number> = {};
  for (const r of results) if (r.servedBy) served[r.servedBy] = (served[r.servedBy] ?? 0) + 1;
  const detection = (step: string, server: string) => {
    const at = stepTimes.get(step);
    const down = events.find(
      (e) => e.kind === 'server-down' && e.server === server && at !== undefined && e.at >= at,
    );
    return at !== undefined && down ? `${Math.round(down.at - at)}ms` : 'not seen';
  };
  const allDownAt = stepTimes.get('SIGKILL app1 and app2 (all primaries)');
  const failover = events.find(
    (e) => e.kind === 'failover-to-backup' && allDownAt !== undefined && e.at >= allDownAt,
  );
  const failback = events.find(
    (e) => e.kind === 'failback' && failover !== undefined && e.seq > failover.seq,
  );
  const ok = failedGets.length === 0 && failover !== undefined && failback !== undefined;

  write('\nsummary');
  write(
    `  requests         ${results.length} (${failed.length} failed: ${failedGets.length} GET, ${failed.length - failedGets.length} POST)`,
  );
  write(
    `  latency          p50 ${percentile(latencies, 50).toFixed(1)}ms  p99 ${percentile(latencies, 99).toFixed(1)}ms  max ${percentile(latencies, 100).toFixed(1)}ms`,
  );
  write(
    `  served by        ${Object.entries(served)
      .map(([k, v]) => `${k} ${((100 * v) / results.length).toFixed(1)}%`)
      .join(', ')}`,
  );
  write(
    `  detection        crash of app1: ${detection('SIGKILL app1 (weight 3)', 'app1')}, freeze of app2: ${detection('SIGSTOP app2 (freeze)', 'app2')}`,
  );
  write(
    `  failover         ${failover && allDownAt !== undefined ? `to ${failover.kind === 'failover-to-backup' ? failover.backups.join(', ') : ''} ${Math.round(failover.at - allDownAt)}ms after all primaries died` : 'not seen'}`,
  );
  write(`  failback         ${failback ? 'seen' : 'not seen'}`);
  if (failed.length > 0) {
    const byError: Record<string, number> = {};
    for (const f of failed)
      byError[`${f.method} ${f.error ?? f.status}`] =
        (byError[`${f.method} ${f.error ?? f.status}`] ?? 0) + 1;
    write(
      `  failures         ${Object.entries(byError)
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ')}`,
    );
    write(
      '                   (a POST the backend had already received when it died cannot be replayed safely)',
    );
  }
  write(
    `\n${ok ? 'PASS' : 'FAIL'}: ${ok ? 'no GET failed, the standby took over and traffic failed back' : 'see above'}`,
  );
  return { ok, results, events };
}
