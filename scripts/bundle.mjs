#!/usr/bin/env node
// Compiles the two programs the container images run into plain JavaScript, so a container
// starts without tsx (no esbuild service process and no TypeScript transform at every start):
//   dist/faultline.mjs   the `faultline` command line (the balancer and toxic proxy services)
//   dist/backend.mjs     the sample backend
// Packages stay imports from node_modules. `npm run build`; the Dockerfiles run it too.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const entries = { faultline: 'cli/main.ts', backend: 'backends/main.ts' };
const only = process.argv.slice(2);
for (const [name, entry] of Object.entries(entries)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await build({
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
