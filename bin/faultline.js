#!/usr/bin/env node
// Runs the CLI as built into dist/ (scripts/bundle.mjs, run by `npm install`) while that build
// is fresh; else the TypeScript through tsx. Either way drill files load through tsx.
// `faultline balancer` runs a program of its own (dist/balancer.mjs): a long-running balancer
// does not load the libraries the other commands need.
import { freshBuild, registerDrillLoaders } from '../core/build-state.js';

const balancerOnly = process.argv[2] === 'balancer';
const built = freshBuild(balancerOnly ? 'balancer' : 'faultline');
if (built) {
  await import(built);
} else {
  await registerDrillLoaders();
  await import(balancerOnly ? '../cli/balancer-main.ts' : '../cli/main.ts');
}
