/**
 * `npm run bench:profile`: where the balancer's CPU goes. Three sample backends, the balancer
 * under `node --cpu-prof` with the bench's config, wrk for `--seconds` (default 10), then the
 * profile's heaviest functions by self time and by inclusive time. The .cpuprofile file opens
 * in Chrome DevTools or speedscope (a flame graph).
 *
 *   npm run bench:profile -- [--seconds 10] [--top 25] [--out reports/balancer.cpuprofile]
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { killAllBackends, spawnBackend } from '../backends/spawn.ts';
import { freePort } from '../core/net/ports.ts';
import { PACKAGE_ROOT, packagePath } from '../core/paths.ts';
import { faultlineConfig } from './fronts/faultline.ts';
import { missingBinary, scratchDir, spawnFront } from './fronts/front.ts';
import { throughputPool } from './throughput.ts';
import { runWrk } from './wrk.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values } = parseArgs({
  options: { seconds: { type: 'string' }, top: { type: 'string' }, out: { type: 'string' } },
});
const seconds = Number(values.seconds ?? 10);
const top = Number(values.top ?? 25);
const out = values.out ?? join('reports', 'balancer.cpuprofile');
const wrkMissing = missingBinary('wrk');
if (wrkMissing) {
  process.stderr.write(`bench:profile needs wrk: ${wrkMissing}\n`);
  process.exit(2);
}

const backends = await Promise.all(['app1', 'app2', 'app3'].map((name) => spawnBackend(name)));
const profDir = join(tmpdir(), `faultline-prof-${process.pid}`);
try {
  const port = await freePort();
  const dir = scratchDir('profile');
  const file = join(dir, 'balancer.yaml');
  writeFileSync(file, stringify(faultlineConfig(throughputPool(backends), port)));
  const balancer = await spawnFront(
    'faultline',
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${profDir}`,
      packagePath('bin', 'faultline.js'),
      'balancer',
      '--config',
      file,
    ],
    port,
    dir,
  );
  await runWrk(balancer.url, { connections: 50, seconds: 2 });
  const result = await runWrk(balancer.url, { connections: 50, seconds });
  process.stdout.write(
    `${Math.round(result.rps)} rps, p99 ${result.p99Ms.toFixed(2)} ms under the profiler\n`,
  );
  await balancer.stop();
} finally {
  await killAllBackends();
}

const written = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
if (written.length !== 1) throw new Error(`expected one .cpuprofile in ${profDir}, found ${written.length}`);
mkdirSync(dirname(out), { recursive: true });
renameSync(join(profDir, written[0] as string), out);
rmSync(profDir, { recursive: true, force: true });

const profile = JSON.parse(readFileSync(out, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const label = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${relative(PACKAGE_ROOT, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};
const selfByLabel = new Map<string, number>();
const inclusiveByLabel = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id) as ProfileNode;
  selfByLabel.set(label(node), (selfByLabel.get(label(node)) ?? 0) + us);
  // Each frame on the stack once, however deep the recursion.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at) as ProfileNode);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusiveByLabel.set(l, (inclusiveByLabel.get(l) ?? 0) + us);
  }
}
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [l, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${l}\n`);
  }
};
print('self time', selfByLabel);
print('inclusive time', inclusiveByLabel);
process.stdout.write(`\nprofile: ${out} (Chrome DevTools → Performance, or speedscope.app)\n`);
