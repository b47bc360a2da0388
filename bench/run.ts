/**
 * `npm run bench`: faultline against its peers on this machine, every figure next to the peer's
 * from the same run. Writes bench/results.json (with a `summary` and the targets reached) and
 * bench/results.md (the tables README shows).
 *
 *   npm run bench                     # 3 rounds of 10 s per front, then the load generator
 *   npm run bench -- --short          # CI: 2 rounds of 3 s
 *   npm run bench -- --only throughput --rounds 5
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchFailover } from './failover.ts';
import { direct } from './fronts/direct.ts';
import { faultlineDefaultsFront, faultlineFront } from './fronts/faultline.ts';
import { type Front, INSTALL_HINT, missingBinary } from './fronts/front.ts';
import { type FrontEvent, haproxy, haproxyWithEvents } from './fronts/haproxy.ts';
import { httpProxy3 } from './fronts/http-proxy-3.ts';
import { nginx, nginxWithEvents } from './fronts/nginx.ts';
import { benchLoadAccuracy } from './load-accuracy.ts';
import { benchMemory } from './memory.ts';
import { type BenchResults, summarise, targetsOf } from './results.ts';
import { failoverTable, loadAccuracyTable, memoryTable, throughputTable } from './tables.ts';
import { benchThroughput } from './throughput.ts';

const SECTIONS = ['throughput', 'failover', 'memory', 'load'] as const;
type Section = (typeof SECTIONS)[number];
const USAGE = `usage: npm run bench -- [--short] [--rounds N] [--seconds S] [--steady-seconds S] [--only ${SECTIONS.join(',')}]`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function options() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        short: { type: 'boolean' },
        rounds: { type: 'string' },
        seconds: { type: 'string' },
        only: { type: 'string' },
        'steady-seconds': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const short = values.short === true;
  const whole = (name: string, fallback: number, max: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max)
      fail(`--${name}: "${raw}" must be a whole number from 1 to ${max}`);
    return n;
  };
  const only = String(values.only ?? SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim());
  for (const s of only)
    if (!(SECTIONS as readonly string[]).includes(s))
      fail(`--only: "${s}" is not one of ${SECTIONS.join(', ')}`);
  return {
    short,
    rounds: whole('rounds', short ? 2 : 3, 20),
    seconds: whole('seconds', short ? 3 : 10, 600),
    steadySeconds: whole('steady-seconds', short ? 10 : 600, 3600),
    sections: new Set(only as Section[]),
  };
}

const opts = options();
const log = (line: string) => process.stdout.write(`${line}\n`);
const suiteStarted = Date.now();
const results: BenchResults = {
  measuredAt: new Date().toISOString(),
  machine: { cpus: availableParallelism(), loadAverageAtStart: loadavg()[0] ?? 0, node: process.version },
  options: {
    short: opts.short,
    rounds: opts.rounds,
    seconds: opts.seconds,
    steadySeconds: opts.steadySeconds,
    sections: [...opts.sections],
  },
  skipped: [],
};

async function measure(): Promise<void> {
  if (opts.sections.has('throughput')) {
    const wrkMissing = missingBinary('wrk');
    if (wrkMissing) fail(`the throughput bench needs wrk: ${wrkMissing}`);
    const fronts: Front[] = [];
    for (const front of [direct, faultlineFront(), nginx, haproxy, httpProxy3]) {
      const why = front.unavailable();
      if (why) {
        results.skipped.push({ front: front.name, why });
        log(`skipping ${front.name}: ${why}`);
      } else fronts.push(front);
    }
    log(
      `throughput: wrk -t1 -c50, ${opts.rounds} rounds × ${opts.seconds} s per front, order rotated, three sample backends`,
    );
    results.throughput = await benchThroughput({
      fronts,
      rounds: opts.rounds,
      seconds: opts.seconds,
      warmupSeconds: opts.short ? 1 : 2,
      connections: 50,
      log,
    });
  }

  if (opts.sections.has('failover')) {
    const events: { kind: string; server?: string; at: number }[] = [];
    const fronts = [
      {
        front: faultlineDefaultsFront((e) => events.push(e as (typeof events)[number])),
        events: () => events.splice(0),
      },
      ...[nginxWithEvents, haproxyWithEvents].flatMap((withEvents) => {
        const seen: FrontEvent[] = [];
        const front = withEvents((e) => seen.push(e));
        return front.unavailable() ? [] : [{ front, events: () => seen.splice(0) }];
      }),
    ];
    const timing = opts.short
      ? { durationMs: 12_000, faultAtMs: 3000, restoreAtMs: 8000 }
      : { durationMs: 20_000, faultAtMs: 5000, restoreAtMs: 12_000 };
    log(
      `failover: 500 requests/s for ${timing.durationMs / 1000} s, the fault at ${timing.faultAtMs / 1000} s, undone at ${timing.restoreAtMs / 1000} s`,
    );
    results.failover = await benchFailover({ fronts, rate: 500, ...timing, log });
  }

  if (opts.sections.has('memory')) {
    const wrkMissing = missingBinary('wrk');
    if (wrkMissing) fail(`the memory bench needs wrk: ${wrkMissing}`);
    const fronts = [faultlineFront(), nginx, haproxy].filter((f) => !f.unavailable());
    log(
      `memory: resident set at rest, with 1,000 idle keep-alive connections, and faultline before/after ${opts.steadySeconds} s of wrk -c50`,
    );
    results.memory = await benchMemory({ fronts, connections: 1000, steadySeconds: opts.steadySeconds, log });
  }

  if (opts.sections.has('load')) {
    log('load generator accuracy: 5 s per rate against one sample backend');
    results.loadAccuracy = await benchLoadAccuracy();
  }
}

try {
  await measure();
} catch (err) {
  // A front that would not start, wrk failing: one line, no stack.
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

results.summary = summarise(results, (Date.now() - suiteStarted) / 1000);
results.targets = targetsOf(results.summary);
const resultsJson = new URL('./results.json', import.meta.url);
writeFileSync(resultsJson, `${JSON.stringify(results, null, 2)}\n`);
const markdown = [
  `Measured ${results.measuredAt} (${results.machine.cpus} cores, load average ${results.machine.loadAverageAtStart.toFixed(2)} at the start, Node ${results.machine.node}).`,
  '',
  ...(results.throughput ? [throughputTable(results.throughput), ''] : []),
  ...(results.failover ? [failoverTable(results.failover), ''] : []),
  ...(results.memory ? [memoryTable(results.memory), ''] : []),
  ...(results.loadAccuracy ? [loadAccuracyTable(results.loadAccuracy), ''] : []),
  ...results.targets.map((t) => `- ${t.met === undefined ? '·' : t.met ? '✔' : '✘'} ${t.goal}: ${t.reached}`),
  ...results.skipped.map((s) => `- not measured: ${s.front} (${s.why})`),
].join('\n');
writeFileSync(new URL('./results.md', import.meta.url), `${markdown}\n`);
log('');
log(markdown);
log(`\nwritten: bench/results.json, bench/results.md (${Math.round((Date.now() - suiteStarted) / 1000)} s)`);
if (results.skipped.length > 0) log(`to measure every peer: ${INSTALL_HINT}`);
