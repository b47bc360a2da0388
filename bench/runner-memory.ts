/**
 * Does the drill runner's memory stay flat on a long drill? One drill at a high constant rate
 * against the embedded local stack (balancer + one sample backend, child processes: their memory
 * is not the runner's), the runner's RSS and heap sampled every few seconds in this process,
 * the first window after warm-up compared with the last.
 *
 *   npm run bench:memory                  # 10 min at 2,000 rps
 *   npm run bench:memory -- --short       # CI: 60 s at 500 rps, about 75 s in all
 *   npm run bench:memory -- --rate 1000 --minutes 2 --window 30
 *
 * Exits 1 when the last window's median RSS or heap (after a forced GC) exceeds the first
 * window's by more than its limit. On a machine too busy for the rate, requests queue in the
 * client and the memory they hold while in flight shows up as growth: report the achieved
 * rate (answered requests per second) next to the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { at, defineDrill, shell } from '../drills/define.ts';
import { runDrill } from '../drills/runner/run-drill.ts';
import { validateDrill } from '../drills/validate.ts';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    rate: { type: 'string' },
    minutes: { type: 'string' },
    window: { type: 'string' },
    'sample-every': { type: 'string', default: '5' },
    'limit-mb': { type: 'string' },
    'heap-limit-mb': { type: 'string' },
    json: { type: 'string' },
  },
});

const rate = Number(values.rate ?? (values.short ? 500 : 2000));
const minutes = Number(values.minutes ?? (values.short ? 1 : 10));
/** Seconds compared at each end (after the first `window` of warm-up). */
const windowS = Number(values.window ?? (values.short ? 15 : 60));
const sampleEveryMs = Number(values['sample-every']) * 1000;
/**
 * Allowed growth of the median RSS and heap between the first and the last window. RSS moves by
 * ±15 MB on its own (the allocator keeps freed pages); the heap after a GC holds within ±3 MB
 * when nothing is kept per request. Keeping every record costs ≥ 200 bytes a request: ≥ 4.5 MB
 * of heap over 45 s at 500 rps, ≥ 200 MB over 9 min at 2,000 rps.
 */
const limitMb = Number(values['limit-mb'] ?? 20);
const heapLimitMb = Number(values['heap-limit-mb'] ?? (values.short ? 4 : 10));
const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  s: number;
  rssMb: number;
  heapMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const dir = mkdtempSync(join(tmpdir(), 'faultline-runner-memory-'));
const methodMs = Math.max(1000, minutes * 60_000 - 2 * 1000);
const drill = validateDrill(
  defineDrill({
    name: 'runner-memory',
    description: 'constant load, one harmless step: the runner alone is measured',
    stack: { backends: [{ name: 'app1' }] },
    load: { rate, timeout: '5s', connections: 64 },
    steadyState: { duration: '1s', thresholds: [] },
    method: [at('1s', shell('true'), { as: 'noop' })],
    duration: methodMs,
    sla: ['errors<1000000 overall', 'p(99)<60s during noop'],
  }),
  join(dir, 'runner-memory.drill.ts'),
);

const samples: Sample[] = [];
const t0 = performance.now();
const sample = () => {
  gc?.();
  const m = process.memoryUsage();
  samples.push({ s: Math.round((performance.now() - t0) / 1000), rssMb: mb(m.rss), heapMb: mb(m.heapUsed) });
  const last = samples.at(-1) as Sample;
  process.stdout.write(`  t=${String(last.s).padStart(4)}s rss ${last.rssMb} MB heap ${last.heapMb} MB\n`);
};
const sampler = setInterval(sample, sampleEveryMs);
process.stdout.write(
  `runner memory: ${rate} rps for ${minutes} min, samples every ${sampleEveryMs / 1000}s${gc ? ' after gc' : ''}\n`,
);
let journal: Awaited<ReturnType<typeof runDrill>>['journal'];
try {
  ({ journal } = await runDrill(drill, {
    ledgerFile: join(dir, 'ledger.jsonl'),
    requestsFile: join(dir, 'requests.jsonl'),
  } as Parameters<typeof runDrill>[1]));
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
sample();

const end = samples.at(-1)?.s ?? 0;
const first = samples.filter((x) => x.s > windowS && x.s <= 2 * windowS);
const last = samples.filter((x) => x.s > end - windowS);
const firstRss = median(first.map((x) => x.rssMb));
const lastRss = median(last.map((x) => x.rssMb));
const firstHeap = median(first.map((x) => x.heapMb));
const lastHeap = median(last.map((x) => x.heapMb));
const growth = Math.round((lastRss - firstRss) * 10) / 10;
const heapGrowth = Math.round((lastHeap - firstHeap) * 10) / 10;
const flat = first.length > 0 && last.length > 0 && growth <= limitMb && heapGrowth <= heapLimitMb;
const elapsedS = journal.load.sent / rate || 1;
const answeredRps = Math.round((journal.load.sent - journal.load.errors) / elapsedS);
process.stdout.write(
  `${[
    `drill ${journal.status}: ${journal.load.sent} requests scheduled at ${rate} rps, ${journal.load.errors} failed (${journal.load.late} sent late): ${answeredRps} answered rps; p99 ${journal.load.latency.p99} ms`,
    `RSS   first window ${firstRss} MB, last window ${lastRss} MB: ${growth >= 0 ? '+' : ''}${growth} MB (limit +${limitMb} MB)`,
    `heap  first window ${firstHeap} MB, last window ${lastHeap} MB: ${heapGrowth >= 0 ? '+' : ''}${heapGrowth} MB (limit +${heapLimitMb} MB)`,
    flat ? 'FLAT: the runner holds no per-request state' : 'GROWING: the runner keeps state per request',
  ].join('\n')}\n`,
);
if (values.json) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    values.json,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), rate, minutes, load: journal.load, answeredRps, firstRss, lastRss, firstHeap, lastHeap, growth, heapGrowth, limitMb, heapLimitMb, samples }, null, 2)}\n`,
  );
}
process.exitCode = flat ? 0 : 1;
