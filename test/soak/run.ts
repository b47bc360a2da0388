/**
 * `npm run soak`: the balancer (a child process of the local stack, with a toxic proxy in front
 * of each backend) under steady load for a long time while faults cycle through the backends.
 * Its RSS and live heap after a full GC (through its inspector, on loopback) are sampled and must
 * stay flat; its open fds, counted at rest before and after the load, must come back; no 2xx answer may carry a body of the wrong length. Exit 0 when all held, 1 when not, 2 on a bad command line.
 *
 *   npm run soak                          # 10 minutes at 300 requests/s
 *   npm run soak -- --duration 60s        # the CI variant
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Ledger } from '../../chaos/ledger.ts';
import { ChaosSession } from '../../chaos/session.ts';
import { formatDuration, parseDuration } from '../../core/duration.ts';
import { LocalStack } from '../../stack/local/local-stack.ts';
import { BALANCER_TARGET, SAMPLE_STACK } from '../../stack/sample.ts';
import { cycleFaults } from './fault-cycle.ts';
import { judgeFdsAtRest, judgeFlatness } from './flatness.ts';
import { HeapProbe } from './heap-probe.ts';
import { type ProcessSample, sampleProcess, settledFds } from './process-sampler.ts';
import { runSteadyLoad } from './steady-load.ts';

const USAGE = 'usage: npm run soak -- [--duration 10m] [--rate 300] [--sample-every 5s] [--report FILE]';

function fail(message: string, code: number): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(code);
}

function options() {
  let parsed: ReturnType<typeof parseArgs<{ options: Record<string, { type: 'string' }> }>>;
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string' },
        rate: { type: 'string' },
        'sample-every': { type: 'string' },
        report: { type: 'string' },
      },
      strict: true,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`, 2);
  }
  const v = parsed.values as Record<string, string | undefined>;
  const duration = parseDuration(v.duration ?? '10m');
  if (duration === undefined || duration < 30_000)
    fail(`--duration: "${v.duration}" must be a duration of at least 30s (e.g. 60s, 10m)\n${USAGE}`, 2);
  const sampleEvery = parseDuration(v['sample-every'] ?? '');
  const rate = Number(v.rate ?? 300);
  if (!Number.isInteger(rate) || rate < 1 || rate > 5000)
    fail(`--rate: "${v.rate}" must be a whole number of requests per second from 1 to 5000\n${USAGE}`, 2);
  if (v['sample-every'] !== undefined && (sampleEvery === undefined || sampleEvery < 200))
    fail(`--sample-every: "${v['sample-every']}" must be a duration of at least 200ms\n${USAGE}`, 2);
  return {
    durationMs: duration,
    rate,
    // At least 40 samples, so each judged quarter has several.
    sampleEveryMs: sampleEvery ?? Math.min(5000, Math.floor(duration / 40)),
    report: v.report ?? join('reports', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

const opts = options();
const log = (line: string) => process.stdout.write(`${line}\n`);
const workDir = mkdtempSync(join(tmpdir(), 'faultline-soak-'));
log(
  `soak: ${formatDuration(opts.durationMs)} at ${opts.rate} requests/s, faults cycling through app1 and app2`,
);

const stack = await LocalStack.start({ backends: SAMPLE_STACK, proxies: true, balancer: 'process' });
let exitCode = 1;
let probe: HeapProbe | undefined;
try {
  // The balancer again, with its inspector on loopback: the probe reads its live heap after GC.
  const balancer = await stack.restart(BALANCER_TARGET, { NODE_OPTIONS: '--inspect=127.0.0.1:0' });
  probe = await HeapProbe.connect(balancer.output().stderr);
  const session = new ChaosSession(new Ledger(join(workDir, 'ledger.jsonl')), stack.targets);
  // Idle keep-alive sockets: the balancer's clients after 5 s, its upstream agent's after 4 s.
  const atRest = { stableMs: 3000, timeoutMs: 20_000 };
  const fdsBefore = await settledFds(balancer.pid, atRest);
  const started = Date.now();
  const samples: ProcessSample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const sample = sampleProcess(balancer.pid, Date.now() - started);
      sample.liveHeapBytes = await (probe as HeapProbe).liveHeapBytes();
      samples.push(sample);
      if (samples.length % 12 === 0) {
        const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
        log(
          `  ${formatDuration(sample.atMs)}: RSS ${mib(sample.rssBytes)}, live ${mib(sample.liveHeapBytes)}, ${sample.openFds} fds`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, opts.sampleEveryMs));
    }
  })();

  const load = runSteadyLoad({
    url: stack.url,
    rate: opts.rate,
    durationMs: opts.durationMs,
    maxInflight: 500,
    timeoutMs: 10_000,
  });
  const faults = await cycleFaults(session, {
    untilMs: started + opts.durationMs - 5000,
    settleMs: 2000,
    log,
  });
  const tally = await load.done;
  sampling = false;
  await sampler;
  const fdsAfter = await settledFds(balancer.pid, atRest);

  // Warm-up: the first fifth (JIT, connection pools filling), at most a minute. V8 grows its old
  // generation through the first minutes before full collections settle it, so a short run
  // judges RSS for gross growth only (a leak of kilobytes per request); fds are judged alike.
  const short = opts.durationMs < 5 * 60_000;
  const verdict = judgeFlatness(samples, {
    warmupMs: Math.min(60_000, Math.floor(opts.durationMs / 5)),
    rssGrowthBytes: (short ? 64 : 16) * 2 ** 20,
    rssGrowthRatio: short ? 0.5 : 0.2,
    liveHeapGrowthBytes: 4 * 2 ** 20,
    liveHeapGrowthRatio: 0.15,
  });
  const fdVerdict = judgeFdsAtRest(
    fdsBefore.fds,
    fdsAfter.fds,
    10,
    Math.max(...samples.map((s) => s.openFds)),
  );
  verdict.lines.push(...fdVerdict.lines);
  verdict.ok &&= fdVerdict.ok;
  const after = await fetch(`${stack.url}/`);
  await after.arrayBuffer();
  const problems = [
    ...verdict.lines.filter((l) => l.endsWith('GROWING')),
    ...(tally.bodyMismatches > 0
      ? [`${tally.bodyMismatches} answers echoed a body of the wrong length (data loss)`]
      : []),
    ...(after.status !== 200 ? [`after the soak GET / answered ${after.status}`] : []),
    ...faults.problems,
  ];
  log(
    `load: ${tally.sent} sent, ${tally.ok} ok, ${tally.skipped} skipped (stack behind), statuses ${JSON.stringify(tally.statuses)}, errors ${JSON.stringify(tally.errors)}`,
  );
  for (const line of verdict.lines) log(line);
  mkdirSync(join(opts.report, '..'), { recursive: true });
  writeFileSync(
    opts.report,
    `${JSON.stringify({ options: opts, tally, faults, verdict, fdsAtRest: { before: fdsBefore, after: fdsAfter }, samples }, null, 2)}\n`,
  );
  log(`samples and verdict: ${opts.report}`);
  if (problems.length > 0) {
    for (const p of problems) log(`FAIL: ${p}`);
  } else {
    log('PASS: RSS and live memory flat, open fds back to the idle count, no body lost');
    exitCode = 0;
  }
} catch (err) {
  process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  probe?.close();
  await stack.stop();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
