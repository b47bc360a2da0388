/** `npm run bench`: every benchmark, printed as a table and written to bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchLoadAccuracy } from './load-accuracy.ts';

const results = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(results, { recursive: true });

process.stdout.write('load generator accuracy: 5 s per rate against one sample backend\n');
const rows = await benchLoadAccuracy();
process.stdout.write(
  `${'generator'.padEnd(24)} ${'target'.padStart(7)} ${'achieved'.padStart(9)} ${'ratio'.padStart(6)} ${'lag p50'.padStart(8)} ${'lag p99'.padStart(9)}\n`,
);
for (const r of rows) {
  process.stdout.write(
    `${r.generator.padEnd(24)} ${String(r.target).padStart(7)} ${String(r.achieved).padStart(9)} ${r.ratio.toFixed(3).padStart(6)} ${`${r.medianLagMs}ms`.padStart(8)} ${`${r.p99LagMs}ms`.padStart(9)}\n`,
  );
}
const byRate = new Map<number, { ours?: number; peer?: number }>();
for (const r of rows) {
  const entry = byRate.get(r.target) ?? {};
  if (r.generator.startsWith('peer')) entry.peer = Math.abs(1 - r.ratio);
  else entry.ours = Math.abs(1 - r.ratio);
  byRate.set(r.target, entry);
}
for (const [rate, { ours, peer }] of byRate) {
  process.stdout.write(
    `  ${rate} rps: rate error faultline ${((ours ?? 0) * 100).toFixed(1)}% vs peer ${((peer ?? 0) * 100).toFixed(1)}%\n`,
  );
}
writeFileSync(
  `${results}load-accuracy.json`,
  `${JSON.stringify({ measuredAt: new Date().toISOString(), rows }, null, 2)}\n`,
);
