#!/usr/bin/env node
// Compiles the programs the container images and the CLI run into plain JavaScript, so a container
// starts without tsx (no esbuild service process and no TypeScript transform at every start):
//   dist/faultline.mjs   the `faultline` command line (the balancer and toxic proxy services)
//   dist/balancer.mjs    `faultline balancer` alone (bin/faultline.js runs it for that command)
//   dist/backend.mjs     the sample backend
//   dist/drill-api.mjs   what drill files import as 'faultline'
//   dist/balancer-worker.mjs   a balancer worker (config `workers` > 1): the balancer alone
// bin/faultline.js, the backend launcher and the 'faultline' resolver use them while they are
// newer than every source file (core/build-state.js), else the TypeScript through tsx.
// Packages stay imports from node_modules. `npm run build`; the Dockerfiles run it too.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('../', import.meta.url));
const entries = {
  faultline: 'cli/main.ts',
  balancer: 'cli/balancer-main.ts',
  backend: 'backends/main.ts',
  'drill-api': 'drills/index.ts',
  'balancer-worker': 'balancer/cluster/worker-main.ts',
};
const only = process.argv.slice(2);

// The HTML report inlines the timeline chart, compiled from drills/reports/timeline-chart/*.ts.
// dist/ has no TypeScript to compile at run time, so it gets the compiled script as a constant,
// made by the same function the source tree uses at its first report.
async function timelineChartDefine() {
  const chart = await tsImport('../drills/reports/chart-script.ts', import.meta.url);
  return { FAULTLINE_TIMELINE_CHART: JSON.stringify(chart.compileTimelineChart()) };
}
for (const [name, entry] of Object.entries(entries)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await build({
    define: name === 'faultline' ? await timelineChartDefine() : {},
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: `dist/${name}.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: `// Built from ${entry} by scripts/bundle.mjs: edit the TypeScript, not this file.` },
  });
}
